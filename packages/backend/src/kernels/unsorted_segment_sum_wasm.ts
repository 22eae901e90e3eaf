import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { memoryOf } from '@3dmm-stn/checks';
import {
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
  type UnsortedSegmentSumInputs,
} from '@tensorflow/tfjs';
import { WASM } from './wasm_kernel_utils';

/**
 * `UnsortedSegmentSum` for the wasm backend (the kernel tfjs uses for the gradient of
 * `Gather`/`GatherV2`; upstream tfjs issue 8082).
 *
 * `x: [...S, ...R]`, `segmentIds: S` (int32, any rank, a prefix of x's shape),
 * output `[numSegments, ...R]` with `out[k] = Σ x[i]` over every index i of S with
 * `segmentIds[i] = k`. Ids outside `[0, numSegments)` are dropped, exactly as the cpu backend
 * does. A single pass over x in plain JS on the wasm heap: O(|x|), no per-segment masks.
 */
export function unsortedSegmentSumWasm(args: {
  inputs: UnsortedSegmentSumInputs;
  backend: BackendWasm;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const { numSegments } = attrs;
  const idsRank = segmentIds.shape.length;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(
      `Error in unsortedSegmentSum (wasm): x must be float32 or int32, but got ${x.dtype}.`,
    );
  }
  if (idsRank > x.shape.length || segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `Error in unsortedSegmentSum (wasm): segmentIds shape [${segmentIds.shape}] must be a ` +
        `prefix of x shape [${x.shape}].`,
    );
  }
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(
      `Error in unsortedSegmentSum (wasm): numSegments must be a non-negative integer, but got ${numSegments}.`,
    );
  }
  const rest = x.shape.slice(idsRank);
  const inner = rest.reduce((a, b) => a * b, 1);
  // Zero-filled output; input views taken after its allocation (the shared adapter's rule).
  return memoryOf<TensorInfo>('wasm', backend).output<Float32Array | Int32Array>(
    [numSegments, ...rest],
    (outVals, _read, view) => {
      const ids = view(segmentIds) as Int32Array;
      if (x.dtype === 'float32') {
        scatterAdd(outVals as Float32Array, view(x) as Float32Array, ids, inner, numSegments);
      } else {
        scatterAdd(outVals as Int32Array, view(x) as Int32Array, ids, inner, numSegments);
      }
    },
    true,
    x.dtype as 'float32' | 'int32',
  );
}

/** out[ids[i]] += x[i] for rows of `inner` values; ids outside [0, n) skipped. */
function scatterAdd<T extends Float32Array | Int32Array>(
  out: T,
  x: T,
  ids: Int32Array,
  inner: number,
  n: number,
): void {
  // Rows of 1 and 3 (a mask, an RGB image) are the sampler's cases: unrolled.
  if (inner === 1) {
    for (let i = 0; i < ids.length; i++) {
      const k = ids[i];
      if (k >= 0 && k < n) out[k] += x[i];
    }
  } else if (inner === 3) {
    for (let i = 0, s = 0; i < ids.length; i++, s += 3) {
      const k = ids[i];
      if (k < 0 || k >= n) continue;
      const d = k * 3;
      out[d] += x[s];
      out[d + 1] += x[s + 1];
      out[d + 2] += x[s + 2];
    }
  } else {
    for (let i = 0; i < ids.length; i++) {
      const k = ids[i];
      if (k < 0 || k >= n) continue;
      const s = i * inner;
      const d = k * inner;
      for (let j = 0; j < inner; j++) out[d + j] += x[s + j];
    }
  }
}

export const unsortedSegmentSumWasmConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: WASM,
  kernelFunc: unsortedSegmentSumWasm as unknown as KernelFunc,
};

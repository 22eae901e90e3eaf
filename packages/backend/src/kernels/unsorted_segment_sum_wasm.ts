import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
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
  const out = backend.makeOutput([numSegments, ...rest], x.dtype);
  // Views are taken after makeOutput: allocating can grow (and detach) the wasm heap.
  const outVals = backend.typedArrayFromHeap(out);
  outVals.fill(0);
  const xVals = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  for (let i = 0; i < ids.length; i++) {
    const k = ids[i];
    if (k < 0 || k >= numSegments) continue;
    const src = i * inner;
    const dst = k * inner;
    for (let j = 0; j < inner; j++) outVals[dst + j] += xVals[src + j];
  }
  return out;
}

export const unsortedSegmentSumWasmConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: WASM,
  kernelFunc: unsortedSegmentSumWasm as unknown as KernelFunc,
};

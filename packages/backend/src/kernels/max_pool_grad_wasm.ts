import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { memoryOf } from '@3dmm-stn/checks';
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type MaxPoolGradInputs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { WASM } from './wasm_kernel_utils';

/**
 * `MaxPoolGrad` for the wasm backend. tfjs-backend-wasm 4.22 has one, but as a C++ loop that
 * revisits every window per input pixel (≈ 25 % of a vgg-tiny training step); this one is a
 * single pass in JS over the wasm heap: for each output window it finds the first strict maximum
 * of x (row-major window order, as the cpu backend's `maxPoolPositions` does, NaN and −∞ never
 * win) for all channels at once, then adds dy there.
 *
 * `dy: [B, oh, ow, C]`, `input: [B, H, W, C]` (NHWC, the only layout tfjs's maxPool has),
 * output `dx: [B, H, W, C]` with `dx[argmax of window (i,j)] += dy[i, j]`. Any filter size,
 * stride, 'same' / 'valid' / numeric padding and `dimRoundingMode`; overlapping windows add up.
 */
export function maxPoolGradWasm(args: {
  inputs: MaxPoolGradInputs;
  backend: BackendWasm;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.input as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  if (dy.shape.join() !== [B, oh, ow, C].join()) {
    throw new Error(
      `Error in maxPoolGrad (wasm): dy must have shape [${B},${oh},${ow},${C}] for input ` +
        `[${x.shape}], filter ${fh}×${fw}, strides ${sh}×${sw}, but got [${dy.shape}].`,
    );
  }
  // dx zero-filled; the input views are taken after its allocation (the shared adapter's rule).
  return memoryOf<TensorInfo>('wasm', backend).output(x.shape, (dx, read) => {
    const xv = read(x);
    const dyv = read(dy);
    const best = new Float32Array(C);
    const at = new Int32Array(C);
    const rowStride = W * C;
    for (let b = 0; b < B; b++) {
      const xb = b * H * rowStride;
      for (let i = 0; i < oh; i++) {
        const r0 = Math.max(0, i * sh - pt);
        const r1 = Math.min(H, i * sh - pt + fh);
        for (let j = 0; j < ow; j++) {
          const c0 = Math.max(0, j * sw - pl);
          const c1 = Math.min(W, j * sw - pl + fw);
          const q = ((b * oh + i) * ow + j) * C;
          if (r1 - r0 === 2 && c1 - c0 === 2) {
            // The common 2×2 window, unrolled (same first-strict-maximum rule).
            const p00 = xb + r0 * rowStride + c0 * C;
            const p10 = p00 + rowStride;
            for (let k = 0; k < C; k++) {
              let m = Number.NEGATIVE_INFINITY;
              let p = -1;
              const v00 = xv[p00 + k];
              if (v00 > m) {
                m = v00;
                p = p00 + k;
              }
              const v01 = xv[p00 + C + k];
              if (v01 > m) {
                m = v01;
                p = p00 + C + k;
              }
              const v10 = xv[p10 + k];
              if (v10 > m) {
                m = v10;
                p = p10 + k;
              }
              if (xv[p10 + C + k] > m) p = p10 + C + k;
              if (p >= 0) dx[p] += dyv[q + k];
            }
            continue;
          }
          best.fill(Number.NEGATIVE_INFINITY);
          at.fill(-1);
          for (let r = r0; r < r1; r++) {
            for (let c = c0; c < c1; c++) {
              const p = xb + r * rowStride + c * C;
              for (let k = 0; k < C; k++) {
                const v = xv[p + k];
                if (v > best[k]) {
                  best[k] = v;
                  at[k] = p + k;
                }
              }
            }
          }
          for (let k = 0; k < C; k++) {
            const p = at[k];
            if (p >= 0) dx[p] += dyv[q + k];
          }
        }
      }
    }
  });
}

export const maxPoolGradWasmConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: WASM,
  kernelFunc: maxPoolGradWasm as unknown as KernelFunc,
};

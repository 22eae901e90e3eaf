import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { memoryOf } from '@3dmm-stn/checks';
import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type Conv2DBackpropInputInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { freeAll, runWasmKernel, WASM, zeroStuff } from './wasm_kernel_utils';

/** Attributes of `Conv2DBackpropInput`, plus the forward dilation (tfjs itself never passes one). */
export type Conv2DBackpropInputWasmAttrs = Conv2DBackpropInputAttrs & {
  dilations?: number | [number, number];
};

/**
 * `Conv2DBackpropInput` for the wasm backend as one XNNPACK `Conv2D`. tfjs-backend-wasm 4.22 has
 * this kernel, but as a plain C++ loop several times slower than XNNPACK (it was ~60 % of a
 * training step of a small VGG), so this one replaces it.
 *
 * `dy: [B, oh, ow, Cout]`, `filter: [kh, kw, Cin, Cout]`, output `dx: [B, H, W, Cin]`
 * (`inputShape`; NCHW is transposed in and out) with
 * `dx[n, r, c, ci] = Σ dy[n, i, j, co] · W[a, b, ci, co]` over `i·sh + a·dh − pt = r`,
 * `j·sw + b·dw − pl = c`. For stride s, dy is first zero-stuffed (s − 1 zeros after every
 * row/column, one rank-6 `PadV2`); then dx is a stride-1 convolution of it with the filter
 * flipped in space and its channels swapped, dilated like the forward pass, with padding
 * `(k − 1)·d − p` before (cropping where negative) and whatever makes the output H × W after.
 */
export function conv2DBackpropInputWasm(args: {
  inputs: Conv2DBackpropInputInputs;
  backend: BackendWasm;
  attrs: Conv2DBackpropInputWasmAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const dilations = attrs.dilations ?? 1;
  let dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const channelsFirst =
    backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC') === 'channelsFirst';
  const temps: TensorInfo[] = [];
  try {
    const xShape = (
      channelsFirst ? [inputShape[0], inputShape[2], inputShape[3], inputShape[1]] : inputShape
    ) as [number, number, number, number];
    if (channelsFirst) {
      dy = runWasmKernel('Transpose', { x: dy }, { perm: [0, 2, 3, 1] }, backend);
      temps.push(dy);
    }
    const info = backend_util.computeConv2DInfo(
      xShape,
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const [B, oh, ow, Co] = dy.shape;
    if (
      B !== info.batchSize ||
      oh !== info.outHeight ||
      ow !== info.outWidth ||
      Co !== info.outChannels
    ) {
      throw new Error(
        `Error in conv2DBackpropInput (wasm): dy must have shape ` +
          `[${info.batchSize},${info.outHeight},${info.outWidth},${info.outChannels}] for input ` +
          `[${inputShape}] and filter [${filter.shape}], but got [${dy.shape}].`,
      );
    }
    const { inHeight: H, inWidth: W, inChannels: Ci, strideHeight: sh, strideWidth: sw } = info;
    const { filterHeight: kh, filterWidth: kw, dilationHeight: dh, dilationWidth: dw } = info;

    // z: dy with sh−1 zero rows after every row (and likewise columns): [B, oh·sh, ow·sw, Co].
    let z = zeroStuff(dy, [B, oh, ow, Co], sh, sw, backend, temps);
    const zh = oh * sh;
    const zw = ow * sw;
    let top = (kh - 1) * dh - info.padInfo.top;
    let left = (kw - 1) * dw - info.padInfo.left;
    let bottom = H - zh + info.padInfo.top;
    let right = W - zw + info.padInfo.left;
    // Negative padding = rows/columns of z that no output reads: crop them.
    const r0 = Math.max(0, -top);
    const c0 = Math.max(0, -left);
    const rows = zh - r0 - Math.max(0, -bottom);
    const cols = zw - c0 - Math.max(0, -right);
    if (rows <= 0 || cols <= 0 || B === 0) {
      // Every output position reads only padding: dx is exactly zero.
      return zerosNHWC(backend, [B, H, W, Ci], channelsFirst);
    }
    if (r0 > 0 || c0 > 0 || rows < zh || cols < zw) {
      z = runWasmKernel(
        'Slice',
        { x: z },
        { begin: [0, r0, c0, 0], size: [B, rows, cols, Co] },
        backend,
      );
      temps.push(z);
      top = Math.max(0, top);
      left = Math.max(0, left);
      bottom = Math.max(0, bottom);
      right = Math.max(0, right);
    }
    const flipped = runWasmKernel('Reverse', { x: filter }, { dims: [0, 1] }, backend);
    temps.push(flipped);
    const wT = runWasmKernel('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }, backend); // [kh,kw,Co,Ci]
    temps.push(wT);
    const dx = runWasmKernel(
      'Conv2D',
      { x: z, filter: wT },
      {
        strides: [1, 1],
        dilations: [dh, dw],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
      backend,
    );
    if (dx.shape[1] !== H || dx.shape[2] !== W) {
      temps.push(dx);
      throw new Error(
        `conv2DBackpropInput (wasm): internal shape error, got [${dx.shape}] for input [${inputShape}].`,
      );
    }
    if (!channelsFirst) return dx;
    temps.push(dx);
    return runWasmKernel('Transpose', { x: dx }, { perm: [0, 3, 1, 2] }, backend);
  } finally {
    freeAll(backend, temps);
  }
}

function zerosNHWC(backend: BackendWasm, nhwc: number[], channelsFirst: boolean): TensorInfo {
  const shape = channelsFirst ? [nhwc[0], nhwc[3], nhwc[1], nhwc[2]] : nhwc;
  return memoryOf<TensorInfo>('wasm', backend).output(shape, () => {});
}

export const conv2DBackpropInputWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: WASM,
  kernelFunc: conv2DBackpropInputWasm as unknown as KernelFunc,
};

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { memoryOf } from '@3dmm-stn/checks';
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropFilterInputs,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type DepthwiseConv2dNativeBackpropInputInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { freeAll, runWasmKernel, WASM, zeroStuff } from './wasm_kernel_utils';

function checkDy(dy: TensorInfo, info: backend_util.Conv2DInfo, what: string): void {
  const [B, oh, ow, co] = dy.shape;
  if (
    B !== info.batchSize ||
    oh !== info.outHeight ||
    ow !== info.outWidth ||
    co !== info.outChannels
  ) {
    throw new Error(
      `Error in ${what} (wasm): dy must have shape ` +
        `[${info.batchSize},${info.outHeight},${info.outWidth},${info.outChannels}], but got [${dy.shape}].`,
    );
  }
}

function zeros(backend: BackendWasm, shape: number[]): TensorInfo {
  return memoryOf<TensorInfo>('wasm', backend).output(shape, () => {});
}

/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend (missing in tfjs 4.22), NHWC.
 * `x: [B, H, W, C]`, `dy: [B, oh, ow, C·M]`, output `dW: [kh, kw, C, M]`. The same trick as
 * the dense filter gradient, with batch folded into channels: a depthwise convolution of x as
 * `[1, H, W, B·C]` with dy as a `[oh, ow, B·C, M]` filter (dilated by the forward stride,
 * strided by the forward dilation), then a sum over B.
 */
export function depthwiseConv2dNativeBackpropFilterWasm(args: {
  inputs: DepthwiseConv2dNativeBackpropFilterInputs;
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
  checkDy(dy, info, 'depthwiseConv2dNativeBackpropFilter');
  const [kh, kw, C, M] = filterShape;
  const { batchSize: B, inHeight: H, inWidth: W, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const hNeed = (kh - 1) * dh + (oh - 1) * sh + 1 - pt;
  const wNeed = (kw - 1) * dw + (ow - 1) * sw + 1 - pl;
  const hc = Math.min(H, hNeed);
  const wc = Math.min(W, wNeed);
  if (B === 0 || oh === 0 || ow === 0 || hc <= 0 || wc <= 0) return zeros(backend, filterShape);
  const temps: TensorInfo[] = [];
  try {
    let xc = x;
    if (hc < H || wc < W) {
      xc = runWasmKernel('Slice', { x }, { begin: [0, 0, 0, 0], size: [B, hc, wc, C] }, backend);
      temps.push(xc);
    }
    const xT = runWasmKernel('Transpose', { x: xc }, { perm: [1, 2, 0, 3] }, backend); // [hc,wc,B,C]
    temps.push(xT);
    const x1 = runWasmKernel('Reshape', { x: xT }, { shape: [1, hc, wc, B * C] }, backend);
    temps.push(x1);
    const dy5 = runWasmKernel('Reshape', { x: dy }, { shape: [B, oh, ow, C, M] }, backend);
    temps.push(dy5);
    const dyT = runWasmKernel('Transpose', { x: dy5 }, { perm: [1, 2, 0, 3, 4] }, backend);
    temps.push(dyT);
    const f = runWasmKernel('Reshape', { x: dyT }, { shape: [oh, ow, B * C, M] }, backend);
    temps.push(f);
    const out = runWasmKernel(
      'DepthwiseConv2dNative',
      { x: x1, filter: f },
      {
        strides: [dh, dw],
        dilations: [sh, sw],
        pad: [
          [0, 0],
          [pt, hNeed - hc],
          [pl, wNeed - wc],
          [0, 0],
        ],
      },
      backend,
    ); // [1, kh, kw, B·C·M]
    temps.push(out);
    const perB = runWasmKernel('Reshape', { x: out }, { shape: [kh, kw, B, C * M] }, backend);
    temps.push(perB);
    const summed = runWasmKernel('Sum', { x: perB }, { axis: [2], keepDims: false }, backend);
    temps.push(summed);
    return runWasmKernel('Reshape', { x: summed }, { shape: [kh, kw, C, M] }, backend);
  } finally {
    freeAll(backend, temps);
  }
}

/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend (missing in tfjs 4.22), NHWC.
 * `dy: [B, oh, ow, C·M]`, `filter: [kh, kw, C, M]`, output `dx: [B, H, W, C]`: dy zero-stuffed
 * for strides > 1, a depthwise convolution with the spatially flipped filter as `[kh, kw, C·M, 1]`
 * (padding `(k − 1)·d − p` before, cropped where negative), then a sum over M.
 */
export function depthwiseConv2dNativeBackpropInputWasm(args: {
  inputs: DepthwiseConv2dNativeBackpropInputInputs;
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
  checkDy(dy, info, 'depthwiseConv2dNativeBackpropInput');
  const [kh, kw, C, M] = filter.shape;
  const { batchSize: B, inHeight: H, inWidth: W, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const temps: TensorInfo[] = [];
  try {
    let z = zeroStuff(dy, [B, oh, ow, C * M], sh, sw, backend, temps);
    const zh = oh * sh;
    const zw = ow * sw;
    let top = (kh - 1) * dh - info.padInfo.top;
    let left = (kw - 1) * dw - info.padInfo.left;
    let bottom = H - zh + info.padInfo.top;
    let right = W - zw + info.padInfo.left;
    const r0 = Math.max(0, -top);
    const c0 = Math.max(0, -left);
    const rows = zh - r0 - Math.max(0, -bottom);
    const cols = zw - c0 - Math.max(0, -right);
    if (rows <= 0 || cols <= 0 || B === 0) return zeros(backend, inputShape);
    if (r0 > 0 || c0 > 0 || rows < zh || cols < zw) {
      z = runWasmKernel(
        'Slice',
        { x: z },
        { begin: [0, r0, c0, 0], size: [B, rows, cols, C * M] },
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
    const f = runWasmKernel('Reshape', { x: flipped }, { shape: [kh, kw, C * M, 1] }, backend);
    temps.push(f);
    const out = runWasmKernel(
      'DepthwiseConv2dNative',
      { x: z, filter: f },
      {
        strides: [1, 1],
        dilations: [dh, dw],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
      },
      backend,
    ); // [B, H, W, C·M]
    if (M === 1) return out;
    temps.push(out);
    const out5 = runWasmKernel('Reshape', { x: out }, { shape: [B, H, W, C, M] }, backend);
    temps.push(out5);
    return runWasmKernel('Sum', { x: out5 }, { axis: [4], keepDims: false }, backend);
  } finally {
    freeAll(backend, temps);
  }
}

export const depthwiseConv2dNativeBackpropFilterWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: WASM,
  kernelFunc: depthwiseConv2dNativeBackpropFilterWasm as unknown as KernelFunc,
};

export const depthwiseConv2dNativeBackpropInputWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: WASM,
  kernelFunc: depthwiseConv2dNativeBackpropInputWasm as unknown as KernelFunc,
};

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { memoryOf } from '@3dmm-stn/checks';
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { freeAll, runWasmKernel, WASM } from './wasm_kernel_utils';

/**
 * How the filter gradient is computed:
 * - `'conv'`: one wasm `Conv2D` (XNNPACK) of x transposed to `[Cin, H, W, B]` with dy transposed
 *   to `[oh, ow, B, Cout]` as the filter, dilated by the forward stride and strided by the forward
 *   dilation; the default.
 * - `'matmul'`: one wasm `BatchMatMul` per filter tap (`kh·kw` of them), each over a strided
 *   slice of the zero-padded x; a slower but always-applicable composition.
 */
export type FilterGradStrategy = 'conv' | 'matmul';

/** Attributes of `Conv2DBackpropFilter`, plus the forward dilation (tfjs itself never passes one). */
export type Conv2DBackpropFilterWasmAttrs = Conv2DBackpropFilterAttrs & {
  dilations?: number | [number, number];
};

/**
 * `Conv2DBackpropFilter` for the wasm backend (missing upstream: tfjs issue 8474).
 *
 * `x: [B, H, W, Cin]`, `dy: [B, oh, ow, Cout]` (NHWC; NCHW inputs are transposed first),
 * output `dW: [kh, kw, Cin, Cout]` with
 * `dW[a, b, ci, co] = Σ_{n,i,j} x[n, i·sh + a·dh − pt, j·sw + b·dw − pl, ci] · dy[n, i, j, co]`
 * (x read as zero outside the image), for any strides, dilations and 'same' / 'valid' /
 * explicit padding and any `dimRoundingMode`, exactly the forward `Conv2D`'s geometry.
 */
export function conv2DBackpropFilterWasm(
  args: {
    inputs: Conv2DBackpropFilterInputs;
    backend: BackendWasm;
    attrs: Conv2DBackpropFilterWasmAttrs;
  },
  strategy: FilterGradStrategy = 'conv',
): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const dilations = attrs.dilations ?? 1;
  let x = inputs.x as TensorInfo;
  let dy = inputs.dy as TensorInfo;
  const temps: TensorInfo[] = [];
  try {
    const format = backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC');
    if (format === 'channelsFirst') {
      x = runWasmKernel('Transpose', { x }, { perm: [0, 2, 3, 1] }, backend);
      dy = runWasmKernel('Transpose', { x: dy }, { perm: [0, 2, 3, 1] }, backend);
      temps.push(x, dy);
    }
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
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
        `Error in conv2DBackpropFilter (wasm): dy must have shape ` +
          `[${info.batchSize},${info.outHeight},${info.outWidth},${info.outChannels}] for x ` +
          `[${x.shape}] and filter [${filterShape}], but got [${dy.shape}].`,
      );
    }
    const geometry: Geometry = {
      B,
      H: info.inHeight,
      W: info.inWidth,
      Ci: info.inChannels,
      Co,
      kh: info.filterHeight,
      kw: info.filterWidth,
      oh,
      ow,
      sh: info.strideHeight,
      sw: info.strideWidth,
      dh: info.dilationHeight,
      dw: info.dilationWidth,
      pt: info.padInfo.top,
      pl: info.padInfo.left,
    };
    if (B === 0 || oh === 0 || ow === 0) return zeros(backend, filterShape);
    const useConv = strategy === 'conv' && convTrickApplies(geometry);
    return useConv ? viaConv(x, dy, geometry, backend) : viaMatMul(x, dy, geometry, backend);
  } finally {
    freeAll(backend, temps);
  }
}

interface Geometry {
  B: number;
  H: number;
  W: number;
  Ci: number;
  Co: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
}

/** Rows (or columns) of x that taps 0..k−1 read, from −p, and how many lie inside the image. */
function extent(k: number, d: number, o: number, s: number): number {
  return (k - 1) * d + (o - 1) * s + 1;
}

function convTrickApplies(g: Geometry): boolean {
  // The trick crops x to the rows the taps read; that must leave at least one row and column.
  return (
    Math.min(g.H, extent(g.kh, g.dh, g.oh, g.sh) - g.pt) > 0 &&
    Math.min(g.W, extent(g.kw, g.dw, g.ow, g.sw) - g.pl) > 0
  );
}

/**
 * dW[a,b] as the output of a convolution whose "batch" is Cin, whose "channels" are B and whose
 * filter is dy: tap a reads x rows a·dh − pt + i·sh, i.e. the filter dy is dilated by sh and
 * the output is strided by dh. Bottom/right padding is whatever makes the output exactly
 * kh × kw; when that is negative, x is cropped instead.
 */
function viaConv(x: TensorInfo, dy: TensorInfo, g: Geometry, backend: BackendWasm): TensorInfo {
  const temps: TensorInfo[] = [];
  try {
    const hNeed = extent(g.kh, g.dh, g.oh, g.sh) - g.pt; // rows of x at index ≥ 0 that are read
    const wNeed = extent(g.kw, g.dw, g.ow, g.sw) - g.pl;
    const hc = Math.min(g.H, hNeed);
    const wc = Math.min(g.W, wNeed);
    let xc = x;
    if (hc < g.H || wc < g.W) {
      xc = runWasmKernel(
        'Slice',
        { x },
        { begin: [0, 0, 0, 0], size: [g.B, hc, wc, g.Ci] },
        backend,
      );
      temps.push(xc);
    }
    const xT = runWasmKernel('Transpose', { x: xc }, { perm: [3, 1, 2, 0] }, backend); // [Ci,hc,wc,B]
    temps.push(xT);
    const dyT = runWasmKernel('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, backend); // [oh,ow,B,Co]
    temps.push(dyT);
    const pad: backend_util.ExplicitPadding = [
      [0, 0],
      [g.pt, hNeed - hc],
      [g.pl, wNeed - wc],
      [0, 0],
    ];
    const out = runWasmKernel(
      'Conv2D',
      { x: xT, filter: dyT },
      {
        strides: [g.dh, g.dw],
        dilations: [g.sh, g.sw],
        pad,
        dataFormat: 'NHWC',
      },
      backend,
    ); // [Ci, kh, kw, Co]
    temps.push(out);
    if (out.shape[1] !== g.kh || out.shape[2] !== g.kw) {
      throw new Error(
        `conv2DBackpropFilter (wasm): internal shape error, got [${out.shape}] for filter ` +
          `${g.kh}×${g.kw}.`,
      );
    }
    return runWasmKernel('Transpose', { x: out }, { perm: [1, 2, 0, 3] }, backend);
  } finally {
    freeAll(backend, temps);
  }
}

/** dW[a,b] = (strided slice of padded x for tap a,b)ᵀ · dy, one matmul per tap. */
function viaMatMul(x: TensorInfo, dy: TensorInfo, g: Geometry, backend: BackendWasm): TensorInfo {
  const temps: TensorInfo[] = [];
  try {
    const hSpan = extent(g.kh, g.dh, g.oh, g.sh);
    const wSpan = extent(g.kw, g.dw, g.ow, g.sw);
    const pb = Math.max(0, hSpan - g.pt - g.H);
    const pr = Math.max(0, wSpan - g.pl - g.W);
    let xp = x;
    if (g.pt > 0 || pb > 0 || g.pl > 0 || pr > 0) {
      xp = runWasmKernel(
        'PadV2',
        { x },
        {
          paddings: [
            [0, 0],
            [g.pt, pb],
            [g.pl, pr],
            [0, 0],
          ],
          constantValue: 0,
        },
        backend,
      );
      temps.push(xp);
    }
    const n = g.B * g.oh * g.ow;
    const dy3 = runWasmKernel('Reshape', { x: dy }, { shape: [1, n, g.Co] }, backend);
    temps.push(dy3);
    const taps: TensorInfo[] = [];
    for (let a = 0; a < g.kh; a++) {
      for (let b = 0; b < g.kw; b++) {
        const r0 = a * g.dh;
        const c0 = b * g.dw;
        const xs = runWasmKernel(
          'StridedSlice',
          { x: xp },
          {
            begin: [0, r0, c0, 0],
            end: [g.B, r0 + (g.oh - 1) * g.sh + 1, c0 + (g.ow - 1) * g.sw + 1, g.Ci],
            strides: [1, g.sh, g.sw, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
          backend,
        ); // [B, oh, ow, Ci]
        temps.push(xs);
        const xs3 = runWasmKernel('Reshape', { x: xs }, { shape: [1, n, g.Ci] }, backend);
        temps.push(xs3);
        const tap = runWasmKernel(
          'BatchMatMul',
          { a: xs3, b: dy3 },
          { transposeA: true, transposeB: false },
          backend,
        ); // [1, Ci, Co]
        temps.push(tap);
        taps.push(tap);
      }
    }
    const all = taps.length === 1 ? taps[0] : runWasmKernel('Concat', taps, { axis: 0 }, backend);
    if (all !== taps[0]) temps.push(all);
    return runWasmKernel('Reshape', { x: all }, { shape: [g.kh, g.kw, g.Ci, g.Co] }, backend);
  } finally {
    freeAll(backend, temps);
  }
}

function zeros(backend: BackendWasm, shape: number[]): TensorInfo {
  return memoryOf<TensorInfo>('wasm', backend).output(shape, () => {});
}

export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: WASM,
  kernelFunc: ((args: Parameters<typeof conv2DBackpropFilterWasm>[0]) =>
    conv2DBackpropFilterWasm(args)) as unknown as KernelFunc,
};

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels, selectBackend } from '@3dmm-stn/backend/node';
import {
  conv2DBackpropFilterWasm,
  type Conv2DBackpropFilterWasmAttrs,
  type FilterGradStrategy,
} from '../src/kernels/conv2d_backprop_filter_wasm';
import {
  conv2DBackpropInputWasm,
  type Conv2DBackpropInputWasmAttrs,
} from '../src/kernels/conv2d_backprop_input_wasm';
import { randomValues, relativeError } from './helpers';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

type Case = {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad:
    | 'same'
    | 'valid'
    | number
    | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

const CASES: Case[] = [
  { name: 'stride 1 same', x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: 'stride 1 valid', x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  {
    name: 'stride 2 same, odd size',
    x: [3, 7, 9, 2],
    filter: [3, 3, 2, 5],
    strides: 2,
    pad: 'same',
  },
  {
    name: 'stride 2 valid, unread last row',
    x: [2, 8, 8, 3],
    filter: [3, 3, 3, 2],
    strides: 2,
    pad: 'valid',
  },
  {
    name: 'strides [2,3], 3×2 filter',
    x: [2, 9, 10, 2],
    filter: [3, 2, 2, 3],
    strides: [2, 3],
    pad: 'same',
  },
  { name: '1×1 stride 2', x: [2, 6, 5, 4], filter: [1, 1, 4, 3], strides: 2, pad: 'valid' },
  { name: '5×5 same on 6×6', x: [1, 6, 6, 1], filter: [5, 5, 1, 2], strides: 1, pad: 'same' },
  { name: 'filter as large as x', x: [2, 4, 4, 2], filter: [4, 4, 2, 3], strides: 1, pad: 'valid' },
  {
    name: 'explicit asymmetric padding',
    x: [2, 7, 6, 3],
    filter: [3, 3, 3, 2],
    strides: [1, 2],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    name: 'numeric pad, ceil rounding',
    x: [2, 8, 8, 2],
    filter: [3, 3, 2, 2],
    strides: 2,
    pad: 1,
    dimRoundingMode: 'ceil',
  },
  {
    name: 'numeric pad, floor rounding',
    x: [2, 8, 8, 2],
    filter: [3, 3, 2, 2],
    strides: 2,
    pad: 1,
    dimRoundingMode: 'floor',
  },
  {
    name: 'NCHW',
    x: [2, 3, 7, 7],
    filter: [3, 3, 3, 4],
    strides: 2,
    pad: 'same',
    dataFormat: 'NCHW',
  },
];

function outShape(c: Case): number[] {
  const format = c.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast';
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    c.filter,
    c.strides,
    1,
    c.pad,
    c.dimRoundingMode,
    false,
    format,
  );
  return info.outShape;
}

function attrsOf(c: Case): Conv2DBackpropFilterWasmAttrs {
  return {
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.dataFormat ?? 'NHWC',
    dimRoundingMode: c.dimRoundingMode,
    filterShape: c.filter,
  } as Conv2DBackpropFilterWasmAttrs;
}

async function cpuFilterGrad(x: Float32Array, dy: Float32Array, c: Case): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const out = tf.tidy(() => {
    const xt = tf.tensor(x, c.x);
    const dyt = tf.tensor(dy, outShape(c));
    return tf
      .engine()
      .runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, { ...attrsOf(c) }) as tf.Tensor;
  });
  const values = Float32Array.from(out.dataSync());
  out.dispose();
  return values;
}

/** Runs our wasm kernel directly (either strategy) and returns [shape, values]. */
async function wasmFilterGrad(
  x: Float32Array,
  dy: Float32Array,
  xShape: number[],
  dyShape: number[],
  attrs: Conv2DBackpropFilterWasmAttrs,
  strategy: FilterGradStrategy,
): Promise<[number[], Float32Array]> {
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  const xt = tf.tensor(x, xShape);
  const dyt = tf.tensor(dy, dyShape);
  const out = conv2DBackpropFilterWasm({ inputs: { x: xt, dy: dyt }, backend, attrs }, strategy);
  const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
  backend.disposeData(out.dataId);
  tf.dispose([xt, dyt]);
  return [out.shape, values];
}

describe('Conv2DBackpropFilter on wasm', () => {
  it('is registered for wasm and is what tf.grad uses there', () => {
    expect(registerWasmTrainingKernels()).toContain('Conv2DBackpropFilter');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const c of CASES) {
    it(`matches the cpu backend to 1e-4: ${c.name}`, async () => {
      const dyShape = outShape(c);
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      for (const seed of [1, 2]) {
        const x = randomValues(size(c.x), seed * 10 + 1);
        const dy = randomValues(size(dyShape), seed * 10 + 2);
        const want = await cpuFilterGrad(x, dy, c);
        // The registered kernel, through the engine (the 'conv' strategy when it applies)…
        await tf.setBackend('wasm');
        const viaEngine = tf.tidy(() => {
          const out = tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: tf.tensor(x, c.x), dy: tf.tensor(dy, dyShape) },
              { ...attrsOf(c) },
            ) as tf.Tensor;
          expect(out.shape).toEqual(c.filter);
          return Float32Array.from(out.dataSync());
        });
        expect(relativeError(viaEngine, want)).toBeLessThan(1e-4);
        // …and each strategy on its own, repeated with new values (no stale XNNPACK state).
        for (const strategy of ['conv', 'matmul'] as const) {
          const [shape, got] = await wasmFilterGrad(x, dy, c.x, dyShape, attrsOf(c), strategy);
          expect(shape).toEqual(c.filter);
          expect(relativeError(got, want)).toBeLessThan(1e-4);
        }
      }
    });
  }

  it('handles forward dilations (not passed by tfjs itself) against a float64 loop', async () => {
    const xShape = [2, 9, 8, 2];
    const [kh, kw, ci, co] = [3, 2, 2, 3];
    for (const [dilations, strides, pad] of [
      [[2, 2], [1, 1], 'same'],
      [[2, 3], [1, 1], 'valid'],
      [[3, 1], [2, 2], 'valid'],
    ] as const) {
      const info = tf.backend_util.computeConv2DInfo(
        xShape as [number, number, number, number],
        [kh, kw, ci, co],
        strides as [number, number],
        dilations as [number, number],
        pad,
      );
      const dyShape = info.outShape;
      const x = randomValues(
        xShape.reduce((a, b) => a * b, 1),
        5,
      );
      const dy = randomValues(
        dyShape.reduce((a, b) => a * b, 1),
        6,
      );
      const want = referenceFilterGrad(x, xShape, dy, dyShape, [kh, kw], info);
      for (const strategy of ['conv', 'matmul'] as const) {
        const [, got] = await wasmFilterGrad(
          x,
          dy,
          xShape,
          dyShape,
          {
            strides: strides as [number, number],
            pad,
            dataFormat: 'NHWC',
            filterShape: [kh, kw, ci, co],
            dilations: dilations as [number, number],
          } as Conv2DBackpropFilterWasmAttrs,
          strategy,
        );
        expect(relativeError(got, want)).toBeLessThan(1e-5);
      }
    }
  });

  it('frees every intermediate buffer (both strategies, NCHW, cropping)', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const x = randomValues(2 * 3 * 8 * 8, 1);
    const dy = randomValues(2 * 4 * 3 * 3, 2);
    const before = backend.numDataIds();
    for (const strategy of ['conv', 'matmul'] as const) {
      for (const dataFormat of ['NHWC', 'NCHW'] as const) {
        const xShape = dataFormat === 'NHWC' ? [2, 8, 8, 3] : [2, 3, 8, 8];
        const dyShape = dataFormat === 'NHWC' ? [2, 3, 3, 4] : [2, 4, 3, 3];
        await wasmFilterGrad(
          x,
          dy,
          xShape,
          dyShape,
          {
            strides: 2,
            pad: 'valid',
            dataFormat,
            filterShape: [3, 3, 3, 4],
          } as Conv2DBackpropFilterWasmAttrs,
          strategy,
        );
      }
    }
    expect(backend.numDataIds()).toBe(before);
  });

  it('does not grow the wasm heap over repeated calls (XNNPACK operators are freed with dy)', async () => {
    // Each call packs a fresh transposed dy into an XNNPACK operator; if those operators were
    // cached and never released, 40 calls would grow the heap by 40 × 512 KiB.
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const x = tf.randomUniform([4, 32, 32, 16], -1, 1, 'float32', 1);
    const dy = tf.randomUniform([4, 32, 32, 32], -1, 1, 'float32', 2);
    const w = tf.randomUniform([3, 3, 16, 32], -1, 1, 'float32', 3);
    const call = () =>
      tf.tidy(() => {
        const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
        (
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x, dy },
              { ...attrs, filterShape: [3, 3, 16, 32] },
            ) as tf.Tensor
        ).dataSync();
        (
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy, filter: w },
              { ...attrs, inputShape: [4, 32, 32, 16] },
            ) as tf.Tensor
        ).dataSync();
      });
    for (let i = 0; i < 3; i++) call();
    const heap = heapBytes(backend);
    for (let i = 0; i < 40; i++) call();
    expect(heapBytes(backend)).toBe(heap);
    tf.dispose([x, dy, w]);
  });

  it('rejects a dy whose shape does not match the forward convolution', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 5, 5, 2]);
    const dy = tf.zeros([1, 4, 4, 3]);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, 2, 3],
      } as unknown as tf.NamedAttrMap),
    ).toThrow(/dy must have shape \[1,5,5,3\].*but got \[1,4,4,3\]/);
    tf.dispose([x, dy]);
  });
});

/** Size of the wasm module's linear memory (it only ever grows). */
function heapBytes(backend: BackendWasm): number {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;
}

/** dW[a,b,i,o] = Σ x[n, r·sh + a·dh − pt, c·sw + b·dw − pl, i] · dy[n, r, c, o], in float64. */
function referenceFilterGrad(
  x: Float32Array,
  xShape: number[],
  dy: Float32Array,
  dyShape: number[],
  [kh, kw]: number[],
  info: tf.backend_util.Conv2DInfo,
): Float64Array {
  const [B, H, W, Ci] = xShape;
  const [, oh, ow, Co] = dyShape;
  const out = new Float64Array(kh * kw * Ci * Co);
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let n = 0; n < B; n++)
        for (let r = 0; r < oh; r++)
          for (let c = 0; c < ow; c++) {
            const i = r * info.strideHeight + a * info.dilationHeight - info.padInfo.top;
            const j = c * info.strideWidth + b * info.dilationWidth - info.padInfo.left;
            if (i < 0 || i >= H || j < 0 || j >= W) continue;
            for (let ci = 0; ci < Ci; ci++) {
              const xv = x[((n * H + i) * W + j) * Ci + ci];
              for (let co = 0; co < Co; co++) {
                out[((a * kw + b) * Ci + ci) * Co + co] +=
                  xv * dy[((n * oh + r) * ow + c) * Co + co];
              }
            }
          }
  return out;
}

async function cpuInputGrad(dy: Float32Array, w: Float32Array, c: Case): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const out = tf.tidy(
    () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropInput',
          { dy: tf.tensor(dy, outShape(c)), filter: tf.tensor(w, c.filter) },
          {
            strides: c.strides,
            pad: c.pad,
            dataFormat: c.dataFormat ?? 'NHWC',
            dimRoundingMode: c.dimRoundingMode,
            inputShape: c.x,
          } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor,
  );
  const values = Float32Array.from(out.dataSync());
  out.dispose();
  return values;
}

async function wasmInputGrad(
  dy: Float32Array,
  w: Float32Array,
  dyShape: number[],
  attrs: Conv2DBackpropInputWasmAttrs,
): Promise<[number[], Float32Array]> {
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  const dyt = tf.tensor(dy, dyShape);
  const wt = tf.tensor(w, [...(attrs as unknown as { filterShape: number[] }).filterShape]);
  const out = conv2DBackpropInputWasm({ inputs: { dy: dyt, filter: wt }, backend, attrs });
  const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
  backend.disposeData(out.dataId);
  tf.dispose([dyt, wt]);
  return [out.shape, values];
}

describe('Conv2DBackpropInput on wasm (replaces the slow built-in)', () => {
  it('is ours on wasm', () => {
    expect(registerWasmTrainingKernels()).toContain('Conv2DBackpropInput');
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(
      conv2DBackpropInputWasm as unknown,
    );
  });

  for (const c of CASES) {
    it(`matches the cpu backend to 1e-4: ${c.name}`, async () => {
      const dyShape = outShape(c);
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      for (const seed of [3, 4]) {
        const dy = randomValues(size(dyShape), seed * 10 + 1);
        const w = randomValues(size(c.filter), seed * 10 + 2);
        const want = await cpuInputGrad(dy, w, c);
        await tf.setBackend('wasm');
        const got = tf.tidy(() => {
          const out = tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy: tf.tensor(dy, dyShape), filter: tf.tensor(w, c.filter) },
              {
                strides: c.strides,
                pad: c.pad,
                dataFormat: c.dataFormat ?? 'NHWC',
                dimRoundingMode: c.dimRoundingMode,
                inputShape: c.x,
              } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor;
          expect(out.shape).toEqual(c.x);
          return Float32Array.from(out.dataSync());
        });
        expect(relativeError(got, want)).toBeLessThan(1e-4);
      }
    });
  }

  it('handles forward dilations and large explicit padding against a float64 loop', async () => {
    const xShape: [number, number, number, number] = [2, 9, 8, 2];
    const [kh, kw, ci, co] = [3, 2, 2, 3];
    const combos: [number[], number[], Case['pad']][] = [
      [[2, 2], [1, 1], 'same'],
      [[2, 3], [1, 1], 'valid'],
      [[3, 1], [2, 2], 'valid'],
      [
        [1, 1],
        [2, 3],
        [
          [0, 0],
          [4, 0],
          [0, 3],
          [0, 0],
        ],
      ],
      [
        [1, 1],
        [1, 1],
        [
          [0, 0],
          [3, 3],
          [2, 2],
          [0, 0],
        ],
      ],
    ];
    for (const [dilations, strides, pad] of combos) {
      const info = tf.backend_util.computeConv2DInfo(
        xShape,
        [kh, kw, ci, co],
        strides as [number, number],
        dilations as [number, number],
        pad,
      );
      const dyShape = info.outShape;
      const dy = randomValues(
        dyShape.reduce((a, b) => a * b, 1),
        15,
      );
      const w = randomValues(kh * kw * ci * co, 16);
      const want = referenceInputGrad(dy, dyShape, w, [kh, kw, ci, co], xShape, info);
      const [shape, got] = await wasmInputGrad(dy, w, dyShape, {
        strides: strides as [number, number],
        pad,
        dataFormat: 'NHWC',
        inputShape: xShape,
        dilations: dilations as [number, number],
        filterShape: [kh, kw, ci, co],
      } as unknown as Conv2DBackpropInputWasmAttrs);
      expect(shape).toEqual(xShape);
      expect(
        relativeError(got, want),
        `${dilations} ${strides} ${JSON.stringify(pad)}`,
      ).toBeLessThan(1e-5);
    }
  });

  it('frees every intermediate buffer', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const before = backend.numDataIds();
    for (const c of CASES) {
      const dyShape = outShape(c);
      const dy = randomValues(
        dyShape.reduce((a, b) => a * b, 1),
        1,
      );
      const w = randomValues(
        c.filter.reduce((a, b) => a * b, 1),
        2,
      );
      await wasmInputGrad(dy, w, dyShape, {
        strides: c.strides,
        pad: c.pad,
        dataFormat: c.dataFormat ?? 'NHWC',
        dimRoundingMode: c.dimRoundingMode,
        inputShape: c.x,
        filterShape: c.filter,
      } as unknown as Conv2DBackpropInputWasmAttrs);
    }
    expect(backend.numDataIds()).toBe(before);
  });
});

/** dx[n,r,c,i] = Σ dy[n,y,x,o] · W[a,b,i,o] over y·sh + a·dh − pt = r, x·sw + b·dw − pl = c (float64). */
function referenceInputGrad(
  dy: Float32Array,
  dyShape: number[],
  w: Float32Array,
  [kh, kw, Ci, Co]: number[],
  [B, H, W]: number[],
  info: tf.backend_util.Conv2DInfo,
): Float64Array {
  const [, oh, ow] = dyShape;
  const out = new Float64Array(B * H * W * Ci);
  for (let n = 0; n < B; n++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++)
        for (let a = 0; a < kh; a++)
          for (let b = 0; b < kw; b++) {
            const r = y * info.strideHeight + a * info.dilationHeight - info.padInfo.top;
            const c = x * info.strideWidth + b * info.dilationWidth - info.padInfo.left;
            if (r < 0 || r >= H || c < 0 || c >= W) continue;
            for (let i = 0; i < Ci; i++)
              for (let o = 0; o < Co; o++)
                out[((n * H + r) * W + c) * Ci + i] +=
                  dy[((n * oh + y) * ow + x) * Co + o] * w[((a * kw + b) * Ci + i) * Co + o];
          }
  return out;
}

describe('UnsortedSegmentSum on wasm', () => {
  const cases: {
    name: string;
    x: number[];
    ids: number[];
    idsShape: number[];
    n: number;
    dtype?: 'int32';
  }[] = [
    { name: '1-D ids, rows of 3', x: [6, 3], ids: [2, 0, 2, 1, 4, 0], idsShape: [6], n: 5 },
    {
      name: 'ids with repeats and gaps, more segments than ids',
      x: [4, 2, 2],
      ids: [7, 7, 0, 3],
      idsShape: [4],
      n: 9,
    },
    {
      name: 'out-of-range ids are dropped like cpu',
      x: [5, 2],
      ids: [0, -1, 3, 9, 1],
      idsShape: [5],
      n: 4,
    },
    { name: 'out-of-range ids, rows of 3', x: [5, 3], ids: [4, -1, 3, 9, 1], idsShape: [5], n: 5 },
    { name: 'out-of-range ids, scalar rows', x: [5], ids: [-2, 0, 3, 4, 0], idsShape: [5], n: 4 },
    { name: 'scalar rows', x: [7], ids: [1, 1, 0, 2, 2, 2, 0], idsShape: [7], n: 3 },
    { name: 'int32 values', x: [5, 2], ids: [1, 0, 1, 1, 0], idsShape: [5], n: 2, dtype: 'int32' },
  ];
  for (const c of cases) {
    it(`matches the cpu backend: ${c.name}`, async () => {
      const size = c.x.reduce((a, b) => a * b, 1);
      const raw = randomValues(size, 42);
      const values = c.dtype === 'int32' ? Int32Array.from(raw, (v) => Math.round(v * 100)) : raw;
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const out = tf.unsortedSegmentSum(
            tf.tensor(values, c.x, c.dtype ?? 'float32'),
            tf.tensor(c.ids, c.idsShape, 'int32') as tf.Tensor as tf.Tensor1D,
            c.n,
          );
          return { shape: out.shape, dtype: out.dtype, values: Array.from(out.dataSync()) };
        });
      };
      const want = await run('cpu');
      const got = await run('wasm');
      expect(got.shape).toEqual(want.shape);
      // tfjs's cpu kernel returns float32 for int32 x; TensorFlow (and this kernel) keep x's dtype.
      expect(got.dtype).toEqual(c.dtype ?? 'float32');
      expect(relativeError(got.values, want.values)).toBeLessThan(1e-6);
    });
  }

  it('accepts ids of rank 2 (a prefix of x shape), against a plain loop', async () => {
    // (The cpu backend's kernel fails on this case, so the reference is a loop.)
    await tf.setBackend('wasm');
    const x = randomValues(2 * 3 * 4, 9);
    const ids = [0, 1, 1, 2, 0, 2];
    const got = tf.tidy(() =>
      Array.from(
        tf
          .unsortedSegmentSum(
            tf.tensor(x, [2, 3, 4]),
            tf.tensor(ids, [2, 3], 'int32') as unknown as tf.Tensor1D,
            3,
          )
          .dataSync(),
      ),
    );
    const want = new Float64Array(3 * 4);
    ids.forEach((k, i) => {
      for (let j = 0; j < 4; j++) want[k * 4 + j] += x[i * 4 + j];
    });
    expect(relativeError(got, want)).toBeLessThan(1e-6);
  });

  it('is the gradient of gather on wasm, equal to the cpu one', async () => {
    const x = randomValues(5 * 4, 3);
    const w = randomValues(7 * 4, 4);
    const f = () =>
      tf.grad((p: tf.Tensor) =>
        tf
          .gather(p, tf.tensor1d([4, 0, 4, 2, 2, 2, 1], 'int32'))
          .mul(tf.tensor(w, [7, 4]))
          .sum(),
      )(tf.tensor(x, [5, 4]));
    await tf.setBackend('cpu');
    const want = tf.tidy(() => Array.from(f().dataSync()));
    await tf.setBackend('wasm');
    const got = tf.tidy(() => Array.from(f().dataSync()));
    expect(relativeError(got, want)).toBeLessThan(1e-6);
    expect(want.slice(12, 16).every((v) => v === 0)).toBe(true); // row 3 is never gathered
  });
});

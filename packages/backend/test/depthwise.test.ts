import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@3dmm-stn/backend/node';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { randomValues, relativeError } from './helpers';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];
const CASES: {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'ceil';
}[] = [
  { name: 'stride 1 same, M = 1', x: [2, 7, 7, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'same' },
  {
    name: 'stride 1 valid, M = 2',
    x: [2, 7, 6, 3],
    filter: [3, 3, 3, 2],
    strides: 1,
    pad: 'valid',
  },
  {
    name: 'stride 2 same, odd size, M = 3',
    x: [3, 9, 7, 2],
    filter: [3, 3, 2, 3],
    strides: 2,
    pad: 'same',
  },
  {
    name: 'stride 2 valid, unread last row',
    x: [2, 8, 8, 4],
    filter: [3, 3, 4, 1],
    strides: 2,
    pad: 'valid',
  },
  {
    name: 'strides [1,2], 5×3 filter',
    x: [1, 9, 10, 2],
    filter: [5, 3, 2, 2],
    strides: [1, 2],
    pad: 'same',
  },
  {
    name: 'dilation 2',
    x: [2, 9, 9, 2],
    filter: [3, 3, 2, 2],
    strides: 1,
    dilations: 2,
    pad: 'same',
  },
  {
    name: 'explicit padding',
    x: [2, 6, 7, 2],
    filter: [3, 3, 2, 2],
    strides: 2,
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
  {
    name: 'numeric pad, ceil rounding',
    x: [2, 8, 8, 2],
    filter: [3, 3, 2, 1],
    strides: 2,
    pad: 1,
    dimRoundingMode: 'ceil',
  },
];

describe('depthwise conv gradients on wasm', () => {
  for (const c of CASES) {
    it(`filter and input gradients match a float64 loop (and cpu) to 1e-4: ${c.name}`, async () => {
      const info = tf.backend_util.computeConv2DInfo(
        c.x,
        c.filter,
        c.strides,
        c.dilations ?? 1,
        c.pad,
        c.dimRoundingMode,
        true,
      );
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const x = randomValues(size(c.x), 1);
      const dy = randomValues(size(info.outShape), 2);
      const w = randomValues(size(c.filter), 3);
      const attrs = {
        strides: c.strides,
        dilations: c.dilations ?? 1,
        pad: c.pad,
        dimRoundingMode: c.dimRoundingMode,
      };
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const dW = tf
            .engine()
            .runKernel(
              'DepthwiseConv2dNativeBackpropFilter',
              { x: tf.tensor(x, c.x), dy: tf.tensor(dy, info.outShape) },
              { ...attrs, filterShape: c.filter } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor;
          const dx = tf
            .engine()
            .runKernel(
              'DepthwiseConv2dNativeBackpropInput',
              { dy: tf.tensor(dy, info.outShape), filter: tf.tensor(w, c.filter) },
              { ...attrs, inputShape: c.x } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor;
          return {
            dW: Array.from(dW.dataSync()),
            dWShape: dW.shape,
            dx: Array.from(dx.dataSync()),
            dxShape: dx.shape,
          };
        });
      };
      const ref = reference(x, dy, w, c.x, c.filter, info);
      const want = await run('cpu');
      await tf.setBackend('wasm');
      const buffers = (tf.backend() as BackendWasm).numDataIds();
      const got = await run('wasm');
      expect(got.dWShape).toEqual(c.filter);
      expect(got.dxShape).toEqual(c.x);
      expect(relativeError(got.dW, ref.dW)).toBeLessThan(1e-4);
      expect(relativeError(got.dx, ref.dx)).toBeLessThan(1e-4);
      // tfjs's cpu kernels ignore dilations (tfjs's gradient never passes any).
      if ((c.dilations ?? 1) === 1) {
        expect(relativeError(got.dW, want.dW)).toBeLessThan(1e-4);
        expect(relativeError(got.dx, want.dx)).toBeLessThan(1e-4);
      }
      expect((tf.backend() as BackendWasm).numDataIds()).toBe(buffers);
    });
  }

  it('gradients of a separable-conv net equal the cpu backend', async () => {
    const f = () => {
      const x = tf.tensor(randomValues(2 * 10 * 10 * 3, 4), [2, 10, 10, 3]) as tf.Tensor4D;
      const dw = tf.tensor(randomValues(3 * 3 * 3 * 2, 5), [3, 3, 3, 2]) as tf.Tensor4D;
      const pw = tf.tensor(randomValues(6 * 4, 6), [1, 1, 6, 4]) as tf.Tensor4D;
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf
          .relu(tf.separableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, 2, 'same'))
          .square()
          .mean(),
      )([x, dw, pw]);
      return g.map((t) => Array.from(t.dataSync()));
    };
    await tf.setBackend('cpu');
    const want = tf.tidy(f);
    await tf.setBackend('wasm');
    const got = tf.tidy(f);
    for (let i = 0; i < 3; i++) expect(relativeError(got[i], want[i])).toBeLessThan(1e-4);
  });
});

/** Both depthwise gradients by the definition, in float64. */
function reference(
  x: Float32Array,
  dy: Float32Array,
  w: Float32Array,
  [B, H, W, C]: number[],
  [kh, kw, , M]: number[],
  info: tf.backend_util.Conv2DInfo,
): { dW: Float64Array; dx: Float64Array } {
  const { outHeight: oh, outWidth: ow } = info;
  const dW = new Float64Array(kh * kw * C * M);
  const dx = new Float64Array(B * H * W * C);
  for (let n = 0; n < B; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let a = 0; a < kh; a++)
          for (let b = 0; b < kw; b++) {
            const r = i * info.strideHeight + a * info.dilationHeight - info.padInfo.top;
            const q = j * info.strideWidth + b * info.dilationWidth - info.padInfo.left;
            if (r < 0 || r >= H || q < 0 || q >= W) continue;
            for (let ch = 0; ch < C; ch++)
              for (let m = 0; m < M; m++) {
                const g = dy[((n * oh + i) * ow + j) * C * M + ch * M + m];
                dW[((a * kw + b) * C + ch) * M + m] += x[((n * H + r) * W + q) * C + ch] * g;
                dx[((n * H + r) * W + q) * C + ch] += w[((a * kw + b) * C + ch) * M + m] * g;
              }
          }
  return { dW, dx };
}

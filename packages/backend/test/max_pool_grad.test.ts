import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels, selectBackend } from '@3dmm-stn/backend/node';
import { maxPoolGradWasm, maxPoolGradWasmConfig } from '../src/kernels/max_pool_grad_wasm';
import { onBackend, randomValues, relativeError } from './helpers';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

type Case = {
  name: string;
  x: [number, number, number, number];
  filter: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** integer-valued x, so that windows hold ties (the first maximum must win) */
  ties?: boolean;
};

const CASES: Case[] = [
  { name: '2×2/2 valid', x: [2, 8, 8, 3], filter: 2, strides: 2, pad: 'valid' },
  { name: '2×2/2 valid, odd size', x: [2, 7, 9, 5], filter: 2, strides: 2, pad: 'valid' },
  {
    name: '2×2/2 same, odd size (partial windows)',
    x: [3, 7, 5, 4],
    filter: 2,
    strides: 2,
    pad: 'same',
  },
  { name: '3×3/2 same (overlapping)', x: [2, 9, 8, 3], filter: 3, strides: 2, pad: 'same' },
  { name: '3×3/1 valid', x: [1, 6, 7, 2], filter: 3, strides: 1, pad: 'valid' },
  { name: '3×2 strides [2,1]', x: [2, 7, 6, 3], filter: [3, 2], strides: [2, 1], pad: 'same' },
  // (tfjs's maxPool gradient drops dimRoundingMode, so only the default rounding is reachable.)
  { name: 'numeric pad 1', x: [2, 7, 6, 2], filter: 3, strides: 2, pad: 1 },
  { name: '2×2/2 with ties', x: [2, 6, 6, 16], filter: 2, strides: 2, pad: 'valid', ties: true },
  { name: '3×3/1 same with ties', x: [2, 5, 5, 3], filter: 3, strides: 1, pad: 'same', ties: true },
];

function xValues(c: Case): Float32Array {
  const v = randomValues(
    c.x.reduce((a, b) => a * b, 1),
    7,
  );
  return c.ties ? v.map((t) => Math.round(t * 2)) : v;
}

function gradOf(c: Case, xv: Float32Array, dyv: Float32Array): tf.Tensor {
  const x = tf.tensor4d(xv, c.x);
  const f = (t: tf.Tensor) =>
    tf.maxPool(t as tf.Tensor4D, c.filter, c.strides, c.pad, c.dimRoundingMode);
  const y = f(x);
  const dy = tf.tensor(dyv, y.shape);
  return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), dy)))(x);
}

describe('MaxPoolGrad (wasm, JS over the heap)', () => {
  it('is the kernel the wasm backend runs', () => {
    expect(registerWasmTrainingKernels()).toContain('MaxPoolGrad');
    // Replaces wasm's own C++ kernel (so the comparisons below test this one).
    expect(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc).toBe(maxPoolGradWasmConfig.kernelFunc);
  });

  for (const c of CASES) {
    it(`equals the cpu backend exactly: ${c.name}`, async () => {
      const xv = xValues(c);
      const outShape = (
        await onBackend('cpu', () =>
          tf.maxPool(tf.tensor4d(xv, c.x), c.filter, c.strides, c.pad, c.dimRoundingMode),
        )
      )[0].shape;
      const dyv = randomValues(
        outShape.reduce((a, b) => a * b, 1),
        8,
      );
      const [cpu] = await onBackend('cpu', () => gradOf(c, xv, dyv));
      const [wasm] = await onBackend('wasm', () => gradOf(c, xv, dyv));
      expect(wasm.shape).toEqual(c.x);
      // Each dx entry is a sum of the same dy values: equal up to float addition order.
      expect(relativeError(wasm.values, cpu.values)).toBeLessThan(1e-6);
    });
  }

  it('equals central differences of sum(maxPool(x) · w)', async () => {
    await tf.setBackend('wasm');
    const shape: [number, number, number, number] = [1, 5, 6, 2];
    // Well-separated values, so a ±h step never changes which element is the maximum.
    const xv = Float32Array.from(randomValues(60, 3), (_, i) => ((i * 37) % 60) / 6);
    const wv = randomValues(3 * 3 * 2, 4);
    const f = (x: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 2, 2, 'same'), tf.tensor4d(wv, [1, 3, 3, 2])));
    const g = tf.tidy(() => tf.grad(f)(tf.tensor4d(xv, shape)).dataSync());
    const h = 1e-2;
    for (let i = 0; i < xv.length; i++) {
      const at = (d: number) => {
        const p = Float32Array.from(xv);
        p[i] += d;
        return tf.tidy(() => f(tf.tensor4d(p, shape)).dataSync()[0]);
      };
      expect(g[i]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 3);
    }
  });

  it('rejects a dy of the wrong shape', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 3, 3, 2]);
    expect(() =>
      maxPoolGradWasm({
        inputs: { dy, input: x, output: x },
        backend,
        attrs: { filterSize: 2, strides: 2, pad: 'valid' },
      }),
    ).toThrow(/dy must have shape \[1,2,2,2\]/);
    tf.dispose([x, dy]);
  });

  it('leaves no buffers or tensors behind over repeated gradients', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const x = tf.randomUniform([2, 9, 9, 4], -1, 1, 'float32', 1);
    const step = () =>
      tf.tidy(() =>
        tf
          .grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 3, 2, 'same')))(x)
          .dataSync(),
      );
    step();
    const ids = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(backend.numDataIds()).toBe(ids);
    expect(tf.memory().numTensors).toBe(tensors);
    x.dispose();
  });
});

import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@3dmm-stn/checks';
import { beforeAll, describe, expect, test } from 'vitest';
import { multiviewLoss } from '../src/index';
import { binaryArray, centralDifferences, expectClose, randomArray, rng } from './helpers';
import { referenceMultiview } from './reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [B, R, C] = [3, 5, 3];
const N = B * R * R;

describe('multiviewLoss', () => {
  test('hand-computed case', () => {
    tf.tidy(() => {
      // 2×2, 1 channel: A = [1 2; 3 4], B = [1 0; 0 9]; visible in both: (0,1) and (1,1)
      const a = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const b = tf.tensor4d([1, 0, 0, 9], [1, 2, 2, 1]);
      const mA = tf.tensor4d([0, 1, 1, 1], [1, 2, 2, 1]);
      const mB = tf.tensor4d([1, 1, 0, 1], [1, 2, 2, 1]);
      // ((2−0)² + (4−9)²) / 2 = 14.5
      expect(multiviewLoss(a, mA, b, mB).dataSync()[0]).toBe(14.5);
    });
  });

  test('matches the float64 reference, all reductions', () => {
    const r = rng(10);
    const a = randomArray(N * C, r, 0, 255);
    const b = randomArray(N * C, r, 0, 255);
    const mA = binaryArray(N, r);
    const mB = binaryArray(N, r);
    const ref = referenceMultiview(a, mA, b, mB, [B, R, C]);
    tf.tidy(() => {
      const args = [
        tf.tensor4d(a, [B, R, R, C]),
        tf.tensor4d(mA, [B, R, R, 1]),
        tf.tensor4d(b, [B, R, R, C]),
        tf.tensor4d(mB, [B, R, R, 1]),
      ] as const;
      expectClose(multiviewLoss(...args, { reduction: 'none' }).dataSync(), ref, 1e-5);
      const sum = ref.reduce((x, y) => x + y, 0);
      expectClose(multiviewLoss(...args, { reduction: 'sum' }).dataSync(), [sum], 1e-5);
      expectClose(multiviewLoss(...args).dataSync(), [sum / B], 1e-5);
    });
  });

  test('is 0 for identical inputs', () => {
    tf.tidy(() => {
      const uv = tf.randomUniform([B, R, R, C], 0, 255, 'float32', 11);
      const m = tf.tensor4d(binaryArray(N, rng(11)), [B, R, R, 1]);
      expect(multiviewLoss(uv, m, uv, m).dataSync()[0]).toBe(0);
      expect(multiviewLoss(uv, tf.ones([B, R, R, 1]), uv.clone(), m).dataSync()[0]).toBe(0);
    });
  });

  test('ignores pixels masked in either image, in value and gradient (even NaN)', () => {
    const r = rng(12);
    const a = randomArray(N * C, r, 0, 255);
    const b = randomArray(N * C, r, 0, 255);
    const mA = binaryArray(N, r, 0.6);
    const mB = binaryArray(N, r, 0.6);
    const a2 = a.slice();
    const b2 = b.slice();
    let hiddenInA = 0;
    let hiddenInB = 0;
    for (let k = 0; k < N; k++) {
      for (let c = 0; c < C; c++) {
        if (mA[k] === 0) a2[k * C + c] = c === 0 ? Number.NaN : -1e5;
        if (mB[k] === 0) b2[k * C + c] = c === 1 ? Number.NaN : 1e5;
      }
      if (mA[k] === 0 && mB[k] === 1) hiddenInA++;
      if (mB[k] === 0 && mA[k] === 1) hiddenInB++;
    }
    expect(hiddenInA).toBeGreaterThan(3);
    expect(hiddenInB).toBeGreaterThan(3);
    const mAt = tf.tensor4d(mA, [B, R, R, 1]);
    const mBt = tf.tensor4d(mB, [B, R, R, 1]);
    const run = (x: Float32Array, y: Float32Array) =>
      tf.tidy(() => {
        const f = (p: tf.Tensor, q: tf.Tensor) => multiviewLoss(p, mAt, q, mBt);
        const [ga, gb] = tf.grads(f)([tf.tensor4d(x, [B, R, R, C]), tf.tensor4d(y, [B, R, R, C])]);
        const value = f(tf.tensor4d(x, [B, R, R, C]), tf.tensor4d(y, [B, R, R, C]));
        return {
          value: value.dataSync()[0],
          ga: Array.from(ga.dataSync()),
          gb: Array.from(gb.dataSync()),
        };
      });
    const base = run(a, b);
    const changed = run(a2, b2);
    expect(changed.value).toBe(base.value);
    expect(changed.ga).toEqual(base.ga);
    expect(changed.gb).toEqual(base.gb);
    expect([...changed.ga, ...changed.gb].every(Number.isFinite)).toBe(true);
    tf.dispose([mAt, mBt]);
  });

  test('gradients with respect to both views match central differences', () => {
    const r = rng(13);
    const [b, res, c] = [2, 3, 2];
    const n = b * res * res;
    const a = tf.tensor4d(randomArray(n * c, r, -5, 5), [b, res, res, c]);
    const bb = tf.tensor4d(randomArray(n * c, r, -5, 5), [b, res, res, c]);
    const mA = tf.tensor4d(binaryArray(n, r, 0.7), [b, res, res, 1]);
    const mB = tf.tensor4d(binaryArray(n, r, 0.7), [b, res, res, 1]);
    const fa = (x: tf.Tensor) => multiviewLoss(x, mA, bb, mB);
    const fb = (x: tf.Tensor) => multiviewLoss(a, mA, x, mB, { reduction: 'sum' });
    expectClose(
      tf.tidy(() => tf.grad(fa)(a).dataSync()),
      centralDifferences(fa, a),
      1e-3,
    );
    expectClose(
      tf.tidy(() => tf.grad(fb)(bb).dataSync()),
      centralDifferences(fb, bb),
      1e-3,
    );
    tf.dispose([a, bb, mA, mB]);
  });

  test('shape errors name the argument', () => {
    tf.tidy(() => {
      const uv = tf.ones([2, 4, 4, 3]);
      const m = tf.ones([2, 4, 4, 1]);
      expect(() => multiviewLoss(uv, m, tf.ones([1, 4, 4, 3]), m)).toThrow(ShapeError);
      expect(() => multiviewLoss(uv, m, uv, tf.ones([2, 4, 4, 2]))).toThrow(/maskB/);
    });
  });

  test('does not grow the tensor count', () => {
    const a = tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', 14);
    const b = tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', 15);
    const m = tf.ones([2, 6, 6, 1]);
    const step = () => {
      tf.tidy(() => {
        tf.grads((x: tf.Tensor, y: tf.Tensor) => multiviewLoss(x, m, y, m))([a, b]);
      });
      multiviewLoss(a, m, b, m).dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, m]);
  });
});

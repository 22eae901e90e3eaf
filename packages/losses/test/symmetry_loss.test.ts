import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@3dmm-stn/checks';
import { beforeAll, describe, expect, test } from 'vitest';
import { symmetryLoss } from '../src/index';
import { binaryArray, centralDifferences, expectClose, randomArray, rng } from './helpers';
import { referenceSymmetry } from './reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('symmetryLoss', () => {
  test('hand-computed 2×2 cases', () => {
    tf.tidy(() => {
      // rows [1 3], [0 0]: pairs (1,3) twice and (0,0) twice → (2·4 + 0) / 4 = 2
      const uv = tf.tensor4d([1, 3, 0, 0], [1, 2, 2, 1]);
      expect(symmetryLoss(uv, tf.ones([1, 2, 2, 1])).dataSync()[0]).toBe(2);
      // only row 0 visible with its mirror → 8 / 2 = 4
      const half = tf.tensor4d([1, 1, 1, 0], [1, 2, 2, 1]);
      expect(symmetryLoss(uv, half).dataSync()[0]).toBe(4);
      // two channels, row 0 visible: ((1−3)² + (5−2)²)·2 / (2 pixels · 2 channels)
      const uv2 = tf.tensor4d([1, 5, 3, 2, 0, 0, 0, 0], [1, 2, 2, 2]);
      expect(symmetryLoss(uv2, half).dataSync()[0]).toBe(6.5);
    });
  });

  test('the middle column of an odd grid is its own mirror (counted, difference 0)', () => {
    tf.tidy(() => {
      const uv = tf.tensor4d([2, 7, 0, 0, 0, 0, 0, 0, 0], [1, 3, 3, 1]);
      // (0,0) and (0,2) differ by 2 (counted from both sides), (0,1) by 0; 9 pixels counted
      expect(symmetryLoss(uv, tf.ones([1, 3, 3, 1])).dataSync()[0]).toBeCloseTo(8 / 9, 6);
    });
  });

  test('matches the float64 reference on random input, all reductions', () => {
    const r = rng(2);
    const [B, R, C] = [3, 6, 3];
    const uvData = randomArray(B * R * R * C, r, 0, 255);
    const maskData = binaryArray(B * R * R, r);
    const ref = referenceSymmetry(uvData, maskData, [B, R, C]);
    tf.tidy(() => {
      const uv = tf.tensor4d(uvData, [B, R, R, C]);
      const mask = tf.tensor4d(maskData, [B, R, R, 1]);
      expectClose(symmetryLoss(uv, mask, { reduction: 'none' }).dataSync(), ref, 1e-5);
      const sum = ref.reduce((a, b) => a + b, 0);
      expectClose(symmetryLoss(uv, mask, { reduction: 'sum' }).dataSync(), [sum], 1e-5);
      expectClose(symmetryLoss(uv, mask).dataSync(), [sum / B], 1e-5);
    });
  });

  test('is 0 for a mirror-symmetric UV image, whatever the mask', () => {
    const r = rng(3);
    const [B, R, C] = [2, 8, 3];
    const data = randomArray(B * R * R * C, r, 0, 255);
    for (let n = 0; n < B; n++)
      for (let i = 0; i < R; i++)
        for (let j = 0; j < R / 2; j++)
          for (let c = 0; c < C; c++)
            data[((n * R + i) * R + (R - 1 - j)) * C + c] = data[((n * R + i) * R + j) * C + c];
    tf.tidy(() => {
      const uv = tf.tensor4d(data, [B, R, R, C]);
      const mask = tf.tensor4d(binaryArray(B * R * R, r), [B, R, R, 1]);
      expect(symmetryLoss(uv, mask).dataSync()[0]).toBe(0);
      expect(symmetryLoss(uv, tf.ones([B, R, R, 1])).dataSync()[0]).toBe(0);
      // and not 0 once the symmetry is broken at a visible pair
      const broken = data.slice();
      broken[0] += 10;
      expect(
        symmetryLoss(tf.tensor4d(broken, [B, R, R, C]), tf.ones([B, R, R, 1])).dataSync()[0],
      ).toBeGreaterThan(0);
    });
  });

  test('masked pixels never contribute: changing them (even to NaN) changes neither loss nor gradient', () => {
    const r = rng(4);
    const [B, R, C] = [2, 5, 3];
    const uvData = randomArray(B * R * R * C, r, 0, 255);
    const maskData = binaryArray(B * R * R, r, 0.5);
    // a pixel is "not counted" when it or its mirror is hidden
    const other = uvData.slice();
    let changed = 0;
    for (let n = 0; n < B; n++)
      for (let i = 0; i < R; i++)
        for (let j = 0; j < R; j++) {
          const k = (n * R + i) * R + j;
          const km = (n * R + i) * R + (R - 1 - j);
          if (maskData[k] * maskData[km] === 0) {
            for (let c = 0; c < C; c++) other[k * C + c] = j % 2 ? Number.NaN : 1e6;
            changed++;
          }
        }
    expect(changed).toBeGreaterThan(5);
    const mask = tf.tensor4d(maskData, [B, R, R, 1]);
    const run = (d: Float32Array) =>
      tf.tidy(() => {
        const uv = tf.tensor4d(d, [B, R, R, C]);
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => symmetryLoss(x, mask))(uv);
        return { value: value.dataSync()[0], grad: Array.from(grad.dataSync()) };
      });
    const a = run(uvData);
    const b = run(other);
    expect(b.value).toBe(a.value);
    expect(b.grad).toEqual(a.grad);
    expect(b.grad.every(Number.isFinite)).toBe(true);
    mask.dispose();
  });

  test('no visible pair gives 0 with a finite (zero) gradient', () => {
    tf.tidy(() => {
      const uv = tf.randomUniform([2, 4, 4, 3], 0, 255, 'float32', 5);
      const mask = tf.zeros([2, 4, 4, 1]);
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => symmetryLoss(x, mask))(uv);
      expect(value.dataSync()[0]).toBe(0);
      expect(Array.from(grad.dataSync()).every((g) => g === 0)).toBe(true);
    });
  });

  test('gradient matches central differences', () => {
    const r = rng(6);
    const [B, R, C] = [2, 4, 2];
    const uv = tf.tensor4d(randomArray(B * R * R * C, r, -5, 5), [B, R, R, C]);
    const mask = tf.tensor4d(binaryArray(B * R * R, r, 0.7), [B, R, R, 1]);
    for (const reduction of ['mean', 'sum'] as const) {
      const f = (x: tf.Tensor) => symmetryLoss(x, mask, { reduction });
      const g = tf.tidy(() => tf.grad(f)(uv).dataSync());
      expectClose(g, centralDifferences(f, uv), 1e-3);
    }
    tf.dispose([uv, mask]);
  });

  test('shape errors name the argument', () => {
    tf.tidy(() => {
      expect(() => symmetryLoss(tf.ones([1, 4, 5, 3]), tf.ones([1, 4, 5, 1]))).toThrow(ShapeError);
      expect(() => symmetryLoss(tf.ones([1, 4, 4, 3]), tf.ones([1, 4, 4, 3]))).toThrow(
        /symmetryLoss: mask must have shape \[B,R,R,1\]/,
      );
    });
  });

  test('does not grow the tensor count', () => {
    const uv = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 7);
    const mask = tf.ones([2, 8, 8, 1]);
    const step = () => {
      tf.tidy(() => {
        tf.grad((x: tf.Tensor) => symmetryLoss(x, mask))(uv).dataSync();
      });
      symmetryLoss(uv, mask).dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([uv, mask]);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { priorLoss } from '../src/index';
import { centralDifferences, expectClose, randomArray, rng } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('priorLoss', () => {
  test('is ‖α‖² per sample, reduced over the batch', () => {
    tf.tidy(() => {
      const alpha = tf.tensor2d([
        [1, 2, 2],
        [0, 3, 4],
      ]); // 9, 25
      expect(Array.from(priorLoss(alpha, { reduction: 'none' }).dataSync())).toEqual([9, 25]);
      expect(priorLoss(alpha, { reduction: 'sum' }).dataSync()[0]).toBe(34);
      expect(priorLoss(alpha).dataSync()[0]).toBe(17);
    });
  });

  test('gradient is 2α/B (mean) and matches central differences', () => {
    const alpha = tf.tensor2d(randomArray(4 * 10, rng(20), -3, 3), [4, 10]);
    const g = tf.tidy(() =>
      tf
        .grad((a: tf.Tensor) => priorLoss(a))(alpha)
        .dataSync(),
    );
    const expected = Array.from(alpha.dataSync(), (a) => (2 * a) / 4);
    expectClose(g, expected, 1e-6);
    expectClose(
      g,
      centralDifferences((a) => priorLoss(a), alpha),
      1e-3,
    );
    alpha.dispose();
  });

  test('rejects a non-[B,D] alpha', () => {
    tf.tidy(() => {
      expect(() => priorLoss(tf.ones([2, 3, 1]))).toThrow(
        /priorLoss: alpha must have shape \[B,D\]/,
      );
    });
  });

  test('does not grow the tensor count', () => {
    const alpha = tf.ones([2, 10]);
    const step = () => {
      tf.tidy(() => {
        tf.grad((a: tf.Tensor) => priorLoss(a))(alpha);
      });
      priorLoss(alpha).dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    alpha.dispose();
  });
});

import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import { describe, expect, test } from 'vitest';
import { mirrorColumns } from '../src/mirror';
import { symmetryLoss } from '../src/index';

describe('mirrorColumns (the UV mirror (i, j) → (i, R−1−j))', () => {
  test.each(['cpu', 'wasm'] as const)(
    'equals tf.reverse on axis 2, value and gradient, on %s',
    async (backend) => {
      await selectBackend({ backend });
      tf.tidy(() => {
        const x = tf.randomUniform([2, 5, 5, 3], -1, 1, 'float32', 1);
        const w = tf.randomUniform([2, 5, 5, 3], -1, 1, 'float32', 2);
        expect(Array.from(mirrorColumns(x).dataSync())).toEqual(
          Array.from(tf.reverse(x, 2).dataSync()),
        );
        const g1 = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(mirrorColumns(v), w)))(x);
        const g2 = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.reverse(v, 2), w)))(x);
        expect(Array.from(g1.dataSync())).toEqual(Array.from(g2.dataSync()));
      });
    },
  );

  test('symmetryLoss agrees between cpu and wasm', async () => {
    const values: number[][] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend({ backend });
      values.push(
        tf.tidy(() => {
          const uv = tf.randomUniform([2, 6, 6, 3], 0, 255, 'float32', 3);
          const mask = tf.cast(
            tf.greater(tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 4), 0.4),
            'float32',
          );
          return Array.from(symmetryLoss(uv, mask, { reduction: 'none' }).dataSync());
        }),
      );
    }
    values[0].forEach((v, k) => {
      expect(Math.abs(v - values[1][k])).toBeLessThan(1e-3 * Math.max(1, v));
    });
  });
});

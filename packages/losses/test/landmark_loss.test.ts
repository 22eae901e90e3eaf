import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@3dmm-stn/checks';
import { beforeAll, describe, expect, test } from 'vitest';
import { landmarkLoss } from '../src/index';
import { centralDifferences, expectClose, randomArray, rng } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('landmarkLoss', () => {
  // Sample 0: 1·(3² + 4²) + 0.5·(0² + 2²) = 27.  Sample 1: 2·(1² + 1²) + 0 = 4.
  const pred = () =>
    tf.tensor3d([
      [
        [0, 0],
        [1, 2],
      ],
      [
        [1, 1],
        [5, 5],
      ],
    ]);
  const target = () =>
    tf.tensor3d([
      [
        [3, 4],
        [1, 0],
      ],
      [
        [0, 0],
        [9, 9],
      ],
    ]);
  const conf = () =>
    tf.tensor2d([
      [1, 0.5],
      [2, 0],
    ]);

  test('matches the hand-computed sums for each reduction', () => {
    tf.tidy(() => {
      expect(
        Array.from(landmarkLoss(pred(), target(), conf(), { reduction: 'none' }).dataSync()),
      ).toEqual([27, 4]);
      expect(landmarkLoss(pred(), target(), conf(), { reduction: 'sum' }).dataSync()[0]).toBe(31);
      expect(landmarkLoss(pred(), target(), conf()).dataSync()[0]).toBe(15.5);
    });
  });

  test('a missing landmark (confidence 0, NaN target) keeps loss and gradient finite', () => {
    tf.tidy(() => {
      const t = tf.tensor3d([
        [
          [3, 4],
          [Number.NaN, Number.NaN],
        ],
        [
          [0, 0],
          [Number.NaN, 9],
        ],
      ]);
      const c = tf.tensor2d([
        [1, 0],
        [2, 0],
      ]);
      const loss = landmarkLoss(pred(), t, c, { reduction: 'none' });
      expect(Array.from(loss.dataSync())).toEqual([25, 4]);
      const g = tf.grad((p: tf.Tensor) => landmarkLoss(p, t, c))(pred());
      const gv = Array.from(g.dataSync());
      expect(gv.every(Number.isFinite)).toBe(true);
      // d/dp of mean_b Σ c (p − t)²: 2·c·(p − t)/B; zero for the missing landmarks.
      expect(gv).toEqual([-3, -4, 0, 0, 2, 2, 0, 0]);
    });
  });

  test('gradient matches central differences', () => {
    const r = rng(1);
    const [B, L] = [3, 5];
    const p = tf.tensor3d(randomArray(B * L * 2, r, -10, 10), [B, L, 2]);
    const t = tf.tensor3d(randomArray(B * L * 2, r, -10, 10), [B, L, 2]);
    const c = tf.tensor2d(randomArray(B * L, r, 0, 1), [B, L]);
    for (const reduction of ['mean', 'sum'] as const) {
      const f = (x: tf.Tensor) => landmarkLoss(x, t, c, { reduction });
      const g = tf.tidy(() => tf.grad(f)(p).dataSync());
      expectClose(g, centralDifferences(f, p), 2e-3);
    }
    tf.dispose([p, t, c]);
  });

  test('rejects mismatched shapes and unknown reductions, naming the argument', () => {
    tf.tidy(() => {
      expect(() => landmarkLoss(pred(), target(), tf.ones([2, 3]))).toThrow(ShapeError);
      expect(() => landmarkLoss(pred(), target(), tf.ones([2, 3]))).toThrow(
        /landmarkLoss: confidence must have shape \[B,L\]/,
      );
      expect(() => landmarkLoss(tf.ones([2, 2, 3]), target(), conf())).toThrow(/pred/);
      expect(() => landmarkLoss(pred(), target(), conf(), { reduction: 'avg' as never })).toThrow(
        /reduction must be one of 'mean', 'sum', 'none'/,
      );
    });
  });

  test('does not grow the tensor count over repeated loss + gradient calls', () => {
    const p = pred();
    const t = target();
    const c = conf();
    const step = () => {
      tf.tidy(() => {
        tf.grad((x: tf.Tensor) => landmarkLoss(x, t, c))(p).dataSync();
      });
      landmarkLoss(p, t, c).dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([p, t, c]);
  });
});

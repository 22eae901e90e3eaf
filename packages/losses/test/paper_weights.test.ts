import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  DEFAULT_LOSS_WEIGHTS,
  multiviewLoss,
  PAPER_SETTING,
  paperLossWeights,
  symmetryLoss,
} from '../src/index';
import { randomArray, rng } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('paperLossWeights', () => {
  test('in the paper setting: the landmark and prior weights unchanged, the UV ones × 18 816', () => {
    const w = paperLossWeights({ inputSize: 224, numLandmarks: 21 });
    expect(w.landmark).toBe(DEFAULT_LOSS_WEIGHTS.landmark);
    expect(w.prior).toBeCloseTo(DEFAULT_LOSS_WEIGHTS.prior, 12);
    expect(PAPER_SETTING.uvValues).toBe(18816);
    expect(w.symmetry).toBeCloseTo(1e-4 * 18816, 9);
    expect(w.multiview).toBeCloseTo(1e-4 * 18816, 9);
  });

  test('at 64² input with 68 landmarks: prior and UV weights × (64/224)² · 68/21', () => {
    const k = (64 / 224) ** 2 * (68 / 21);
    const w = paperLossWeights({ inputSize: 64, numLandmarks: 68 }, { symmetry: 2e-4 });
    expect(w.landmark).toBe(0.8998);
    expect(w.prior).toBeCloseTo(0.1 * k, 12);
    expect(w.symmetry).toBeCloseTo(2e-4 * k * 18816, 9);
    expect(w.multiview).toBeCloseTo(1e-4 * k * 18816, 9);
  });

  test("reproduces the original's UV gradients (sums over the counted values of a 112² grid, half counted)", () => {
    const R = 112;
    const C = 3;
    const r = rng(5);
    const w = paperLossWeights({ inputSize: 224, numLandmarks: 21 });
    // Top half of the rows visible: a pixel and its mirror are counted together, R²/2 pixels.
    const maskData = new Float32Array(R * R).map((_, p) => (Math.floor(p / R) < R / 2 ? 1 : 0));
    tf.tidy(() => {
      const mask = tf.tensor4d(maskData, [1, R, R, 1]);
      const uv = tf.tensor4d(randomArray(R * R * C, r, 0, 255), [1, R, R, C]);
      const uvB = tf.tensor4d(randomArray(R * R * C, r, 0, 255), [1, R, R, C]);
      // The original: gradient of w · Σ_counted Δ² (vl_nnsymmetry / vl_nnsiamese backward).
      const sumSym = (u: tf.Tensor) =>
        tf.mul(1e-4, tf.sum(tf.mul(mask, tf.square(tf.sub(u, tf.reverse(u, 2))))));
      const sumMv = (u: tf.Tensor) => tf.mul(1e-4, tf.sum(tf.mul(mask, tf.square(tf.sub(u, uvB)))));
      const ours = tf.grad((u: tf.Tensor) => tf.mul(w.symmetry, symmetryLoss(u, mask)))(uv);
      const orig = tf.grad(sumSym)(uv);
      const rel = (a: tf.Tensor, b: tf.Tensor) =>
        tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0];
      expect(rel(ours, orig)).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(orig)).dataSync()[0]).toBeGreaterThan(0.01);
      const oursMv = tf.grad((u: tf.Tensor) =>
        tf.mul(w.multiview, multiviewLoss(u, mask, uvB, mask)),
      )(uv);
      expect(rel(oursMv, tf.grad(sumMv)(uv))).toBeLessThan(1e-5);
    });
  });

  test('bad options are RangeErrors naming the option', () => {
    expect(() => paperLossWeights({ inputSize: 0, numLandmarks: 68 })).toThrow(/inputSize/);
    expect(() => paperLossWeights({ inputSize: 64, numLandmarks: 1.5 })).toThrow(/numLandmarks/);
    expect(() => paperLossWeights({ inputSize: 64, numLandmarks: 68 }, { prior: -1 })).toThrow(
      /prior/,
    );
  });
});

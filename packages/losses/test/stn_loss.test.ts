import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  DEFAULT_LOSS_WEIGHTS,
  landmarkLoss,
  multiviewLoss,
  priorLoss,
  resolveLossWeights,
  type StnLossInputs,
  stnLoss,
  symmetryLoss,
} from '../src/index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function inputs(withPairs: boolean): StnLossInputs {
  const [B, L, R, D] = [2, 4, 6, 5];
  return {
    landmarks: {
      pred: tf.randomUniform([B, L, 2], 0, 10, 'float32', 1),
      target: tf.randomUniform([B, L, 2], 0, 10, 'float32', 2),
      confidence: tf.ones([B, L]),
    },
    uv: tf.randomUniform([B, R, R, 3], 0, 255, 'float32', 3),
    mask: tf.ones([B, R, R, 1]),
    alpha: tf.randomNormal([B, D], 0, 1, 'float32', 4),
    pairs: withPairs
      ? {
          uvA: tf.randomUniform([1, R, R, 3], 0, 255, 'float32', 5),
          maskA: tf.ones([1, R, R, 1]),
          uvB: tf.randomUniform([1, R, R, 3], 0, 255, 'float32', 6),
          maskB: tf.ones([1, R, R, 1]),
        }
      : undefined,
  };
}

function value(t: tf.Tensor): number {
  return t.dataSync()[0];
}

describe('stnLoss', () => {
  test('defaults are the original training weights', () => {
    expect(DEFAULT_LOSS_WEIGHTS).toEqual({
      landmark: 0.8998,
      symmetry: 1e-4,
      multiview: 1e-4,
      prior: 0.1,
    });
    expect(Object.isFrozen(DEFAULT_LOSS_WEIGHTS)).toBe(true);
  });

  test('each term equals its loss function and the total is the weighted sum', () => {
    tf.tidy(() => {
      const x = inputs(true);
      const terms = stnLoss()(x);
      const l = value(landmarkLoss(x.landmarks.pred, x.landmarks.target, x.landmarks.confidence));
      const s = value(symmetryLoss(x.uv, x.mask));
      const m = value(multiviewLoss(x.pairs!.uvA, x.pairs!.maskA, x.pairs!.uvB, x.pairs!.maskB));
      const p = value(priorLoss(x.alpha));
      expect(value(terms.landmark)).toBe(l);
      expect(value(terms.symmetry)).toBe(s);
      expect(value(terms.multiview)).toBe(m);
      expect(value(terms.prior)).toBe(p);
      expect(m).toBeGreaterThan(0);
      for (const t of Object.values(terms)) expect(t.shape).toEqual([]);
      const w = DEFAULT_LOSS_WEIGHTS;
      const expected = w.landmark * l + w.symmetry * s + w.multiview * m + w.prior * p;
      expect(Math.abs(value(terms.total) - expected)).toBeLessThan(1e-6 * expected);
      const custom = stnLoss({ landmark: 1, symmetry: 0, multiview: 2, prior: 0 })(x);
      expect(Math.abs(value(custom.total) - (l + 2 * m))).toBeLessThan(1e-6 * (l + 2 * m));
      expect(value(custom.symmetry)).toBe(s); // reported even with weight 0
    });
  });

  test('without pairs the multi-view term is 0', () => {
    tf.tidy(() => {
      const terms = stnLoss()(inputs(false));
      expect(value(terms.multiview)).toBe(0);
    });
  });

  test('weights are validated: unknown keys, negative, non-finite and non-numbers rejected', () => {
    expect(() => stnLoss({ landmrk: 1 } as never)).toThrow(/unknown weight 'landmrk'/);
    expect(() => stnLoss({ prior: -1 })).toThrow(
      /weights.prior must be a non-negative finite number/,
    );
    expect(() => stnLoss({ prior: Number.NaN })).toThrow(RangeError);
    expect(() => stnLoss({ symmetry: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => stnLoss({ multiview: '1' as never })).toThrow(RangeError);
    const given = { prior: 0.5 };
    expect(resolveLossWeights(given)).toEqual({ ...DEFAULT_LOSS_WEIGHTS, prior: 0.5 });
    expect(given).toEqual({ prior: 0.5 }); // not mutated
  });

  test('an Adam step on the total: finite gradients, no tensor growth', () => {
    const x = inputs(true);
    const pred = tf.variable(x.landmarks.pred);
    const alpha = tf.variable(x.alpha);
    const uv = tf.variable(x.uv);
    const loss = stnLoss();
    const opt = tf.train.adam(0.01);
    const step = () => {
      const cost = opt.minimize(() => {
        const t = loss({ ...x, landmarks: { ...x.landmarks, pred }, alpha, uv });
        tf.dispose([t.landmark, t.symmetry, t.multiview, t.prior]);
        return t.total;
      }, true);
      const v = value(cost!);
      cost!.dispose();
      return v;
    };
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 10; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(first);
    tf.dispose([pred, alpha, uv]);
  });
});

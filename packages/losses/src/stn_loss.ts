import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_LOSS_WEIGHTS, type LossWeights } from './constants';
import { landmarkLoss } from './landmark_loss';
import { multiviewLoss } from './multiview_loss';
import { priorLoss } from './prior_loss';
import { symmetryLoss } from './symmetry_loss';

/** What one training step hands to the loss. */
export interface StnLossInputs {
  landmarks: {
    /** `[B, L, 2]` pixel coordinates projected from the model. */
    pred: tf.Tensor;
    /** `[B, L, 2]` observed pixel coordinates (NaN allowed where confidence is 0). */
    target: tf.Tensor;
    /** `[B, L]` landmark weights. */
    confidence: tf.Tensor;
  };
  /** `[B, R, R, C]` sampled UV images. */
  uv: tf.Tensor;
  /** `[B, R, R, 1]` visibility masks of `uv`. */
  mask: tf.Tensor;
  /** `[B, D]` shape coefficients. */
  alpha: tf.Tensor;
  /** Pairs of views of the same faces for the siamese loss; omit for none. */
  pairs?: {
    uvA: tf.Tensor; // [P, R, R, C]
    maskA: tf.Tensor; // [P, R, R, 1]
    uvB: tf.Tensor; // [P, R, R, C]
    maskB: tf.Tensor; // [P, R, R, 1]
  };
}

/** Scalar tensors; the caller owns (and disposes) all five. */
export interface StnLossTerms {
  /** Σ weightₖ · termₖ */
  total: tf.Scalar;
  landmark: tf.Scalar;
  symmetry: tf.Scalar;
  /** 0 when no `pairs` were given. */
  multiview: tf.Scalar;
  prior: tf.Scalar;
}

const KEYS = Object.keys(DEFAULT_LOSS_WEIGHTS) as (keyof LossWeights)[];

/**
 * Validates `weights` (known keys only, non-negative finite numbers) and fills the
 * missing ones from {@link DEFAULT_LOSS_WEIGHTS}. Does not mutate its argument.
 */
export function resolveLossWeights(weights: Partial<LossWeights> = {}): Readonly<LossWeights> {
  if (weights === null || typeof weights !== 'object') {
    throw new TypeError(`Error in stnLoss: weights must be an object, but got ${weights}.`);
  }
  for (const key of Object.keys(weights)) {
    if (!KEYS.includes(key as keyof LossWeights)) {
      throw new RangeError(
        `Error in stnLoss: unknown weight '${key}' (expected some of ${KEYS.join(', ')}).`,
      );
    }
  }
  const out = { ...DEFAULT_LOSS_WEIGHTS };
  for (const key of KEYS) {
    const w = weights[key];
    if (w === undefined) continue;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new RangeError(
        `Error in stnLoss: weights.${key} must be a non-negative finite number, but got ${w}.`,
      );
    }
    out[key] = w;
  }
  return Object.freeze(out);
}

/**
 * The 3DMM-STN training objective: returns a function that computes the four terms
 * (each with `reduction: 'mean'`, i.e. averaged over the batch) and their weighted sum.
 *
 * Every term is computed and reported even when its weight is 0. Without `pairs` the
 * multi-view term is 0. The returned tensors are the caller's to dispose (inside
 * `optimizer.minimize` / `tf.variableGrads` return `total` and dispose the others).
 *
 * @param weights overrides of {@link DEFAULT_LOSS_WEIGHTS} (the original's weights).
 */
export function stnLoss(
  weights: Partial<LossWeights> = {},
): (inputs: StnLossInputs) => StnLossTerms {
  const w = resolveLossWeights(weights);
  return (inputs) =>
    tf.tidy(() => {
      const { landmarks, uv, mask, alpha, pairs } = inputs;
      const landmark = landmarkLoss(landmarks.pred, landmarks.target, landmarks.confidence);
      const symmetry = symmetryLoss(uv, mask);
      const multiview = pairs
        ? multiviewLoss(pairs.uvA, pairs.maskA, pairs.uvB, pairs.maskB)
        : tf.scalar(0);
      const prior = priorLoss(alpha);
      const total = tf.addN([
        tf.mul(landmark, w.landmark),
        tf.mul(symmetry, w.symmetry),
        tf.mul(multiview, w.multiview),
        tf.mul(prior, w.prior),
      ]);
      // a type alias (not the interface) satisfies tidy's TensorContainer index signature
      const terms: Record<keyof StnLossTerms, tf.Scalar> = {
        total,
        landmark,
        symmetry,
        multiview,
        prior,
      } as Record<keyof StnLossTerms, tf.Scalar>;
      return terms;
    });
}

import * as tf from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/checks';
import { checkReduction, type Reduction, reduceBatch } from './reduction';

/** Options shared by the losses. */
export interface LossOptions {
  /** How per-sample losses are combined over the batch. Default `'mean'`. */
  reduction?: Reduction;
}

/**
 * Landmark loss, paper eq. 1: per sample Σᵢ cᵢ ‖Lᵢ − lᵢ‖², summed (not averaged) over
 * the L landmarks, then reduced over the batch.
 *
 * **Convention:** `pred` and `target` are (x, y) pixel coordinates in the same frame
 * (DESIGN: x right, y down, pixel centres at integers). `confidence` weights each landmark;
 * a missing landmark has confidence 0 and may hold NaN (or anything) in `target`: it is
 * replaced by 0 with `where` before the difference, so the loss and its gradient stay
 * finite. A NaN target with a non-zero confidence is the caller's error and gives NaN.
 *
 * @param pred `[B, L, 2]` predicted landmark positions (differentiable).
 * @param target `[B, L, 2]` observed positions (constant).
 * @param confidence `[B, L]` non-negative weights (constant).
 * @returns a scalar, or `[B]` with `reduction: 'none'`.
 */
export function landmarkLoss(
  pred: tf.Tensor,
  target: tf.Tensor,
  confidence: tf.Tensor,
  options: LossOptions = {},
): tf.Tensor {
  const op = 'landmarkLoss';
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  const dims = assertShape(op, 'pred', pred.shape, ['B', 'L', 2]);
  assertShape(op, 'target', target.shape, ['B', 'L', 2], dims);
  assertShape(op, 'confidence', confidence.shape, ['B', 'L'], dims);
  return tf.tidy(() => {
    const c = tf.expandDims(confidence, 2); // [B, L, 1]
    // c ≤ 0 as −c ≥ 0: GreaterEqual has a (zero) gradient in tfjs and Greater has none, so
    // this stays differentiable when the confidences are themselves on the tape.
    const missing = tf.greaterEqual(tf.neg(c), 0);
    const safeTarget = tf.where(missing, tf.zerosLike(target), target);
    const sq = tf.square(tf.sub(pred, safeTarget)); // [B, L, 2]
    const perSample = tf.sum(tf.mul(c, sq), [1, 2]) as tf.Tensor1D;
    return reduceBatch(perSample, reduction);
  });
}

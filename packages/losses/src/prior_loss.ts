import * as tf from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/checks';
import type { LossOptions } from './landmark_loss';
import { checkReduction, reduceBatch } from './reduction';

/**
 * Statistical prior loss: per sample ‖α‖² = Σₖ αₖ², then reduced over the batch.
 *
 * **Convention:** the shape basis is scaled by the square roots of the PCA variances
 * (DESIGN), so α ~ N(0, I) and ‖α‖² is the negative log-likelihood up to a factor ½ and
 * a constant.
 *
 * @param alpha `[B, D]` shape coefficients (θ[6 …]).
 * @returns a scalar, or `[B]` with `reduction: 'none'`.
 */
export function priorLoss(alpha: tf.Tensor, options: LossOptions = {}): tf.Tensor {
  const op = 'priorLoss';
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  assertShape(op, 'alpha', alpha.shape, ['B', 'D']);
  return tf.tidy(() => reduceBatch(tf.sum(tf.square(alpha), 1) as tf.Tensor1D, reduction));
}

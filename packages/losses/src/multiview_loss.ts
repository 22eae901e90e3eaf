import * as tf from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/checks';
import type { LossOptions } from './landmark_loss';
import { maskedMeanSquaredDifference } from './masked_difference';
import { checkReduction, reduceBatch } from './reduction';

/**
 * Siamese multi-view loss, paper eq. 3: two images of the same face must sample the same
 * colours at the same UV pixel wherever both see it.
 *
 * Per pair b:
 *
 *   Σ_{i,j,c} w_ij (uA_ijc − uB_ijc)² / max(C · Σ_{i,j} w_ij, 1),   w = maskA ⊙ maskB,
 *
 * the mean squared difference per channel value over the pixels visible in both images;
 * 0 when they share none. Then reduced over the batch (of pairs).
 *
 * **Convention:** pair b is (uvA[b], uvB[b]); both are UV images on the same grid. Masks
 * are constants; a pixel hidden in either image never contributes and may hold anything,
 * NaN included. The original (`vl_nnsiamese`, pairs interleaved in one batch) divided by
 * the number of non-zero values in the whole batch.
 *
 * @param uvA `[B, R, R, C]`
 * @param maskA `[B, R, R, 1]`
 * @param uvB `[B, R, R, C]`
 * @param maskB `[B, R, R, 1]`
 * @returns a scalar, or `[B]` with `reduction: 'none'`.
 */
export function multiviewLoss(
  uvA: tf.Tensor,
  maskA: tf.Tensor,
  uvB: tf.Tensor,
  maskB: tf.Tensor,
  options: LossOptions = {},
): tf.Tensor {
  const op = 'multiviewLoss';
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  const dims = assertShape(op, 'uvA', uvA.shape, ['B', 'R', 'R', 'C']);
  assertShape(op, 'maskA', maskA.shape, ['B', 'R', 'R', 1], dims);
  assertShape(op, 'uvB', uvB.shape, ['B', 'R', 'R', 'C'], dims);
  assertShape(op, 'maskB', maskB.shape, ['B', 'R', 'R', 1], dims);
  return tf.tidy(() =>
    reduceBatch(maskedMeanSquaredDifference(uvA, uvB, tf.mul(maskA, maskB)), reduction),
  );
}

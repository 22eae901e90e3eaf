import * as tf from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/checks';
import type { LossOptions } from './landmark_loss';
import { maskedMeanSquaredDifference } from './masked_difference';
import { mirrorColumns } from './mirror';
import { checkReduction, reduceBatch } from './reduction';

/**
 * Bilateral symmetry loss, paper eq. 2: every UV pixel against its mirror.
 *
 * Per sample, with u the UV image, m the mask and u′, m′ their mirrors
 * (u′(i, j) = u(i, R−1−j)):
 *
 *   Σ_{i,j,c} w_ij (u_ijc − u′_ijc)² / max(C · Σ_{i,j} w_ij, 1),   w = m ⊙ m′,
 *
 * i.e. the mean squared difference per channel value over the pixels that are visible
 * together with their mirror (each pair is counted from both sides, which leaves the
 * mean unchanged); 0 when no pair is visible. Then reduced over the batch.
 *
 * **Convention:** UV grid row 0 at the top of the face; the embedding is left-right
 * symmetric, so the mirror of pixel (i, j) is (i, R−1−j) (DESIGN). The mask is a constant
 * (binary visibility, or weights in [0, 1]); pixels with mask 0 never contribute and may
 * hold anything, NaN included. The original (MatConvNet `vl_nnsymmetry`) divided by the
 * number of non-zero values in the whole batch instead of the counted pairs per sample.
 *
 * @param uv `[B, R, R, C]` sampled UV image.
 * @param mask `[B, R, R, 1]` visibility (1 visible, 0 hidden or off-mesh).
 * @returns a scalar, or `[B]` with `reduction: 'none'`.
 */
export function symmetryLoss(uv: tf.Tensor, mask: tf.Tensor, options: LossOptions = {}): tf.Tensor {
  const op = 'symmetryLoss';
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  const dims = assertShape(op, 'uv', uv.shape, ['B', 'R', 'R', 'C']);
  assertShape(op, 'mask', mask.shape, ['B', 'R', 'R', 1], dims);
  return tf.tidy(() => {
    const mirrored = mirrorColumns(uv);
    const w = tf.mul(mask, mirrorColumns(mask));
    return reduceBatch(maskedMeanSquaredDifference(uv, mirrored, w), reduction);
  });
}

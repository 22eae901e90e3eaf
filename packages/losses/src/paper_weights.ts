import { DEFAULT_LOSS_WEIGHTS, type LossWeights } from './constants';
import { resolveLossWeights } from './stn_loss';

/**
 * The setting the original weights were tuned in (anilbas/3DMMasSTN): 224² input, 21 landmark
 * pairs summed in pixels², and — through the MatConvNet layers' backward passes, which return
 * 2·w·Δ per value without the forward's normalisation — the UV terms' gradients summed over the
 * counted values of a 112² × 3 UV image (about half of them: a pixel and its mirror, or a pixel
 * in both views, visible).
 */
export const PAPER_SETTING = Object.freeze({
  inputSize: 224,
  numLandmarks: 21,
  /** C · R² · ½ at the paper's 112² grid: the number of values its UV sums ran over. */
  uvValues: (3 * 112 * 112) / 2,
});

export interface PaperWeightsOptions {
  /** Side of the localiser's input (px): landmark errors are in these pixels. */
  inputSize: number;
  /** Landmarks the landmark loss sums over (with non-zero confidence). */
  numLandmarks: number;
}

/**
 * Weights for *these* (normalised) terms that keep the balance the original weights had in
 * the original's setting (`PAPER_SETTING`). The landmark loss is a sum over L landmarks in
 * input pixels², so the same relative error costs k = (S / 224)² · (L / 21) times what it did in
 * the original; the prior and the UV terms do not depend on S or L, so they are scaled by k to
 * keep their ratio to the landmark term; the UV terms here are means per counted value where
 * the original's gradients were sums, so they are also scaled by `PAPER_SETTING.uvValues`:
 *
 *   landmark = w_lm,  prior = w_prior · k,  symmetry = w_sym · k · 18 816,  multiview = w_mv · k · 18 816.
 *
 * At S = 224, L = 21 the weighted terms' gradients equal the original's when half the 112² grid's
 * pixels are counted (tested). With the weights used as they are on these terms instead, the
 * UV terms are ~10⁴ times weaker than in the original and change nothing that is learned.
 *
 * @param weights the original's weights (default `DEFAULT_LOSS_WEIGHTS`), validated.
 */
export function paperLossWeights(
  options: PaperWeightsOptions,
  weights: Partial<LossWeights> = DEFAULT_LOSS_WEIGHTS,
): Readonly<LossWeights> {
  const { inputSize, numLandmarks } = options;
  if (!(Number.isFinite(inputSize) && inputSize > 0))
    throw new RangeError(
      `Error in paperLossWeights: inputSize must be a positive number, but got ${inputSize}.`,
    );
  if (!(Number.isInteger(numLandmarks) && numLandmarks > 0))
    throw new RangeError(
      `Error in paperLossWeights: numLandmarks must be a positive integer, but got ${numLandmarks}.`,
    );
  const w = resolveLossWeights(weights);
  const k =
    (inputSize / PAPER_SETTING.inputSize) ** 2 * (numLandmarks / PAPER_SETTING.numLandmarks);
  return Object.freeze({
    landmark: w.landmark,
    prior: w.prior * k,
    symmetry: w.symmetry * k * PAPER_SETTING.uvValues,
    multiview: w.multiview * k * PAPER_SETTING.uvValues,
  });
}

/** Weights of the four loss terms in the total. */
export interface LossWeights {
  /** Landmark loss (eq. 1). */
  landmark: number;
  /** Bilateral symmetry loss (eq. 2). */
  symmetry: number;
  /** Siamese multi-view loss (eq. 3). */
  multiview: number;
  /** Statistical prior ‖α‖². */
  prior: number;
}

/**
 * The original training weights (anilbas/3DMMasSTN): landmark 0.8998, prior 0.1,
 * siamese multi-view 1e-4, symmetry 1e-4.
 */
export const DEFAULT_LOSS_WEIGHTS: Readonly<LossWeights> = Object.freeze({
  landmark: 0.8998,
  symmetry: 1e-4,
  multiview: 1e-4,
  prior: 0.1,
});

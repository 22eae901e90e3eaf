import { slice, type Tensor2D } from '@tensorflow/tfjs-core';
import { assertShape, ShapeError } from '@3dmm-stn/morphable-model';

/** The parts of θ, each a new tensor the caller disposes. */
export interface ThetaParts {
  /** [B, 3] axis-angle rotation, radians. */
  r: Tensor2D;
  /** [B, 2] translation (x, y), pixels. */
  t: Tensor2D;
  /** [B, 1] natural log of the scale (pixels per model unit). */
  logS: Tensor2D;
  /** [B, D] shape coefficients (D may be 0). */
  alpha: Tensor2D;
}

/**
 * Splits θ into its parts.
 *
 * **Convention:** θ layout `[r0 r1 r2, tx ty, log s, α0 … αD-1]` — the order of the paper and
 * the original MatConvNet code.
 *
 * @param theta [B, 6 + D].
 * @returns r [B, 3], t [B, 2], logS [B, 1], alpha [B, D]; slices, differentiable.
 * @throws ShapeError if theta is not 2-D with at least 6 columns.
 */
export function splitTheta(theta: Tensor2D): ThetaParts {
  const { B, P } = assertShape('splitTheta', 'theta', theta.shape, ['B', 'P']);
  if (P < 6) {
    throw new ShapeError(
      `Error in splitTheta: theta must have shape [B,6+D], but got [${theta.shape.join(',')}].`,
    );
  }
  return {
    r: slice(theta, [0, 0], [B, 3]),
    t: slice(theta, [0, 3], [B, 2]),
    logS: slice(theta, [0, 5], [B, 1]),
    alpha: slice(theta, [0, 6], [B, P - 6]),
  };
}

/**
 * `fitLandmarks`: θ for faces given their 68 ibug landmarks — the entry point the CLI and the web
 * app call (face detection stays with them).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { type OptimiseOptions, type OptimiseResult, optimiseTheta } from './optimise';
import type { FitStn } from './stn';

export interface FitLandmarksOptions extends OptimiseOptions {
  /**
   * [B, S, S, 3] the images the landmarks are in (0…255), for the symmetry term; omitted → no
   * symmetry term (landmarks and prior only).
   */
  images?: tf.Tensor4D;
}

/**
 * θ [6 + D] per face, in the pixels of the landmarks' image.
 *
 * @param landmarks [B, 68, 2] ibug-68 landmarks (x, y) in pixels, 0-based ibug order; NaN marks a
 *   point that is missing. Only the points the model has (`grid.landmarkIds`) are used.
 */
export function fitLandmarks(
  stn: FitStn,
  landmarks: ArrayLike<number>,
  options: FitLandmarksOptions = {},
): OptimiseResult {
  if (landmarks.length === 0 || landmarks.length % 136 !== 0) {
    throw new RangeError(
      `fitLandmarks: landmarks must be [B, 68, 2] (a multiple of 136 values), got ${landmarks.length}.`,
    );
  }
  const ids = stn.grid.landmarkIds;
  const L = ids.length;
  const B = landmarks.length / 136;
  const target = new Float32Array(B * 2 * L);
  const conf = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    for (let l = 0; l < L; l++) {
      const id: number = ids[l];
      const x = landmarks[136 * b + 2 * (id - 1)];
      const y = landmarks[136 * b + 2 * (id - 1) + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      target[2 * (b * L + l)] = x;
      target[2 * (b * L + l) + 1] = y;
      conf[b * L + l] = 1;
    }
  }
  return optimiseTheta(stn, target, conf, options.images, options);
}

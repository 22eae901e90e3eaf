import { type LocaliserConfig, resolveLocaliserConfig } from './config';
import { POSE_DIMS } from './constants';

/**
 * The θ the untrained localiser outputs (its head bias), as in the original:
 * r = 0 (frontal), t = the image centre, log s such that the mean face spans `fill` of
 * the crop width, α = 0 (the mean face).
 *
 * **Convention:** θ = `[r0 r1 r2, tx ty, log s, α0 … αD-1]`; t in input pixels with pixel
 * (row i, column j) centred at (x = j, y = i), so the centre of an S×S crop is
 * ((S−1)/2, (S−1)/2); s in pixels per millimetre, log s = log(fill · S / meanFaceWidth)
 * unless `initialLogScale` is given.
 *
 * @returns `[6 + D]`
 */
export function initialTheta(config: LocaliserConfig = {}): Float32Array {
  const c = resolveLocaliserConfig(config);
  const theta = new Float32Array(POSE_DIMS + c.shapeDims);
  const centre = (c.inputSize - 1) / 2;
  theta[3] = centre;
  theta[4] = centre;
  theta[5] = c.initialLogScale ?? Math.log((c.fill * c.inputSize) / c.meanFaceWidth);
  return theta;
}

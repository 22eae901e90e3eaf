/**
 * Horizontal flips of faces and their ibug-68 landmarks (FORMATS.md): flipping the image swaps
 * left and right, so point i moves to the mirror index `IBUG_FLIP[i]` (0-based) and its x becomes
 * `width − 1 − x` (pixel centres at integer coordinates).
 */

import { IBUG_FLIP } from '@3dmm-stn/morphable-model';

export { IBUG_FLIP };

/**
 * Flip landmarks `[68, 2]` (interleaved) of an image `width` pixels wide: out[IBUG_FLIP[i]] =
 * (width − 1 − x_i, y_i). NaN (undefined) points stay NaN.
 */
export function flipLandmarks(points: Float32Array, width: number): Float32Array {
  const n = points.length / 2;
  if (n !== 68) throw new Error(`flipLandmarks: expected 68 points, got ${n}`);
  const out = new Float32Array(points.length);
  for (let i = 0; i < n; i++) {
    const j = IBUG_FLIP[i];
    out[2 * j] = width - 1 - points[2 * i];
    out[2 * j + 1] = points[2 * i + 1];
  }
  return out;
}

/** Permute a per-landmark array `[68]` (visibility, confidence) the same way. */
export function flipPerLandmark<T extends Float32Array | Uint8Array>(values: T): T {
  const out = values.slice() as T;
  for (let i = 0; i < 68; i++) out[IBUG_FLIP[i]] = values[i];
  return out;
}

/** Mirror an HWC image left-right. `[H, W, C]` interleaved. */
export function flipImage(
  data: Float32Array,
  width: number,
  height: number,
  channels: number,
): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const src = row + x * channels;
      const dst = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = data[src + c];
    }
  }
  return out;
}

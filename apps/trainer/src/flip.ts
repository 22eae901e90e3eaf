/**
 * Horizontal flips of faces and their ibug-68 landmarks (FORMATS.md): flipping the image swaps
 * left and right, so point i moves to the mirror index `IBUG_FLIP[i]` (0-based) and its x becomes
 * `width − 1 − x` (pixel centres at integer coordinates).
 */

// 1-based mirror pairs from FORMATS.md; the points not listed map to themselves.
const PAIRS_1B: [number, number][] = [
  [1, 17],
  [2, 16],
  [3, 15],
  [4, 14],
  [5, 13],
  [6, 12],
  [7, 11],
  [8, 10],
  [18, 27],
  [19, 26],
  [20, 25],
  [21, 24],
  [22, 23],
  [32, 36],
  [33, 35],
  [37, 46],
  [38, 45],
  [39, 44],
  [40, 43],
  [41, 48],
  [42, 47],
  [49, 55],
  [50, 54],
  [51, 53],
  [56, 60],
  [57, 59],
  [61, 65],
  [62, 64],
  [66, 68],
];

/** `[68]` 0-based: the ibug index that point i becomes after a horizontal flip. */
export const IBUG_FLIP: Int32Array = (() => {
  const p = new Int32Array(68);
  for (let i = 0; i < 68; i++) p[i] = i;
  for (const [a, b] of PAIRS_1B) {
    p[a - 1] = b - 1;
    p[b - 1] = a - 1;
  }
  return p;
})();

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

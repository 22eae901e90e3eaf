/**
 * Pixel conversions between the browser's canvases (RGBA bytes) and the fit's arrays (RGB float
 * 0…255, NHWC). Pure functions on typed arrays: no DOM, unit-tested in Node.
 *
 * Convention: row-major `[height, width, channels]`, row 0 at the top; the UV image's row 0 is
 * the top of the face (DESIGN.md).
 */

/**
 * `[H, W, C]` RGB (C = 3) or RGBA (C = 4) bytes → `[H, W, 3]` float32 RGB 0…255 (alpha dropped,
 * as the CLI's decode).
 */
export function toRgbFloat(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: 3 | 4 = 4,
): Float32Array {
  const n = width * height;
  const C = channels;
  if (data.length !== C * n)
    throw new RangeError(
      `toRgbFloat: expected ${width}×${height}×${C} = ${C * n} values, got ${data.length}.`,
    );
  const out = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) {
    out[3 * p] = data[C * p];
    out[3 * p + 1] = data[C * p + 1];
    out[3 * p + 2] = data[C * p + 2];
  }
  return out;
}

/**
 * `[R, R, 3]` float RGB (0…255) → `[R, R, 4]` RGBA bytes for a canvas; with `mask` (`[R, R]`,
 * 0/1) the pixels where the mask is < 0.5 become black (the CLI's `uv_masked.png`).
 * Values are rounded and clamped to 0…255 (the sampler's bilinear mix stays inside for 8-bit
 * photos; clamping only guards the PNG encoder).
 */
export function rgbToRgba(
  rgb: ArrayLike<number>,
  mask?: ArrayLike<number>,
): Uint8ClampedArray<ArrayBuffer> {
  const n = rgb.length / 3;
  if (!Number.isInteger(n)) throw new RangeError(`rgbToRgba: length ${rgb.length} is not 3·n.`);
  if (mask && mask.length !== n)
    throw new RangeError(`rgbToRgba: mask must have ${n} values, got ${mask.length}.`);
  const out = new Uint8ClampedArray(4 * n);
  for (let p = 0; p < n; p++) {
    const keep = !mask || mask[p] >= 0.5;
    out[4 * p] = keep ? rgb[3 * p] : 0;
    out[4 * p + 1] = keep ? rgb[3 * p + 1] : 0;
    out[4 * p + 2] = keep ? rgb[3 * p + 2] : 0;
    out[4 * p + 3] = 255;
  }
  return out;
}

/**
 * `[H, W]` non-negative values → `[H, W, 4]` RGBA bytes of a heat map (black → red → yellow →
 * white), scaled so that the `quantile` (default 0.99) of the values is full scale: a gradient
 * image's few large entries do not hide the rest.
 */
export function heatmapRgba(
  values: ArrayLike<number>,
  quantile = 0.99,
): Uint8ClampedArray<ArrayBuffer> {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const top = sorted[Math.min(n - 1, Math.floor(quantile * (n - 1)))] || sorted[n - 1] || 1;
  const out = new Uint8ClampedArray(4 * n);
  for (let p = 0; p < n; p++) {
    const v = Math.min(1, Math.max(0, values[p] / top)) * 3;
    out[4 * p] = Math.round(255 * Math.min(1, v));
    out[4 * p + 1] = Math.round(255 * Math.min(1, Math.max(0, v - 1)));
    out[4 * p + 2] = Math.round(255 * Math.min(1, Math.max(0, v - 2)));
    out[4 * p + 3] = 255;
  }
  return out;
}

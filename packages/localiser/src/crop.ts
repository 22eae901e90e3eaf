/**
 * The face crop: one implementation for training, the CLI's `fit`, the web app and the
 * pretrained network, so that a network sees at inference exactly the pixels it was trained on.
 *
 * Convention: the crop is a square of the photo, `[x0, x0 + side) × [y0, y0 + side)` in photo
 * pixels, resampled to `size × size`. Pixel centres are at integer coordinates in both images, so
 * with k = size / side a photo point x maps to crop pixel `(x − x0 + ½)·k − ½` and back by
 * `x0 + (x + ½)/k − ½`. Outside the photo the crop is black.
 *
 * The resampler is separable with a triangle (tent) kernel whose radius is max(1, 1/k) source
 * pixels: bilinear interpolation when enlarging (k ≥ 1), and when shrinking a tent as wide as an
 * output pixel, so every source pixel contributes (no aliasing; the antialiased bilinear of
 * PIL/torchvision). Weights are normalised over the whole kernel, pixels outside the photo
 * counting as black, so away from the photo's border a linear image is reproduced exactly when
 * enlarging or shrinking by an integer factor (and to within the kernel's discretisation
 * otherwise).
 * Plain TypeScript on typed arrays: no Node built-in, no tfjs.
 */

/** An image in memory: row-major `[height, width, channels]`, row 0 at the top. */
export interface PixelImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA, alpha ignored). @default 3 */
  channels?: number;
}

/** The square of the photo a crop covers: photo pixels, integers. */
export interface CropBox {
  x0: number;
  y0: number;
  side: number;
}

/** A crop box and the crop's side in pixels: the crop ↔ photo transform. */
export interface CropTransform extends CropBox {
  /** Side of the crop image, pixels. */
  size: number;
}

export interface CroppedFace {
  /** `[size, size, 3]` float32 RGB, the photo's value range (0…255 for 8-bit photos). */
  image: Float32Array;
  transform: CropTransform;
}

/**
 * The square crop box around the finite landmarks: centred on their bounding box, side
 * `max(w, h)·(1 + 2·margin)` rounded (≥ 2), corner rounded to integers.
 *
 * @param landmarks `[N, 2]` (x, y) photo pixels; NaN points are ignored.
 * @throws RangeError if no landmark is finite or margin is negative.
 */
export function cropBoxAround(landmarks: ArrayLike<number>, margin = 0.25): CropBox {
  if (!(margin >= 0)) throw new RangeError(`cropBoxAround: margin must be ≥ 0, got ${margin}.`);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i + 1 < landmarks.length; i += 2) {
    const x = landmarks[i];
    const y = landmarks[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (!Number.isFinite(minX)) throw new RangeError('cropBoxAround: no finite landmark.');
  const side = Math.max(2, Math.round(Math.max(maxX - minX, maxY - minY) * (1 + 2 * margin)));
  return {
    x0: Math.round((minX + maxX) / 2 - side / 2),
    y0: Math.round((minY + maxY) / 2 - side / 2),
    side,
  };
}

/**
 * The square crop box around a face detector's box `[x, y, width, height]`: centred on the box,
 * side `max(w, h)·(1 + 2·margin)` rounded (≥ 2), corner rounded to integers, returned as
 * `[x0, y0, side]`. The crop the pretrained localiser is trained on and run on (the detector box
 * is all it gets at inference): the trainer, the CLI and the web app call this one.
 */
export function squareAroundBox(
  box: readonly [number, number, number, number] | readonly number[],
  margin: number,
): [number, number, number] {
  const [x, y, w, h] = box;
  const side = Math.max(2, Math.round(Math.max(w, h) * (1 + 2 * margin)));
  return [Math.round(x + w / 2 - side / 2), Math.round(y + h / 2 - side / 2), side];
}

/**
 * Crops `box` out of `photo` and resamples it to `size × size` (see the module comment).
 *
 * @throws RangeError for a malformed image, box or size.
 */
export function cropFace(photo: PixelImage, box: CropBox, size: number): CroppedFace {
  const { width: W, height: H } = photo;
  const C = photo.channels ?? 3;
  if (!(Number.isInteger(W) && W > 0 && Number.isInteger(H) && H > 0))
    throw new RangeError(
      `cropFace: photo width and height must be positive integers, got ${W}×${H}.`,
    );
  if (C !== 3 && C !== 4)
    throw new RangeError(`cropFace: photo.channels must be 3 or 4, got ${C}.`);
  if (photo.data.length !== W * H * C) {
    throw new RangeError(
      `cropFace: photo.data must have width·height·channels = ${W}·${H}·${C} = ${W * H * C} values, got ${photo.data.length}.`,
    );
  }
  if (!(Number.isInteger(size) && size > 0))
    throw new RangeError(`cropFace: size must be a positive integer, got ${size}.`);
  const { x0, y0, side } = box;
  if (!(Number.isFinite(x0) && Number.isFinite(y0) && side > 0 && Number.isFinite(side)))
    throw new RangeError(
      `cropFace: box must have finite x0, y0 and side > 0, got ${JSON.stringify(box)}.`,
    );
  const transform: CropTransform = { x0, y0, side, size };
  const k = size / side;
  const cols = kernel(x0, k, size, W);
  const rows = kernel(y0, k, size, H);
  const d = photo.data;
  // Horizontal pass over the source rows the vertical kernel reads: [rows used, size, 3].
  const rowSlot = new Int32Array(H).fill(-1);
  let used = 0;
  for (const r of rows.index) if (r >= 0 && rowSlot[r] < 0) rowSlot[r] = used++;
  const tmp = new Float64Array(used * size * 3);
  for (let r = 0; r < H; r++) {
    const slot = rowSlot[r];
    if (slot < 0) continue;
    const src = r * W * C;
    for (let j = 0; j < size; j++) {
      let a = 0;
      let b = 0;
      let c = 0;
      for (let t = cols.start[j]; t < cols.start[j + 1]; t++) {
        const w = cols.weight[t];
        const o = src + cols.index[t] * C;
        a += w * d[o];
        b += w * d[o + 1];
        c += w * d[o + 2];
      }
      const o = 3 * (slot * size + j);
      tmp[o] = a;
      tmp[o + 1] = b;
      tmp[o + 2] = c;
    }
  }
  const out = new Float32Array(size * size * 3);
  for (let i = 0; i < size; i++) {
    for (let t = rows.start[i]; t < rows.start[i + 1]; t++) {
      const w = rows.weight[t];
      const base = 3 * rowSlot[rows.index[t]] * size;
      const o = 3 * i * size;
      for (let q = 0; q < 3 * size; q++) out[o + q] += w * tmp[base + q];
    }
  }
  return { image: out, transform };
}

/**
 * Per output pixel, the source pixels inside [0, n) and their weights (CSR: `start` [size + 1]).
 * Weights are normalised over the kernel's full support, so the part outside the photo is black.
 */
function kernel(
  origin: number,
  k: number,
  size: number,
  n: number,
): { start: Int32Array; index: Int32Array; weight: Float64Array } {
  const radius = Math.max(1, 1 / k);
  const start = new Int32Array(size + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let j = 0; j < size; j++) {
    const centre = origin + (j + 0.5) / k - 0.5;
    const lo = Math.ceil(centre - radius);
    const hi = Math.floor(centre + radius);
    let total = 0;
    const from = index.length;
    for (let s = lo; s <= hi; s++) {
      const w = 1 - Math.abs(s - centre) / radius;
      if (w <= 0) continue;
      total += w;
      if (s < 0 || s >= n) continue;
      index.push(s);
      weight.push(w);
    }
    for (let t = from; t < index.length; t++) weight[t] /= total;
    start[j + 1] = index.length;
  }
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/** Photo pixel → crop pixel. */
export function toCrop(t: CropTransform, x: number, y: number): [number, number] {
  const k = t.size / t.side;
  return [(x - t.x0 + 0.5) * k - 0.5, (y - t.y0 + 0.5) * k - 0.5];
}

/** Crop pixel → photo pixel. */
export function fromCrop(t: CropTransform, x: number, y: number): [number, number] {
  const k = t.size / t.side;
  return [t.x0 + (x + 0.5) / k - 0.5, t.y0 + (y + 0.5) / k - 0.5];
}

/** `[N, 2]` photo points → crop pixels (NaN stays NaN). */
export function landmarksToCrop(t: CropTransform, points: ArrayLike<number>): Float32Array {
  const out = new Float32Array(points.length);
  for (let i = 0; i + 1 < points.length; i += 2) {
    const [x, y] = toCrop(t, points[i], points[i + 1]);
    out[i] = x;
    out[i + 1] = y;
  }
  return out;
}

/**
 * θ = [r, t, log s, α] in crop pixels → θ in photo pixels. p_photo = x0 + (p_crop + ½)/k − ½ is
 * again a scaled orthographic projection: log s − ln k, and t mapped like a point.
 */
export function thetaToPhoto(t: CropTransform, theta: ArrayLike<number>): number[] {
  const out = Array.from(theta);
  const [tx, ty] = fromCrop(t, theta[3], theta[4]);
  out[3] = tx;
  out[4] = ty;
  out[5] = theta[5] - Math.log(t.size / t.side);
  return out;
}

/** θ in photo pixels → θ in crop pixels (the inverse of {@link thetaToPhoto}). */
export function thetaToCrop(t: CropTransform, theta: ArrayLike<number>): number[] {
  const out = Array.from(theta);
  const [tx, ty] = toCrop(t, theta[3], theta[4]);
  out[3] = tx;
  out[4] = ty;
  out[5] = theta[5] + Math.log(t.size / t.side);
  return out;
}

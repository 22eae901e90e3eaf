import sharp from 'sharp';

/**
 * Cropping a face around its landmarks to the localiser's input size.
 *
 * Convention: the crop is the square centred on the landmark bounding box, with side
 * `max(w, h) · (1 + 2·margin)`; parts outside the image are black. Pixel centres at integer
 * coordinates: a point x of the source maps to `(x − x0 + 0.5)·k − 0.5` with k the scale of the
 * resampled region (so landmark and pixel stay aligned exactly).
 */

export interface CropResult {
  /** `[S, S, 3]` RGB in [0, 255]. */
  image: Float32Array;
  /** `[68, 2]` the landmarks in crop pixels (NaN stays NaN). */
  landmarks: Float32Array;
}

/** The square crop box `[x0, y0, side]` (source pixels, integers) around finite landmarks. */
export function cropBox(landmarks: Float32Array, margin: number): [number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < landmarks.length / 2; i++) {
    const x = landmarks[2 * i];
    const y = landmarks[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (!Number.isFinite(minX)) throw new Error('cropBox: no finite landmark');
  const side = Math.max(2, Math.round(Math.max(maxX - minX, maxY - minY) * (1 + 2 * margin)));
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return [Math.round(cx - side / 2), Math.round(cy - side / 2), side];
}

/**
 * Decode `input` (a path or bytes), crop the square around `landmarks` with `margin`, resize to
 * `size`×`size`. Throws sharp's error for unreadable images (the caller reports and skips).
 */
export async function cropAroundLandmarks(
  input: string | Buffer,
  landmarks: Float32Array,
  size: number,
  margin: number,
): Promise<CropResult> {
  return cropSquare(input, landmarks, cropBox(landmarks, margin), size);
}

/**
 * The square crop around a face detector's box `[x, y, width, height]`: centred on the box, side
 * `max(w, h)·(1 + 2·margin)`, rounded to integers like `cropBox`. This is the crop the pretrained
 * localiser is trained on and run on (the detector box is all it gets at inference).
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
 * Decode `input`, crop the square `[x0, y0, side]` (source pixels; parts outside the image are
 * black), resize to `size`×`size`, and map `landmarks` into the crop.
 */
export async function cropSquare(
  input: string | Buffer,
  landmarks: Float32Array,
  square: readonly [number, number, number],
  size: number,
): Promise<CropResult> {
  const meta = await sharp(input).metadata();
  const W = meta.width;
  const H = meta.height;
  if (!W || !H) throw new Error('image has no size');
  const [x0, y0, side] = square;
  const k = size / side;
  // The part of the crop inside the image, in source pixels.
  const ix0 = Math.max(0, x0);
  const iy0 = Math.max(0, y0);
  const ix1 = Math.min(W, x0 + side);
  const iy1 = Math.min(H, y0 + side);
  const out = new Float32Array(size * size * 3);
  const lm = new Float32Array(landmarks.length);
  let sx = k;
  let sy = k;
  let dx0 = 0;
  let dy0 = 0;
  if (ix1 - ix0 >= 1 && iy1 - iy0 >= 1) {
    dx0 = Math.min(size - 1, Math.round((ix0 - x0) * k));
    dy0 = Math.min(size - 1, Math.round((iy0 - y0) * k));
    const dw = Math.max(1, Math.min(size - dx0, Math.round((ix1 - ix0) * k)));
    const dh = Math.max(1, Math.min(size - dy0, Math.round((iy1 - iy0) * k)));
    sx = dw / (ix1 - ix0);
    sy = dh / (iy1 - iy0);
    const { data, info } = await sharp(input)
      .extract({ left: ix0, top: iy0, width: ix1 - ix0, height: iy1 - iy0 })
      .resize(dw, dh, { fit: 'fill', kernel: 'lanczos3' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const ch = info.channels;
    for (let y = 0; y < dh; y++) {
      for (let x = 0; x < dw; x++) {
        const s = (y * dw + x) * ch;
        const d = ((y + dy0) * size + (x + dx0)) * 3;
        if (ch >= 3) {
          out[d] = data[s];
          out[d + 1] = data[s + 1];
          out[d + 2] = data[s + 2];
        } else {
          out[d] = out[d + 1] = out[d + 2] = data[s];
        }
      }
    }
  }
  const ox = ix1 - ix0 >= 1 ? ix0 : x0;
  const oy = iy1 - iy0 >= 1 ? iy0 : y0;
  for (let i = 0; i < landmarks.length / 2; i++) {
    lm[2 * i] = dx0 + (landmarks[2 * i] - ox + 0.5) * sx - 0.5;
    lm[2 * i + 1] = dy0 + (landmarks[2 * i + 1] - oy + 0.5) * sy - 0.5;
  }
  return { image: out, landmarks: lm };
}

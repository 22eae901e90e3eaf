/**
 * The square crop around a face's landmarks that the fit (and a localiser) works on.
 *
 * Convention (the trainer's `cropBox`): the square centred on the landmark bounding box with
 * side max(w, h)·(1 + 2·margin); a photo point x maps to crop pixel (x − x0 + ½)·k − ½ with
 * k = size / side, so pixel centres stay aligned. Outside the photo the crop is black.
 */
import type { RgbImage } from '../image';

export interface CropFrame {
  /** Top-left corner of the square, photo pixels (integers). */
  x0: number;
  y0: number;
  /** Side of the square, photo pixels. */
  side: number;
  /** Side of the crop image, pixels. */
  size: number;
}

export function cropFrame(landmarks: Float32Array, size: number, margin = 0.25): CropFrame {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < landmarks.length / 2; i++) {
    const x = landmarks[2 * i];
    const y = landmarks[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  if (!Number.isFinite(minX)) throw new Error('cropFrame: no finite landmark');
  const side = Math.max(2, Math.round(Math.max(maxX - minX, maxY - minY) * (1 + 2 * margin)));
  return {
    x0: Math.round((minX + maxX) / 2 - side / 2),
    y0: Math.round((minY + maxY) / 2 - side / 2),
    side,
    size,
  };
}

/** Photo pixel → crop pixel. */
export function toCrop(f: CropFrame, x: number, y: number): [number, number] {
  const k = f.size / f.side;
  return [(x - f.x0 + 0.5) * k - 0.5, (y - f.y0 + 0.5) * k - 0.5];
}

/** Crop pixel → photo pixel. */
export function fromCrop(f: CropFrame, x: number, y: number): [number, number] {
  const k = f.size / f.side;
  return [f.x0 + (x + 0.5) / k - 0.5, f.y0 + (y + 0.5) / k - 0.5];
}

/**
 * θ in crop pixels → θ in photo pixels: p_photo = x0 + (p_crop + ½)/k − ½ is again a scaled
 * orthographic projection, with log s − ln k and t mapped like a point.
 */
export function thetaToPhoto(f: CropFrame, theta: ArrayLike<number>): number[] {
  const out = Array.from(theta);
  const [tx, ty] = fromCrop(f, theta[3], theta[4]);
  out[3] = tx;
  out[4] = ty;
  out[5] = theta[5] - Math.log(f.size / f.side);
  return out;
}

/** The crop as [size, size, 3] float 0…255, bilinear (area-averaged when shrinking by > 2). */
export function cropImage(img: RgbImage, f: CropFrame): Float32Array {
  const { size } = f;
  const k = size / f.side;
  // Supersample so that strong downscaling does not alias.
  const ss = Math.max(1, Math.min(4, Math.ceil(1 / k / 2)));
  const out = new Float32Array(size * size * 3);
  const W = img.width;
  const H = img.height;
  const d = img.data;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let si = 0; si < ss; si++)
        for (let sj = 0; sj < ss; sj++) {
          const x = f.x0 + (j + (sj + 0.5) / ss) / k - 0.5;
          const y = f.y0 + (i + (si + 0.5) / ss) / k - 0.5;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const fx = x - x0;
          const fy = y - y0;
          for (let dy = 0; dy < 2; dy++)
            for (let dx = 0; dx < 2; dx++) {
              const xx = x0 + dx;
              const yy = y0 + dy;
              if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
              const wgt = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
              const o = 3 * (yy * W + xx);
              r += wgt * d[o];
              g += wgt * d[o + 1];
              b += wgt * d[o + 2];
            }
        }
      const o = 3 * (i * size + j);
      const n = ss * ss;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = b / n;
    }
  return out;
}

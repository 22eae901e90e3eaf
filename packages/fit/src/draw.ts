/**
 * Drawing a fit on an RGB buffer, the one definition the CLI's previews (PNG files) and the web
 * app (blitted to a canvas) share: the fitted mesh (every ~4th grid line; visible part cyan,
 * hidden part dim), detected landmarks (green dots), fitted landmarks (red ×) joined to their
 * detections (yellow).
 *
 * **Convention:** photo pixels, x right, y down, the centre of pixel (row i, column j) at
 * (x = j, y = i); a {@link Canvas} uses the same convention, so no half-pixel shifts.
 */
import type { GridModel } from '@3dmm-stn/morphable-model';
import { cropBoxAround, cropFace, type PixelImage, toCrop } from '@3dmm-stn/localiser';
import { Canvas } from './canvas';
import { type RgbImage, toUint8 } from './detect';
import type { FitRecord } from './record';
import type { StnForward } from './stn';

/** Side of the per-face close-up (`<stem>.face<k>.preview.png`), pixels. */
export const PREVIEW_SIZE = 512;

/** Side of the whole-photo preview's larger dimension (smaller photos keep their size). */
export const OVERVIEW_SIZE = 1280;

/** One face's fit as the drawings need it. */
export interface DrawnFit {
  forward: Pick<StnForward, 'pixels' | 'mask'>;
  record: Pick<FitRecord, 'landmarks'>;
}

/**
 * Draws a fit through `map` (photo pixels → canvas pixels): the mesh (every ~4th grid line;
 * visible cyan, hidden dim), detected landmarks (green dots), fitted ones (red ×) joined to
 * their detections (yellow). `scale` sizes the marks.
 */
export function drawFit(
  canvas: Canvas,
  map: (x: number, y: number) => [number, number],
  forward: DrawnFit['forward'],
  grid: Pick<GridModel, 'res' | 'valid'>,
  record: DrawnFit['record'],
  scale: number,
): void {
  const res = grid.res;
  const step = Math.max(1, Math.round(res / 28));
  const P = (p: number) => map(forward.pixels[2 * p], forward.pixels[2 * p + 1]);
  const edge = (p: number, q: number) => {
    if (!grid.valid[p] || !grid.valid[q]) return;
    const vis = forward.mask[p] > 0.5 && forward.mask[q] > 0.5;
    const [x0, y0] = P(p);
    const [x1, y1] = P(q);
    canvas.line(x0, y0, x1, y1, vis ? [0, 230, 255] : [90, 90, 160], vis ? 0.55 : 0.3);
  };
  for (let i = 0; i < res; i++)
    for (let j = 0; j < res; j++) {
      const p = i * res + j;
      if (i % step === 0 && j + 1 < res) edge(p, p + 1);
      if (j % step === 0 && i + 1 < res) edge(p, p + res);
    }
  for (let i = 0; i < 68; i++) {
    const [dx, dy] = map(...record.landmarks.detected[i]);
    const f = record.landmarks.fitted[i];
    if (f) {
      const [fx, fy] = map(f[0], f[1]);
      canvas.line(dx, dy, fx, fy, [255, 230, 0], 0.9);
    }
    canvas.dot(dx, dy, 3 * scale, [0, 220, 0]);
  }
  for (let i = 0; i < 68; i++) {
    const f = record.landmarks.fitted[i];
    if (!f) continue;
    const [fx, fy] = map(f[0], f[1]);
    canvas.cross(fx, fy, 4 * scale, [255, 30, 30]);
  }
}

/**
 * The face's close-up (`<stem>.face<k>.preview.png`): the square around its detected landmarks
 * (the fitted ones when there are none: the centre-square fallback of a localiser) with a 40 %
 * margin, resampled by `cropFace` to {@link PREVIEW_SIZE}, with the fit drawn on it.
 *
 * @param photo RGB or RGBA (alpha ignored) photo.
 */
export function drawFacePreview(
  photo: PixelImage,
  forward: DrawnFit['forward'],
  grid: Pick<GridModel, 'res' | 'valid'>,
  record: DrawnFit['record'],
): Canvas {
  let lm = new Float32Array(record.landmarks.detected.flat());
  if (!lm.some(Number.isFinite))
    lm = new Float32Array(record.landmarks.fitted.flatMap((p) => p ?? [Number.NaN, Number.NaN]));
  const { image, transform: frame } = cropFace(photo, cropBoxAround(lm, 0.4), PREVIEW_SIZE);
  const canvas = new Canvas(PREVIEW_SIZE, PREVIEW_SIZE, toUint8(image));
  drawFit(canvas, (x, y) => toCrop(frame, x, y), forward, grid, record, 1);
  return canvas;
}

/** The whole-photo preview's size: the photo's, shrunk so its larger side is ≤ OVERVIEW_SIZE. */
export function overviewSize(
  width: number,
  height: number,
  maxSize = OVERVIEW_SIZE,
): { width: number; height: number } {
  const k = Math.min(1, maxSize / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * k)),
    height: Math.max(1, Math.round(height * k)),
  };
}

/**
 * The whole photo with every fitted face drawn on it (`<stem>.preview.png`).
 *
 * @param small the photo already resized to {@link overviewSize} (the caller's resampler: sharp
 *   in the CLI, the browser's canvas in the page).
 * @param photoSize the size of the photo the fits' pixels refer to.
 */
export function drawOverview(
  small: RgbImage,
  photoSize: { width: number; height: number },
  fits: readonly DrawnFit[],
  grid: Pick<GridModel, 'res' | 'valid'>,
): Canvas {
  const { width: w, height: h } = small;
  const canvas = new Canvas(w, h, small.data);
  const kx = w / photoSize.width;
  const ky = h / photoSize.height;
  for (const f of fits) {
    drawFit(
      canvas,
      (x, y) => [(x + 0.5) * kx - 0.5, (y + 0.5) * ky - 0.5],
      f.forward,
      grid,
      f.record,
      Math.max(0.5, kx * 2),
    );
  }
  return canvas;
}

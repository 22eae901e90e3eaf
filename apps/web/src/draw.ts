/**
 * The page's drawings are @3dmm-stn/fit's (`drawFacePreview`, `drawOverview`: the CLI's
 * `<stem>.face<k>.preview.png` and `<stem>.preview.png`, drawn on plain RGB buffers); this
 * module puts them on canvases. The overview also labels each face ("face k"), a page-only
 * annotation.
 */
import {
  type DrawnFit,
  drawFacePreview as drawFacePreviewRgb,
  drawOverview as drawOverviewRgb,
  type FitRecord,
  overviewSize,
  type RgbImage,
  rgbaToRgb,
} from '@3dmm-stn/fit';
import type { PixelImage } from '@3dmm-stn/localiser';
import type { GridModel } from '@3dmm-stn/morphable-model';

/** The whole photo (at most OVERVIEW_SIZE on its larger side) with every fitted face on it. */
export function drawOverview(
  target: HTMLCanvasElement,
  photo: HTMLCanvasElement,
  fits: (DrawnFit & { record: Pick<FitRecord, 'face' | 'detection'> })[],
  grid: Pick<GridModel, 'res' | 'valid'>,
): void {
  const { width: w, height: h } = overviewSize(photo.width, photo.height);
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const sctx = small.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  sctx.imageSmoothingQuality = 'high';
  sctx.drawImage(photo, 0, 0, w, h);
  const rgb = rgbaToRgb(sctx.getImageData(0, 0, w, h).data, w, h);
  putRgb(target, drawOverviewRgb(rgb, photo, fits, grid));
  const ctx = target.getContext('2d') as CanvasRenderingContext2D;
  const k = w / photo.width;
  const scale = Math.max(1, Math.max(w, h) / 1000);
  ctx.font = `${Math.round(16 * scale)}px sans-serif`;
  ctx.fillStyle = 'rgb(255,230,0)';
  for (const f of fits) {
    const [bx, by] = f.record.detection.box;
    ctx.fillText(`face ${f.record.face}`, bx * k, Math.max(16 * scale, by * k - 4 * scale));
  }
}

/** The face's close-up (fit's `drawFacePreview`) on `target`. */
export function drawFacePreview(
  target: HTMLCanvasElement,
  photo: PixelImage,
  fit: DrawnFit,
  grid: Pick<GridModel, 'res' | 'valid'>,
): void {
  putRgb(target, drawFacePreviewRgb(photo, fit.forward, grid, fit.record));
}

/** `[h, w, 3]` RGB bytes onto a canvas of that size. */
export function putRgb(target: HTMLCanvasElement, img: RgbImage): void {
  const n = img.width * img.height;
  const rgba = new Uint8ClampedArray(4 * n);
  for (let p = 0; p < n; p++) {
    rgba[4 * p] = img.data[3 * p];
    rgba[4 * p + 1] = img.data[3 * p + 1];
    rgba[4 * p + 2] = img.data[3 * p + 2];
    rgba[4 * p + 3] = 255;
  }
  putPixels(target, rgba, img.width, img.height);
}

/** `[h, w]` grey bytes (a mask, 0/255) onto a canvas of that size. */
export function putGrey(
  target: HTMLCanvasElement,
  grey: Uint8Array,
  width: number,
  height: number,
): void {
  const rgba = new Uint8ClampedArray(4 * width * height);
  for (let p = 0; p < width * height; p++) {
    rgba.fill(grey[p], 4 * p, 4 * p + 3);
    rgba[4 * p + 3] = 255;
  }
  putPixels(target, rgba, width, height);
}

/** RGBA bytes `[h, w, 4]` onto a canvas of that size. */
export function putPixels(
  target: HTMLCanvasElement,
  rgba: Uint8ClampedArray<ArrayBuffer>,
  width: number,
  height: number,
): void {
  target.width = width;
  target.height = height;
  const ctx = target.getContext('2d') as CanvasRenderingContext2D;
  ctx.putImageData(new ImageData(rgba, width, height), 0, 0);
}

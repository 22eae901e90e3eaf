/**
 * Drawing a fit on a canvas, as the CLI's previews do: the fitted mesh (every ~4th grid line;
 * visible part cyan, hidden part dim), detected landmarks (green dots), fitted landmarks (red ×)
 * joined to their detections (yellow). Photo pixels have their centres at integers; a canvas
 * pixel's centre is at +0.5, hence the half-pixel shifts.
 */
import type { FitRecord, StnForward } from '@3dmm-stn/fit';
import { cropBoxAround, toCrop } from '@3dmm-stn/localiser';
import type { GridModel } from '@3dmm-stn/morphable-model';

type Map2 = (x: number, y: number) => [number, number];

/** Side of the per-face close-up, pixels. */
export const PREVIEW_SIZE = 512;

function drawFit(
  ctx: CanvasRenderingContext2D,
  map: Map2,
  forward: StnForward,
  grid: GridModel,
  record: FitRecord,
  scale: number,
): void {
  const res = grid.res;
  const step = Math.max(1, Math.round(res / 28));
  const P = (p: number) => map(forward.pixels[2 * p], forward.pixels[2 * p + 1]);
  const visible = new Path2D();
  const hidden = new Path2D();
  const edge = (p: number, q: number) => {
    if (!grid.valid[p] || !grid.valid[q]) return;
    const path = forward.mask[p] > 0.5 && forward.mask[q] > 0.5 ? visible : hidden;
    const [x0, y0] = P(p);
    const [x1, y1] = P(q);
    path.moveTo(x0 + 0.5, y0 + 0.5);
    path.lineTo(x1 + 0.5, y1 + 0.5);
  };
  for (let i = 0; i < res; i++)
    for (let j = 0; j < res; j++) {
      const p = i * res + j;
      if (i % step === 0 && j + 1 < res) edge(p, p + 1);
      if (j % step === 0 && i + 1 < res) edge(p, p + res);
    }
  ctx.lineWidth = Math.max(1, scale);
  ctx.strokeStyle = 'rgba(90,90,160,0.3)';
  ctx.stroke(hidden);
  ctx.strokeStyle = 'rgba(0,230,255,0.55)';
  ctx.stroke(visible);
  const links = new Path2D();
  const crosses = new Path2D();
  const r = 4 * scale;
  for (let i = 0; i < 68; i++) {
    const f = record.landmarks.fitted[i];
    if (!f) continue;
    const [dx, dy] = map(...record.landmarks.detected[i]);
    const [fx, fy] = map(f[0], f[1]);
    links.moveTo(dx + 0.5, dy + 0.5);
    links.lineTo(fx + 0.5, fy + 0.5);
    crosses.moveTo(fx - r + 0.5, fy - r + 0.5);
    crosses.lineTo(fx + r + 0.5, fy + r + 0.5);
    crosses.moveTo(fx + r + 0.5, fy - r + 0.5);
    crosses.lineTo(fx - r + 0.5, fy + r + 0.5);
  }
  ctx.strokeStyle = 'rgba(255,230,0,0.9)';
  ctx.stroke(links);
  ctx.fillStyle = 'rgb(0,220,0)';
  for (const [x, y] of record.landmarks.detected) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const [cx, cy] = map(x, y);
    ctx.beginPath();
    ctx.arc(cx + 0.5, cy + 0.5, 2.5 * scale, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.strokeStyle = 'rgb(255,30,30)';
  ctx.lineWidth = Math.max(1, 1.5 * scale);
  ctx.stroke(crosses);
}

/** The whole photo with every fitted face on it (the CLI's `<stem>.preview.png`). */
export function drawOverview(
  target: HTMLCanvasElement,
  photo: HTMLCanvasElement,
  fits: { forward: StnForward; record: FitRecord }[],
  grid: GridModel,
): void {
  target.width = photo.width;
  target.height = photo.height;
  const ctx = target.getContext('2d') as CanvasRenderingContext2D;
  ctx.drawImage(photo, 0, 0);
  const scale = Math.max(1, Math.max(photo.width, photo.height) / 1000);
  for (const f of fits) {
    drawFit(ctx, (x, y) => [x, y], f.forward, grid, f.record, scale);
    const [bx, by] = f.record.detection.box;
    ctx.font = `${Math.round(16 * scale)}px sans-serif`;
    ctx.fillStyle = 'rgb(255,230,0)';
    ctx.fillText(`face ${f.record.face}`, bx, Math.max(16 * scale, by - 4 * scale));
  }
}

/**
 * The face's close-up (the CLI's `<stem>.face<k>.preview.png`): the square around its
 * landmarks with a 40 % margin at {@link PREVIEW_SIZE}, with the fit drawn on it.
 */
export function drawFacePreview(
  target: HTMLCanvasElement,
  photo: HTMLCanvasElement,
  forward: StnForward,
  grid: GridModel,
  record: FitRecord,
): void {
  const lm = record.landmarks.detected.flat();
  const box = cropBoxAround(
    lm.some(Number.isFinite)
      ? lm
      : record.landmarks.fitted.flatMap((p) => p ?? [Number.NaN, Number.NaN]),
    0.4,
  );
  const frame = { ...box, size: PREVIEW_SIZE };
  target.width = PREVIEW_SIZE;
  target.height = PREVIEW_SIZE;
  const ctx = target.getContext('2d') as CanvasRenderingContext2D;
  ctx.fillStyle = 'black';
  ctx.fillRect(0, 0, PREVIEW_SIZE, PREVIEW_SIZE);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(photo, box.x0, box.y0, box.side, box.side, 0, 0, PREVIEW_SIZE, PREVIEW_SIZE);
  drawFit(ctx, (x, y) => toCrop(frame, x, y), forward, grid, record, 1);
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

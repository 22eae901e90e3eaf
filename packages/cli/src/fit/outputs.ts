/**
 * The files written for one photo: `<stem>.preview.png` (the whole photo, at most 1280 px, with
 * every fitted face drawn on it), and for each fitted face, `<stem>.face<k>.<name>`:
 * `uv.png` (res×res UV texture, unmasked), `mask.png` (visibility, 0/255), `uv_masked.png`,
 * `preview.png` (the crop of the photo with the fitted mesh and both landmark sets), `obj` +
 * `mtl` (the fitted mesh in model space, mm, textured with uv.png through the grid UVs) and
 * `json` (the record). All written atomically.
 */
import { basename } from 'node:path';
import {
  type GridModel,
  writeFileAtomic,
  writeMtl,
  writeObj,
} from '@3dmm-stn/morphable-model/node';
import { Canvas } from '../draw';
import { type RgbImage, resizeRgb, toUint8, writePng } from '../image';
import { type FitRecord, fittedMesh, type StnForward } from '@3dmm-stn/fit';
import { cropBoxAround, cropFace, toCrop } from '@3dmm-stn/localiser';

/** Side of the preview image, pixels. */
export const PREVIEW_SIZE = 512;

export async function writeFaceOutputs(
  prefix: string,
  photo: RgbImage,
  forward: StnForward,
  grid: GridModel,
  record: FitRecord,
): Promise<void> {
  const res = grid.res;
  const np = res * res;
  const files = {
    uv: `${prefix}.uv.png`,
    mask: `${prefix}.mask.png`,
    maskedUv: `${prefix}.uv_masked.png`,
    preview: `${prefix}.preview.png`,
    overview: record.files.overview,
    obj: `${prefix}.obj`,
    mtl: `${prefix}.mtl`,
    json: `${prefix}.json`,
  };
  const uv = toUint8(forward.uv);
  const mask = new Uint8Array(np);
  const masked = new Uint8Array(np * 3);
  for (let p = 0; p < np; p++) {
    const m = forward.mask[p] > 0.5;
    mask[p] = m ? 255 : 0;
    if (m) masked.set(uv.subarray(3 * p, 3 * p + 3), 3 * p);
  }
  const preview = drawPreview(photo, forward, grid, record);
  const mesh = fittedMesh(forward.vertices, grid);
  // The encoders run on libuv's thread pool: the files are written concurrently.
  await Promise.all([
    writePng(files.uv, uv, res, res),
    writePng(files.mask, mask, res, res, 1),
    writePng(files.maskedUv, masked, res, res),
    writePng(files.preview, preview.data, preview.width, preview.height),
    writeFileAtomic(
      files.obj,
      writeObj(mesh, {
        mtl: basename(files.mtl),
        comment: `3dmm-stn fit of ${record.image} face ${record.face} (${grid.metadata.name}), mm`,
      }),
    ),
    writeFileAtomic(files.mtl, writeMtl(basename(files.uv))),
  ]);
  record.files = files;
}

export async function writeRecord(record: FitRecord): Promise<void> {
  await writeFileAtomic(record.files.json, `${JSON.stringify(record, null, 2)}\n`);
}

export { fittedMesh } from '@3dmm-stn/fit';

/**
 * The crop of the photo around the face (a little wider than the fit's crop) at PREVIEW_SIZE,
 * with the fitted mesh (every few grid lines, visible part cyan, hidden part dim), detected
 * landmarks (green dots), fitted landmarks (red crosses) joined to their detections (yellow).
 */
export function drawPreview(
  photo: RgbImage,
  forward: StnForward,
  grid: GridModel,
  record: FitRecord,
): Canvas {
  let lm = new Float32Array(record.landmarks.detected.flat());
  // No detected landmarks (the centre-square fallback of a localiser): frame the fitted ones.
  if (!lm.some(Number.isFinite))
    lm = new Float32Array(record.landmarks.fitted.flatMap((p) => p ?? [Number.NaN, Number.NaN]));
  const { image, transform: frame } = cropFace(photo, cropBoxAround(lm, 0.4), PREVIEW_SIZE);
  const canvas = new Canvas(PREVIEW_SIZE, PREVIEW_SIZE, toUint8(image));
  drawFit(canvas, (x, y) => toCrop(frame, x, y), forward, grid, record, 1);
  return canvas;
}

/** Side of the whole-photo preview's larger dimension (smaller photos keep their size). */
export const OVERVIEW_SIZE = 1280;

/** The whole photo (at most OVERVIEW_SIZE wide or high) with every fitted face drawn on it. */
export async function writeOverview(
  path: string,
  photo: RgbImage,
  fits: { forward: StnForward; record: FitRecord }[],
  grid: GridModel,
): Promise<void> {
  const canvas = await overviewCanvas(photo, fits, grid);
  await writePng(path, canvas.data, canvas.width, canvas.height);
}

/**
 * The whole photo (at most `maxSize` wide or high, default OVERVIEW_SIZE) with every fitted face
 * drawn on it: `writeOverview`'s image, and `track`'s overlay frames.
 */
export async function overviewCanvas(
  photo: RgbImage,
  fits: { forward: StnForward; record: FitRecord }[],
  grid: GridModel,
  maxSize = OVERVIEW_SIZE,
): Promise<Canvas> {
  const k = Math.min(1, maxSize / Math.max(photo.width, photo.height));
  const w = Math.max(1, Math.round(photo.width * k));
  const h = Math.max(1, Math.round(photo.height * k));
  const small = k < 1 ? await resizeRgb(photo, w, h) : photo;
  const canvas = new Canvas(w, h, small.data);
  const kx = w / photo.width;
  const ky = h / photo.height;
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

/**
 * Draws a fit through `map` (photo pixels → canvas pixels): the mesh (every ~4th grid line;
 * visible cyan, hidden dim), detected landmarks (green dots), fitted ones (red ×) joined to
 * their detections (yellow). `scale` sizes the marks.
 */
function drawFit(
  canvas: Canvas,
  map: (x: number, y: number) => [number, number],
  forward: StnForward,
  grid: GridModel,
  record: FitRecord,
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

/**
 * The files written for one photo, named by @3dmm-stn/fit's `faceFileNames` and drawn by its
 * `drawFacePreview` / `drawOverview` (the web app offers the same files): `<stem>.preview.png`
 * (the whole photo, at most 1280 px, with every fitted face drawn on it), and for each fitted
 * face, `<stem>.face<k>.<name>`: `uv.png` (res×res UV texture, unmasked), `mask.png`
 * (visibility, 0/255), `uv_masked.png`, `preview.png` (the crop of the photo with the fitted mesh
 * and both landmark sets), `obj` + `mtl` (the fitted mesh in model space, mm, textured with
 * uv.png through the grid UVs) and `json` (the record). All written atomically.
 */
import { type GridModel, writeFileAtomic } from '@3dmm-stn/morphable-model/node';
import {
  type Canvas,
  drawFacePreview,
  drawOverview,
  type FitRecord,
  meshComment,
  meshFiles,
  overviewSize,
  type StnForward,
  uvImages,
} from '@3dmm-stn/fit';
import { type RgbImage, resizeRgb, writePng } from '../image';

export { OVERVIEW_SIZE, PREVIEW_SIZE } from '@3dmm-stn/fit';

/** Writes face files `files` (`faceFileNames`) and stores them in `record.files`. */
export async function writeFaceOutputs(
  files: FitRecord['files'],
  photo: RgbImage,
  forward: StnForward,
  grid: GridModel,
  record: FitRecord,
): Promise<void> {
  const res = grid.res;
  const { uv, mask, maskedUv } = uvImages(forward, res);
  const preview = drawFacePreview(photo, forward, grid, record);
  const mesh = meshFiles(forward, grid, files, meshComment(record, grid));
  // The encoders run on libuv's thread pool: the files are written concurrently.
  await Promise.all([
    writePng(files.uv, uv, res, res),
    writePng(files.mask, mask, res, res, 1),
    writePng(files.maskedUv, maskedUv, res, res),
    writePng(files.preview, preview.data, preview.width, preview.height),
    writeFileAtomic(files.obj, mesh.obj),
    writeFileAtomic(files.mtl, mesh.mtl),
  ]);
  record.files = files;
}

export async function writeRecord(record: FitRecord): Promise<void> {
  await writeFileAtomic(record.files.json, `${JSON.stringify(record, null, 2)}\n`);
}

export { fittedMesh } from '@3dmm-stn/fit';

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
 * drawn on it (@3dmm-stn/fit's `drawOverview`): `writeOverview`'s image, and `track`'s overlay
 * frames.
 */
export async function overviewCanvas(
  photo: RgbImage,
  fits: { forward: StnForward; record: FitRecord }[],
  grid: GridModel,
  maxSize?: number,
): Promise<Canvas> {
  const { width: w, height: h } = overviewSize(photo.width, photo.height, maxSize);
  const small = w < photo.width || h < photo.height ? await resizeRgb(photo, w, h) : photo;
  return drawOverview(small, photo, fits, grid);
}

/**
 * The files of one photo's fit, named and built once for the CLI's `fit` (written to disk) and
 * the web app (offered for download): `<stem>.preview.png` (the whole photo with every fitted
 * face) and, per face k, `<stem>.face<k>.{uv.png, mask.png, uv_masked.png, preview.png, obj,
 * mtl, json}`. Pure: no DOM, no Node built-in.
 */
import { type GridModel, writeMtl, writeObj } from '@3dmm-stn/morphable-model';
import { toUint8 } from './detect';
import { fittedMesh } from './mesh';
import type { FitRecord } from './record';
import type { StnForward } from './stn';

/** The file's base name without its extension ("dir/sample1.jpg" → "sample1"; "photo" if empty). */
export function photoStem(name: string): string {
  const base = baseName(name);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return stem || 'photo';
}

/** The last path segment ("out/a.face0.uv.png" → "a.face0.uv.png"; either separator). */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? '';
}

/**
 * The file names of face `k` of a photo (`FitRecord.files`). `stem` may carry a folder
 * (the CLI's `out/sample1`); the names then carry it too.
 */
export function faceFileNames(stem: string, k: number): FitRecord['files'] {
  const prefix = `${stem}.face${k}`;
  return {
    uv: `${prefix}.uv.png`,
    mask: `${prefix}.mask.png`,
    maskedUv: `${prefix}.uv_masked.png`,
    preview: `${prefix}.preview.png`,
    overview: `${stem}.preview.png`,
    obj: `${prefix}.obj`,
    mtl: `${prefix}.mtl`,
    json: `${prefix}.json`,
  };
}

/** The comment line of a fit's OBJ file: which photo, which face, which model, the unit. */
export function meshComment(
  record: Pick<FitRecord, 'image' | 'face'>,
  grid: Pick<GridModel, 'metadata'>,
): string {
  return `3dmm-stn fit of ${record.image} face ${record.face} (${grid.metadata.name}), mm`;
}

/**
 * The fitted mesh as OBJ text (valid grid points, model space in mm, textured with the UV PNG
 * through the grid's UVs) and its MTL; the OBJ names the MTL and the MTL the UV PNG by their
 * base names (they sit side by side).
 */
export function meshFiles(
  forward: Pick<StnForward, 'vertices'>,
  grid: GridModel,
  files: Pick<FitRecord['files'], 'uv' | 'mtl'>,
  comment: string,
): { obj: string; mtl: string } {
  const obj = writeObj(fittedMesh(forward.vertices, grid), { mtl: baseName(files.mtl), comment });
  return { obj, mtl: writeMtl(baseName(files.uv)) };
}

/**
 * The UV images of a fit as uint8: the texture `[res, res, 3]` (unmasked, rounded and clamped),
 * the visibility mask `[res, res]` (0/255, mask > 0.5) and the masked texture (black where
 * hidden).
 */
export function uvImages(
  forward: Pick<StnForward, 'uv' | 'mask'>,
  res: number,
): { uv: Uint8Array; mask: Uint8Array; maskedUv: Uint8Array } {
  const np = res * res;
  const uv = toUint8(forward.uv);
  const mask = new Uint8Array(np);
  const maskedUv = new Uint8Array(np * 3);
  for (let p = 0; p < np; p++) {
    const m = forward.mask[p] > 0.5;
    mask[p] = m ? 255 : 0;
    if (m) maskedUv.set(uv.subarray(3 * p, 3 * p + 3), 3 * p);
  }
  return { uv, mask, maskedUv };
}

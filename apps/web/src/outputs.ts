/**
 * What the page offers for download, per fitted face: the same files as the CLI's `fit`
 * (`<stem>.face<k>.{uv.png, mask.png, uv_masked.png, preview.png, obj, mtl, json}` and
 * `<stem>.preview.png`), built with the same functions: `fittedMesh` (@3dmm-stn/fit) and
 * `writeObj` / `writeMtl` (@3dmm-stn/morphable-model). Pure: no DOM.
 */
import { type FitRecord, fittedMesh, type StnForward } from '@3dmm-stn/fit';
import { type GridModel, writeMtl, writeObj } from '@3dmm-stn/morphable-model';

/** The photo's file name without its extension ("sample1.jpg" → "sample1"; "photo" if empty). */
export function photoStem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return stem || 'photo';
}

/** The file names of face `k`'s downloads, as the CLI names them (`FitRecord.files`). */
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

/**
 * The fitted mesh as OBJ text (valid grid points, model space in mm, textured with the UV
 * PNG through the grid's UVs) and its MTL, exactly as the CLI writes them.
 */
export function meshFiles(
  forward: Pick<StnForward, 'vertices'>,
  grid: GridModel,
  files: Pick<FitRecord['files'], 'uv' | 'mtl'>,
  comment: string,
): { obj: string; mtl: string } {
  const obj = writeObj(fittedMesh(forward.vertices, grid), { mtl: files.mtl, comment });
  return { obj, mtl: writeMtl(files.uv) };
}

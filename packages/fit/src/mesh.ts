/**
 * The fitted face as a textured mesh: the valid points of the UV grid with their morphed
 * model-space positions (mm) and the grid's texture coordinates, for `writeObj` of
 * `@3dmm-stn/morphable-model` (the CLI's `fit` files and the web app's download).
 */
import type { GridModel } from '@3dmm-stn/morphable-model';

/**
 * [res², 2] texture coordinates of the grid points: point (i, j) sits at u = j/(res−1),
 * v = 1 − i/(res−1) (`resampleToGrid`'s convention: row 0 at the top of the UV image, v up).
 */
export function gridTexCoords(res: number): Float32Array {
  const tc = new Float32Array(res * res * 2);
  for (let i = 0; i < res; i++)
    for (let j = 0; j < res; j++) {
      tc[2 * (i * res + j)] = j / (res - 1);
      tc[2 * (i * res + j) + 1] = 1 - i / (res - 1);
    }
  return tc;
}

/**
 * The valid grid points as a mesh: positions [n, 3] mm, grid UVs [n, 2], triangles re-indexed.
 *
 * @param vertices [res², 3] the morphed grid vertices (`StnForward.vertices`).
 */
export function fittedMesh(
  vertices: Float32Array,
  grid: GridModel,
): { positions: Float32Array; texCoords: Float32Array; triangles: Uint32Array } {
  const np = grid.res * grid.res;
  if (vertices.length !== 3 * np)
    throw new RangeError(
      `fittedMesh: vertices must be [res², 3] = [${np}, 3] (${3 * np} values), got ${vertices.length}.`,
    );
  const remap = new Int32Array(np).fill(-1);
  let n = 0;
  for (let p = 0; p < np; p++) if (grid.valid[p]) remap[p] = n++;
  const positions = new Float32Array(3 * n);
  const texCoords = new Float32Array(2 * n);
  const tc = gridTexCoords(grid.res);
  for (let p = 0; p < np; p++) {
    const k = remap[p];
    if (k < 0) continue;
    positions.set(vertices.subarray(3 * p, 3 * p + 3), 3 * k);
    texCoords.set(tc.subarray(2 * p, 2 * p + 2), 2 * k);
  }
  const triangles = new Uint32Array(grid.triangles.length);
  for (let t = 0; t < triangles.length; t++) triangles[t] = remap[grid.triangles[t]];
  return { positions, texCoords, triangles };
}

/**
 * Exact depth test of every vertex against the mesh, on typed arrays (not differentiable; runs on
 * the CPU, so on a GPU backend it costs a download of the vertices): per batch element, the
 * project's one host z-buffer, `unoccludedByMesh` of `@3dmm-stn/morphable-model` (orthographic
 * view along −z on the rotated vertices; a vertex is occluded when a triangle that does not
 * contain it covers its (x, y) at a larger z).
 *
 * @param xyz [B, N, 3] rotated vertices, row-major.
 * @param triangles [F, 3] vertex ids.
 * @param valid [N] 0/1; invalid vertices are neither tested nor used.
 * @returns [B, N] 1 where the vertex is valid and not occluded, else 0.
 */
import { unoccludedByMesh } from '@3dmm-stn/morphable-model';

export function unoccludedVertices(
  xyz: Float32Array,
  batch: number,
  triangles: Int32Array,
  valid: ArrayLike<number>,
): Float32Array {
  const n = valid.length;
  const out = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const open = unoccludedByMesh(xyz.subarray(3 * n * b, 3 * n * (b + 1)), triangles, valid);
    for (let v = 0; v < n; v++) out[b * n + v] = open[v];
  }
  return out;
}

import { ShapeError } from '@3dmm-stn/morphable-model';

/** The part of a GridModel that visibility needs. */
export interface VisibilityGrid {
  /** Grid side; the grid has res² points, point (i, j) is vertex `i*res + j`. */
  res: number;
  /** [F, 3] vertex ids, counter-clockwise seen from +z (so that outward normals face +z frontally). */
  triangles: Uint32Array | Int32Array;
  /** [res²] 1 where the grid point is covered by the mesh, else 0. */
  valid: Uint8Array;
}

/**
 * The grid's triangle topology in the form the tfjs visibility computation gathers with.
 *
 * | field | layout |
 * |---|---|
 * | triangles | [F, 3] int32 vertex ids |
 * | vertexCorners | [N, K] int32: the triangle corners (`3f + k`) at each vertex, padded with `3F` |
 * | valid | [N] float32 0/1 |
 *
 * Scatter-adding corner contributions onto vertices would need `UnsortedSegmentSum`/`ScatterNd`
 * (missing on wasm; O(N·3F) on webgl): the transposed incidence turns it into one gather + sum.
 */
export interface VisibilityTopology {
  res: number;
  numVertices: number;
  numTriangles: number;
  /** K: the largest number of triangle corners at one vertex (≥ 1). */
  maxCorners: number;
  triangles: Int32Array;
  vertexCorners: Int32Array;
  valid: Float32Array;
}

/** Checks a grid's topology and builds the vertex → corner incidence. */
export function buildVisibilityTopology(
  grid: VisibilityGrid,
  op = 'visibilityMask',
): VisibilityTopology {
  const { res, triangles, valid } = grid;
  if (!Number.isInteger(res) || res < 2) {
    throw new ShapeError(`Error in ${op}: grid.res must be an integer ≥ 2, but got ${res}.`);
  }
  const n = res * res;
  if (valid.length !== n) {
    throw new ShapeError(
      `Error in ${op}: grid.valid must have length res² = ${n}, but got ${valid.length}.`,
    );
  }
  if (triangles.length % 3 !== 0) {
    throw new ShapeError(
      `Error in ${op}: grid.triangles must have shape [F,3] (length a multiple of 3), but got length ${triangles.length}.`,
    );
  }
  const f = triangles.length / 3;
  const count = new Int32Array(n);
  for (let c = 0; c < triangles.length; c++) {
    const v = triangles[c];
    if (!(v >= 0 && v < n)) {
      throw new ShapeError(
        `Error in ${op}: grid.triangles[${Math.floor(c / 3)}] uses vertex ${v}, outside the ${n} grid points.`,
      );
    }
    if (!valid[v]) {
      throw new ShapeError(
        `Error in ${op}: grid.triangles[${Math.floor(c / 3)}] uses grid point ${v}, which grid.valid marks invalid.`,
      );
    }
    count[v]++;
  }
  let k = 1;
  for (let v = 0; v < n; v++) if (count[v] > k) k = count[v];
  const vertexCorners = new Int32Array(n * k).fill(3 * f);
  const fill = new Int32Array(n);
  for (let c = 0; c < triangles.length; c++) {
    const v = triangles[c];
    vertexCorners[v * k + fill[v]++] = c;
  }
  const validF = new Float32Array(n);
  for (let v = 0; v < n; v++) validF[v] = valid[v] ? 1 : 0;
  return {
    res,
    numVertices: n,
    numTriangles: f,
    maxCorners: k,
    triangles: Int32Array.from(triangles),
    vertexCorners,
    valid: validF,
  };
}

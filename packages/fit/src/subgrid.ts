/**
 * The mirror-closed subgrid the symmetry term is evaluated on: about every other row and column
 * of the UV grid, a quarter of the sampling cost, the same mean squared mirror difference up to
 * sampling.
 */
import type { GridModel } from '@3dmm-stn/morphable-model';

/**
 * A square, mirror-closed subgrid: columns j ≡ 0 (mod 4) and their mirrors res − 1 − j (so
 * reversing the column order mirrors it, as `symmetryLoss` assumes), and as many rows, evenly
 * spaced. `index` [side²] holds the grid point of each subgrid pixel, row-major.
 */
export function symmetrySubgrid(grid: { res: number }): { index: Int32Array; side: number } {
  const res = grid.res;
  const cols = new Set<number>();
  for (let j = 0; j < res; j += 4) {
    cols.add(j);
    cols.add(res - 1 - j);
  }
  const c = [...cols].sort((a, b) => a - b);
  const side = c.length;
  const rows = Array.from({ length: side }, (_, k) =>
    Math.round((k * (res - 1)) / Math.max(1, side - 1)),
  );
  const index = new Int32Array(side * side);
  rows.forEach((i, a) => {
    c.forEach((j, b) => {
      index[a * side + b] = i * res + j;
    });
  });
  return { index, side };
}

/**
 * The GridModel restricted to the subgrid points `index` [side²] (row-major): mean, basis,
 * validity and mirror picked, landmark rows unchanged, triangles over the subgrid cells whose
 * four corners are valid (counter-clockwise from +z, judged on the mean shape).
 */
export function subGridModel(grid: GridModel, index: Int32Array, side: number): GridModel {
  const n = side * side;
  if (index.length !== n)
    throw new RangeError(
      `subGridModel: index must have side² = ${n} entries, got ${index.length}.`,
    );
  const np = grid.res * grid.res;
  const D = grid.numModes;
  const mean = new Float32Array(3 * n);
  const basis = new Float32Array(D * 3 * n);
  const valid = new Uint8Array(n);
  const mirror = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const p = index[k];
    valid[k] = grid.valid[p];
    const row = Math.floor(k / side);
    mirror[k] = row * side + (side - 1 - (k % side));
    for (let c = 0; c < 3; c++) {
      mean[3 * k + c] = grid.mean[3 * p + c];
      for (let d = 0; d < D; d++) basis[d * 3 * n + 3 * k + c] = grid.basis[d * 3 * np + 3 * p + c];
    }
  }
  const tris: number[] = [];
  const ccw = (a: number, b: number, c: number) => {
    const ax = mean[3 * b] - mean[3 * a];
    const ay = mean[3 * b + 1] - mean[3 * a + 1];
    const bx = mean[3 * c] - mean[3 * a];
    const by = mean[3 * c + 1] - mean[3 * a + 1];
    return ax * by - ay * bx >= 0 ? [a, b, c] : [a, c, b];
  };
  for (let i = 0; i + 1 < side; i++)
    for (let j = 0; j + 1 < side; j++) {
      const a = i * side + j;
      const quad = [a, a + 1, a + side, a + side + 1];
      if (!quad.every((q) => valid[q])) continue;
      tris.push(...ccw(a, a + side, a + 1), ...ccw(a + 1, a + side, a + side + 1));
    }
  return {
    ...grid,
    res: side,
    mean,
    basis,
    valid,
    triangles: Uint32Array.from(tris),
    mirror,
  };
}

/**
 * The generated face's mesh: a (rows × cols) grid of a parameter rectangle, cols odd so that
 * the middle column is the symmetry line. Each quad is split along its diagonal that points
 * away from the grid centre (rows odd too, so every quad lies in one quadrant): the left-right
 * mirror then maps triangles onto triangles exactly, and no triangle has all three corners on
 * the boundary (which a convex boundary map would flatten to zero area at the rectangle's
 * corners).
 * Vertex (row j, column i) is `j·cols + i`; row 0 is the top (forehead), column 0 the
 * subject's right (x < 0). One boundary loop (the rectangle's), so the mesh is a disc.
 */
export interface GridTopology {
  rows: number;
  cols: number;
  /** [F, 3] counter-clockwise when row index grows downwards (−y) and column index along +x. */
  triangles: Uint32Array;
  /** [N] mirror vertex: (j, i) ↔ (j, cols − 1 − i). */
  symmetry: Int32Array;
}

export function gridTopology(rows: number, cols: number): GridTopology {
  if (cols % 2 !== 1 || rows % 2 !== 1) {
    throw new RangeError(`gridTopology: rows and cols must be odd, got ${rows} × ${cols}.`);
  }
  const F = 2 * (rows - 1) * (cols - 1);
  const triangles = new Uint32Array(3 * F);
  const mid = (cols - 1) / 2;
  const midRow = (rows - 1) / 2;
  let t = 0;
  for (let j = 0; j < rows - 1; j++) {
    for (let i = 0; i < cols - 1; i++) {
      const p00 = j * cols + i; // top left (subject's right, higher up)
      const p01 = p00 + 1; // top right
      const p10 = p00 + cols; // bottom left
      const p11 = p10 + 1; // bottom right
      if (i < mid === j < midRow) {
        // top-left or bottom-right quadrant: diagonal p00–p11 ("\\")
        triangles.set([p00, p10, p11, p00, p11, p01], t);
      } else {
        // top-right or bottom-left: diagonal p10–p01 ("/"), the mirror image of "\\"
        triangles.set([p10, p11, p01, p10, p01, p00], t);
      }
      t += 6;
    }
  }
  const symmetry = new Int32Array(rows * cols);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) symmetry[j * cols + i] = j * cols + (cols - 1 - i);
  }
  return { rows, cols, triangles, symmetry };
}

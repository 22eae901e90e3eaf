/**
 * Edge weights of the Tutte / harmonic system: row i of W holds the weight of each neighbour j
 * in "vertex i is the weighted mean of its neighbours", Σⱼ Wᵢⱼ (xⱼ − xᵢ) = 0.
 *
 * | kind | Wᵢⱼ | sign | symmetric |
 * |---|---|---|---|
 * | uniform | 1 | > 0 | yes |
 * | meanValue | (tan(αᵢ/2) + tan(βᵢ/2)) / ‖xᵢ − xⱼ‖, α, β the angles at i beside edge ij (Floater 2003) | > 0 | no |
 * | cotangent | (cot γ + cot δ) / 2, γ, δ the angles opposite edge ij (Pinkall–Polthier; libigl cotmatrix) | may be < 0 | yes |
 */
import type { CsrMatrix } from './sparse';
import { vertexAdjacency } from './mesh';

export type TutteWeights = 'uniform' | 'meanValue' | 'cotangent';
export const TUTTE_WEIGHTS: readonly TutteWeights[] = ['uniform', 'meanValue', 'cotangent'];

/** Relative floor for |e₁ × e₂| and |e₁||e₂| + e₁·e₂, so a degenerate corner gives a large finite weight, not ∞/NaN. */
const DEGENERATE = 1e-12;

/**
 * W as a CSR matrix on the mesh's vertex adjacency (no diagonal).
 * `positions` is [N, 3]; `triangles` [F, 3].
 */
export function tutteWeights(
  positions: ArrayLike<number>,
  triangles: Uint32Array,
  numVertices: number,
  kind: TutteWeights,
): CsrMatrix {
  const adj = vertexAdjacency(triangles, numVertices);
  const values = new Float64Array(adj.neighbors.length);
  const w: CsrMatrix = {
    rows: numVertices,
    cols: numVertices,
    rowPtr: adj.offsets,
    colIdx: adj.neighbors,
    values,
  };
  if (kind === 'uniform') {
    values.fill(1);
    return w;
  }
  const slot = (i: number, j: number): number => {
    for (let k = adj.offsets[i]; k < adj.offsets[i + 1]; k++) if (adj.neighbors[k] === j) return k;
    throw new Error(`tutteWeights: missing edge ${i}-${j}`);
  };
  const p = positions;
  for (let t = 0; t < triangles.length; t += 3) {
    for (let c = 0; c < 3; c++) {
      const a = triangles[t + c];
      const b = triangles[t + ((c + 1) % 3)];
      const d = triangles[t + ((c + 2) % 3)];
      const e1x = p[3 * b] - p[3 * a];
      const e1y = p[3 * b + 1] - p[3 * a + 1];
      const e1z = p[3 * b + 2] - p[3 * a + 2];
      const e2x = p[3 * d] - p[3 * a];
      const e2y = p[3 * d + 1] - p[3 * a + 1];
      const e2z = p[3 * d + 2] - p[3 * a + 2];
      const l1 = Math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z);
      const l2 = Math.sqrt(e2x * e2x + e2y * e2y + e2z * e2z);
      const cx = e1y * e2z - e1z * e2y;
      const cy = e1z * e2x - e1x * e2z;
      const cz = e1x * e2y - e1y * e2x;
      const cross = Math.sqrt(cx * cx + cy * cy + cz * cz);
      const dotp = e1x * e2x + e1y * e2y + e1z * e2z;
      const scale = l1 * l2;
      if (kind === 'meanValue') {
        // tan(θ/2) = sin θ / (1 + cos θ), written so it stays accurate for small θ.
        const th = Math.max(cross, DEGENERATE * scale) / Math.max(scale + dotp, DEGENERATE * scale);
        values[slot(a, b)] += th / Math.max(l1, Number.MIN_VALUE);
        values[slot(a, d)] += th / Math.max(l2, Number.MIN_VALUE);
      } else {
        const cot = dotp / Math.max(cross, DEGENERATE * scale);
        values[slot(b, d)] += 0.5 * cot;
        values[slot(d, b)] += 0.5 * cot;
      }
    }
  }
  return w;
}

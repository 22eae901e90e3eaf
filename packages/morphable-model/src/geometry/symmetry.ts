/**
 * Left-right vertex symmetry of a face mesh: reflect across the mid-sagittal plane x = c and
 * match each reflected vertex to a vertex of the mesh.
 *
 * Convention: model space (DESIGN.md), x runs to the subject's left, so the mid-sagittal plane
 * is a plane x = c (c = 0 for a centred model). The result `m` ([N], Int32) maps each vertex to
 * its mirror; vertices on the plane map to themselves.
 */
import type { MorphableModel } from '../types';
import { ShapeError } from '../errors';
import { KdTree } from './kdtree';
import { checkTriangles } from './mesh';

export interface SymmetryOptions {
  /** The plane x = planeX to reflect across. Default: estimated (`estimateSymmetryPlane`). */
  planeX?: number;
  /** Mirror candidates examined per vertex when resolving conflicts. Default 4. */
  candidates?: number;
}

type MeshLike = { positions: Float32Array | Float64Array; triangles?: Uint32Array };

function positionsOf(input: MorphableModel | MeshLike): Float32Array | Float64Array {
  const p = 'mean' in input ? input.mean : input.positions;
  if (p.length % 3 !== 0 || p.length === 0) {
    throw new ShapeError(
      `Error in computeSymmetry: positions must have shape [N,3] with N > 0, but got length ${p.length}.`,
    );
  }
  return p;
}

function median(values: Float64Array): number {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  return n % 2 ? s[(n - 1) >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/**
 * The x of the mid-sagittal plane x = c, estimated robustly: start at the median x, then take
 * the median midpoint of mutually nearest mirror pairs (twice). Vertices without a mirror
 * partner (an asymmetric crop, noise) do not move a median.
 */
export function estimateSymmetryPlane(positions: Float32Array | Float64Array): number {
  const n = positions.length / 3;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = positions[3 * i];
  let c = median(xs);
  const tree = new KdTree(positions);
  const ix = new Int32Array(1);
  const d2 = new Float64Array(1);
  const nn = new Int32Array(n);
  for (let pass = 0; pass < 3; pass++) {
    for (let i = 0; i < n; i++) {
      tree.knn(2 * c - positions[3 * i], positions[3 * i + 1], positions[3 * i + 2], 1, ix, d2);
      nn[i] = ix[0];
    }
    const mids: number[] = [];
    for (let i = 0; i < n; i++) {
      if (nn[nn[i]] === i && nn[i] !== i)
        mids.push(0.5 * (positions[3 * i] + positions[3 * nn[i]]));
    }
    if (mids.length === 0) break;
    c = median(Float64Array.from(mids));
  }
  return c;
}

/**
 * Each vertex's left-right mirror: reflect across x = c, take the nearest vertices as
 * candidates, and match greedily by mirror distance ‖R(pᵢ) − pⱼ‖ (symmetric in i, j since R is
 * a reflection), so the result is an involution (m(m(i)) = i) wherever the candidates allow.
 * A vertex left unmatched falls back to its nearest mirror candidate (then m is not an
 * involution there; `symmetryReport` counts such vertices).
 *
 * @param input a MorphableModel (its `mean` is used) or `{ positions: [N, 3] }`.
 * @returns [N] mirror vertex of each vertex.
 */
export function computeSymmetry(
  input: MorphableModel | MeshLike,
  options: SymmetryOptions = {},
): Int32Array {
  const p = positionsOf(input);
  const n = p.length / 3;
  const c = options.planeX ?? estimateSymmetryPlane(p);
  const k = Math.min(options.candidates ?? 4, n);
  if (!(k >= 1))
    throw new RangeError(`computeSymmetry: candidates must be ≥ 1, got ${options.candidates}.`);
  const tree = new KdTree(p);
  const ix = new Int32Array(k);
  const d2 = new Float64Array(k);
  const pi: number[] = [];
  const pj: number[] = [];
  const cost: number[] = [];
  const nearest = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const found = tree.knn(2 * c - p[3 * i], p[3 * i + 1], p[3 * i + 2], k, ix, d2);
    nearest[i] = ix[0];
    for (let t = 0; t < found; t++) {
      pi.push(i);
      pj.push(ix[t]);
      cost.push(d2[t]);
    }
  }
  const order = Array.from(cost.keys()).sort((a, b) => cost[a] - cost[b]);
  const m = new Int32Array(n).fill(-1);
  for (const e of order) {
    const i = pi[e];
    const j = pj[e];
    if (m[i] !== -1 || m[j] !== -1) continue;
    m[i] = j;
    m[j] = i;
  }
  for (let i = 0; i < n; i++) if (m[i] === -1) m[i] = nearest[i];
  return m;
}

export interface SymmetryReport {
  /** Vertices with m(m(i)) = i. */
  involutive: number;
  /** Vertices with m(i) = i (on the symmetry plane). */
  fixedPoints: number;
  /** Triangles whose mirrored vertex set is also a triangle of the mesh (−1 if no triangles given). */
  trianglesMapped: number;
  numVertices: number;
  numTriangles: number;
}

/** How far a mirror map is from a mesh automorphism: involution, fixed points, triangles → triangles. */
export function symmetryReport(symmetry: Int32Array, triangles?: Uint32Array): SymmetryReport {
  const n = symmetry.length;
  let involutive = 0;
  let fixedPoints = 0;
  for (let i = 0; i < n; i++) {
    const j = symmetry[i];
    if (j < 0 || j >= n) {
      throw new ShapeError(
        `Error in symmetryReport: symmetry[${i}] = ${j} is not a vertex id < ${n}.`,
      );
    }
    if (symmetry[j] === i) involutive++;
    if (j === i) fixedPoints++;
  }
  let trianglesMapped = -1;
  const numTriangles = triangles ? triangles.length / 3 : 0;
  if (triangles) {
    checkTriangles('symmetryReport', triangles, n);
    const key = (a: number, b: number, c: number): string => {
      const s = [a, b, c].sort((x, y) => x - y);
      return `${s[0]},${s[1]},${s[2]}`;
    };
    const set = new Set<string>();
    for (let t = 0; t < triangles.length; t += 3)
      set.add(key(triangles[t], triangles[t + 1], triangles[t + 2]));
    trianglesMapped = 0;
    for (let t = 0; t < triangles.length; t += 3) {
      if (
        set.has(key(symmetry[triangles[t]], symmetry[triangles[t + 1]], symmetry[triangles[t + 2]]))
      ) {
        trianglesMapped++;
      }
    }
  }
  return { involutive, fixedPoints, trianglesMapped, numVertices: n, numTriangles };
}

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
import { GeometryError } from './errors';
import { KdTree } from './kdtree';
import { checkTriangles } from './mesh';

export interface SymmetryOptions {
  /**
   * 'geometric': nearest mirrored vertices, matched greedily. 'topological': grow a mesh
   * automorphism (an orientation-reversing triangle-to-triangle map) from the best geometric
   * seed triangles, so the map is exact wherever the mesh connectivity is symmetric even if the
   * shape is only roughly so. 'auto' (default): topological when the mesh has such an
   * automorphism (and triangles are given) that agrees with the geometric map on at least half
   * of the vertices, else geometric.
   */
  method?: 'auto' | 'geometric' | 'topological';
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
  if (positions.length % 3 !== 0 || positions.length === 0) {
    throw new ShapeError(
      `Error in estimateSymmetryPlane: positions must have shape [N,3] with N > 0, but got length ${positions.length}.`,
    );
  }
  return planeFromTree(positions, new KdTree(positions));
}

function planeFromTree(positions: Float32Array | Float64Array, tree: KdTree): number {
  const n = positions.length / 3;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = positions[3 * i];
  let c = median(xs);
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
  const method = options.method ?? 'auto';
  if (!['auto', 'geometric', 'topological'].includes(method)) {
    throw new RangeError(
      `computeSymmetry: method must be one of auto, geometric, topological, got '${method}'.`,
    );
  }
  const p = positionsOf(input);
  const tree = new KdTree(p);
  const c = options.planeX ?? planeFromTree(p, tree);
  const geometric = geometricSymmetry(p, tree, c, options.candidates ?? 4);
  const triangles = input.triangles;
  if (method === 'geometric') return geometric;
  if (!triangles) {
    if (method === 'topological') {
      throw new RangeError('computeSymmetry: the topological method needs triangles.');
    }
    return geometric;
  }
  checkTriangles('computeSymmetry', triangles, p.length / 3);
  const topo = topologicalSymmetry(p, c, triangles, geometric);
  if (topo && method === 'topological') return topo;
  if (topo) {
    // Guard against another automorphism of a very regular mesh (a different reflection):
    // the topological map must mostly agree with the nearest-vertex one.
    let agree = 0;
    for (let i = 0; i < topo.length; i++) if (topo[i] === geometric[i]) agree++;
    if (agree >= 0.5 * topo.length) return topo;
  }
  if (method === 'topological') {
    throw new GeometryError(
      'computeSymmetry: the mesh has no orientation-reversing automorphism near the mirror map.',
    );
  }
  return geometric;
}

function mirrorCost(p: ArrayLike<number>, c: number, i: number, j: number): number {
  const dx = 2 * c - p[3 * i] - p[3 * j];
  const dy = p[3 * i + 1] - p[3 * j + 1];
  const dz = p[3 * i + 2] - p[3 * j + 2];
  return dx * dx + dy * dy + dz * dz;
}

/**
 * Grows an orientation-reversing automorphism from seed triangles: triangle (a, b, c) maps to
 * the triangle holding the half-edge m(b) → m(a), its third vertex is m(c), and the map spreads
 * across shared edges. Seeds are the triangles whose geometric mirrors fit best; the first seed
 * that maps every vertex without a conflict into an involution is returned (null if none).
 */
function topologicalSymmetry(
  p: ArrayLike<number>,
  c: number,
  triangles: Uint32Array,
  guess: Int32Array,
): Int32Array | null {
  const n = p.length / 3;
  const f = triangles.length / 3;
  // Half-edge a → b ↦ 3t + (corner of a), via a per-vertex list of outgoing half-edges.
  const start = new Uint32Array(n + 1);
  for (let k = 0; k < triangles.length; k++) start[triangles[k] + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const target = new Uint32Array(triangles.length);
  const corner = new Uint32Array(triangles.length);
  const fill = start.slice(0, n);
  for (let k = 0; k < triangles.length; k++) {
    const a = triangles[k];
    const slot = fill[a]++;
    target[slot] = triangles[k - (k % 3) + (((k % 3) + 1) % 3)];
    corner[slot] = k;
  }
  const halfEdge = (a: number, b: number): number => {
    if (a < 0 || b < 0) return -1;
    let found = -1;
    for (let s = start[a]; s < start[a + 1]; s++) {
      if (target[s] === b) {
        if (found !== -1) return -2; // duplicated half-edge: not an oriented manifold
        found = corner[s];
      }
    }
    return found;
  };
  const thirdOf = (h: number): number => triangles[3 * Math.floor(h / 3) + (((h % 3) + 2) % 3)];
  const used = new Uint8Array(n);
  for (let k = 0; k < triangles.length; k++) used[triangles[k]] = 1;
  const seeds: { t: number; cost: number }[] = [];
  for (let t = 0; t < f; t++) {
    const a = triangles[3 * t];
    const b = triangles[3 * t + 1];
    const d = triangles[3 * t + 2];
    const img = halfEdge(guess[b], guess[a]);
    if (img < 0 || thirdOf(img) !== guess[d]) continue;
    const cost =
      mirrorCost(p, c, a, guess[a]) + mirrorCost(p, c, b, guess[b]) + mirrorCost(p, c, d, guess[d]);
    seeds.push({ t, cost });
  }
  seeds.sort((x, y) => x.cost - y.cost);
  const m = new Int32Array(n);
  const queue = new Int32Array(f);
  const seen = new Uint8Array(f);
  for (const seed of seeds.slice(0, 8)) {
    m.fill(-1);
    seen.fill(0);
    const t0 = seed.t;
    for (let e = 0; e < 3; e++) m[triangles[3 * t0 + e]] = guess[triangles[3 * t0 + e]];
    let head = 0;
    let tail = 0;
    queue[tail++] = t0;
    seen[t0] = 1;
    let ok = true;
    while (ok && head < tail) {
      const t = queue[head++];
      for (let e = 0; e < 3 && ok; e++) {
        const x = triangles[3 * t + e];
        const y = triangles[3 * t + ((e + 1) % 3)];
        // t holds x → y, so its mirror image holds m(y) → m(x), and the neighbour across x–y
        // (holding y → x) maps to the triangle holding m(x) → m(y).
        const across = halfEdge(y, x);
        const img = halfEdge(m[x], m[y]);
        if (across === -2 || img === -2) return null;
        if (across === -1 || img === -1) {
          if (across !== img) ok = false;
          continue;
        }
        const u = Math.floor(across / 3);
        const w = thirdOf(across);
        const wImg = thirdOf(img);
        if (m[w] === -1) m[w] = wImg;
        else if (m[w] !== wImg) ok = false;
        if (!seen[u]) {
          seen[u] = 1;
          queue[tail++] = u;
        }
      }
    }
    if (!ok) continue;
    // Every vertex of a triangle must be reached; unreferenced vertices keep the geometric guess.
    for (let i = 0; i < n && ok; i++) {
      if (m[i] === -1) {
        if (used[i]) ok = false;
        else m[i] = guess[i];
      }
    }
    for (let i = 0; i < n && ok; i++) if (used[i] && m[m[i]] !== i) ok = false;
    if (ok) return m;
  }
  return null;
}

/** Nearest mirrored vertices, matched greedily into an involution where possible. */
function geometricSymmetry(
  p: Float32Array | Float64Array,
  tree: KdTree,
  c: number,
  candidates: number,
): Int32Array {
  const n = p.length / 3;
  const k = Math.min(candidates, n);
  if (!(k >= 1))
    throw new RangeError(`computeSymmetry: candidates must be ≥ 1, got ${candidates}.`);
  const ix = new Int32Array(k);
  const d2 = new Float64Array(k);
  const pi = new Int32Array(n * k);
  const pj = new Int32Array(n * k);
  const cost = new Float64Array(n * k);
  const nearest = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const found = tree.knn(2 * c - p[3 * i], p[3 * i + 1], p[3 * i + 2], k, ix, d2);
    nearest[i] = ix[0];
    for (let t = 0; t < found; t++) {
      pi[count] = i;
      pj[count] = ix[t];
      cost[count++] = d2[t];
    }
  }
  // Mutually nearest pairs are what the greedy matching picks first anyway (no cheaper pair
  // touches either vertex), so take them directly and sort only the rest.
  const m = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const j = nearest[i];
    if (j >= 0 && nearest[j] === i) m[i] = j;
  }
  const rest: number[] = [];
  for (let e = 0; e < count; e++) if (m[pi[e]] === -1 && m[pj[e]] === -1) rest.push(e);
  rest.sort((a, b) => cost[a] - cost[b]);
  for (const e of rest) {
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

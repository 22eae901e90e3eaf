/**
 * Tutte / harmonic embedding of a disc-like face mesh into the unit square (or disc):
 * boundary loop → boundary mapped by arc length to a convex shape → sparse harmonic solve
 * (the libigl `tutorial/501_HarmonicParam` pipeline), with holes and left-right symmetry.
 *
 * Convention (DESIGN.md UV grid): the UV image looks like a frontal view of the face — u
 * increases with model x (the subject's left, which appears on the image right), v increases
 * with model y (up). For triangles counter-clockwise seen from +z this holds because the outer
 * boundary (CCW seen from +z) is laid out counter-clockwise from its top point (0.5, 1), so the
 * embedding keeps every triangle counter-clockwise in (u, v).
 */
import { ShapeError } from '../errors';
import { GeometryError } from './errors';
import { boundaryLoops, checkTriangles, countFlippedTriangles, distance3 } from './mesh';
import { AmgPreconditioner } from './amg';
import { biCgStab, type CsrMatrix, conjugateGradient } from './sparse';
import { computeSymmetry } from './symmetry';
import { TUTTE_WEIGHTS, type TutteWeights, tutteWeights } from './weights';

export type TutteBoundary = 'square' | 'circle';
const BOUNDARIES: readonly TutteBoundary[] = ['square', 'circle'];

export interface TutteMesh {
  /** [N, 3] vertex positions. */
  positions: Float32Array | Float64Array;
  /** [F, 3] vertex ids, counter-clockwise seen from +z. */
  triangles: Uint32Array;
}

export interface TutteOptions {
  /** Edge weights (see `weights.ts`). Default 'meanValue' (positive, so no flips). */
  weights?: TutteWeights;
  /** Convex shape the outer boundary is mapped onto by arc length. Default 'square'. */
  boundary?: TutteBoundary;
  /** Make the embedding exactly left-right symmetric (u ↦ 1 − u, v ↦ v). Default false. */
  symmetric?: boolean;
  /** [N] mirror vertex of each vertex (an involution); default `computeSymmetry(mesh)`. */
  symmetry?: Int32Array;
  /** Relative residual of the linear solves. Default 1e-10. */
  tolerance?: number;
  /** Iteration cap of each linear solve. Default 20 000. */
  maxIterations?: number;
}

export interface TutteResult {
  /** [N, 2] (u, v) in [0, 1]², u with model x, v with model y. */
  /** [N, 2] (u, v) in [0, 1]², u with model x, v with model y; NaN for a vertex in no triangle. */
  uv: Float32Array;
  /** Triangles whose (u, v) image is not counter-clockwise (signed area ≤ 0, checked on `uv`). */
  flippedTriangles: number;
  /** Krylov iterations, summed over the solves (u and v). */
  iterations: number;
  /** Largest true relative residual ‖b − Ax‖/‖b‖ of the solves. */
  residual: number;
  /** Whether every solve reached `tolerance`. */
  converged: boolean;
  /** The outer boundary loop, starting at the vertex (or edge) mapped to the top (0.5, 1). */
  boundary: Uint32Array;
  /** The other boundary loops (holes: the SFM mouth slit, eye holes). */
  holes: Uint32Array[];
  /** [H, 2] (u, v) of the virtual centre vertex that fills each hole (see `tutteEmbedding`). */
  holeCentres: Float32Array;
}

/**
 * Tutte embedding of a mesh with one outer boundary and any number of holes.
 *
 * Holes are filled for the solve with a virtual vertex at the hole's centroid joined to every
 * hole vertex (a triangle fan); this makes the mesh a topological disc, for which Tutte's
 * theorem (Floater 2003: positive weights, each interior vertex a convex combination of its
 * neighbours, boundary on a convex polygon) guarantees a bijective embedding — no flipped
 * triangle — for `uniform` and `meanValue` weights. Leaving hole vertices free without a fill
 * gives no such guarantee. Holes therefore map to star-shaped polygons around `holeCentres`.
 * `cotangent` weights can be negative: flips are possible and counted in `flippedTriangles`.
 *
 * `symmetric: true` uses the mirror map m (an involution mapping the outer boundary to itself):
 * the boundary's two fixed points (vertices or edge midpoints) go to (0.5, 1) and (0.5, 0), the
 * arc-length parameter is averaged with its mirror, vertices on the symmetry line get u = 0.5,
 * and only the half with the larger x (plus the line for v) is solved; the other half is its
 * mirror (u ↦ 1 − u). The reduced system is the Galerkin fold Sᵀ L S of the full system, i.e.
 * the full Tutte system with mirror-averaged weights (w_ij + w_m(i)m(j))/2, so Tutte's
 * guarantee carries over whenever m maps triangles to triangles.
 *
 * Solves: conjugate gradients for the symmetric uniform/cotangent systems, BiCGSTAB for
 * mean-value weights, both preconditioned by a smoothed-aggregation AMG V-cycle (`amg.ts`), to
 * a true relative residual ≤ `tolerance`. Which half is "solved" only picks representatives: any
 * choice gives the same (symmetric) solution.
 *
 * @throws GeometryError for a mesh without boundary, or (symmetric) a mirror map that is not an
 *   involution, maps boundary to interior, or crosses the outer boundary other than twice.
 * @throws ShapeError for arrays of the wrong length; RangeError for unknown option values.
 */
export function tutteEmbedding(mesh: TutteMesh, options: TutteOptions = {}): TutteResult {
  const kind = options.weights ?? 'meanValue';
  if (!TUTTE_WEIGHTS.includes(kind)) {
    throw new RangeError(
      `tutteEmbedding: weights must be one of ${TUTTE_WEIGHTS.join(', ')}, got '${kind}'.`,
    );
  }
  const shape = options.boundary ?? 'square';
  if (!BOUNDARIES.includes(shape)) {
    throw new RangeError(
      `tutteEmbedding: boundary must be one of ${BOUNDARIES.join(', ')}, got '${shape}'.`,
    );
  }
  const { positions, triangles } = mesh;
  if (positions.length % 3 !== 0) {
    throw new ShapeError(
      `Error in tutteEmbedding: positions must have shape [N,3], but got length ${positions.length}.`,
    );
  }
  const n = positions.length / 3;
  checkTriangles('tutteEmbedding', triangles, n);
  const loops = boundaryLoops(triangles, n, positions);
  if (loops.length === 0) {
    throw new GeometryError(
      'tutteEmbedding: the mesh has no boundary; a Tutte embedding needs a disc-like mesh.',
    );
  }
  const outer = loops[0];
  const holes = loops.slice(1);

  // Extended mesh: a virtual centre vertex per hole, fanned to the hole's loop.
  const nh = holes.length;
  const nv = n + nh;
  const p = new Float64Array(nv * 3);
  p.set(positions);
  let fanSize = 0;
  for (const h of holes) fanSize += h.length;
  const tri = new Uint32Array(triangles.length + 3 * fanSize);
  tri.set(triangles);
  let o = triangles.length;
  holes.forEach((loop, h) => {
    const c = n + h;
    for (const v of loop)
      for (let d = 0; d < 3; d++) p[3 * c + d] += positions[3 * v + d] / loop.length;
    for (let k = 0; k < loop.length; k++) {
      // The hole's half-edge a → b has no twin; the fan triangle supplies b → a.
      tri[o++] = loop[(k + 1) % loop.length];
      tri[o++] = loop[k];
      tri[o++] = c;
    }
  });

  const mirror = options.symmetric ? extendedMirror(mesh, options.symmetry, outer, holes, n) : null;
  // side: +1 the solved half (larger x), 0 on the symmetry line, −1 the mirrored half.
  const side = new Int8Array(nv).fill(1);
  if (mirror) {
    for (let i = 0; i < nv; i++) {
      const j = mirror[i];
      if (j === i) side[i] = 0;
      else if (p[3 * i] !== p[3 * j]) side[i] = p[3 * i] > p[3 * j] ? 1 : -1;
      else side[i] = i < j ? 1 : -1;
    }
  }

  const { order, s } = boundaryParameter(p, outer, mirror);
  const fixedU = new Float64Array(nv).fill(Number.NaN);
  const fixedV = new Float64Array(nv).fill(Number.NaN);
  for (let k = 0; k < order.length; k++) {
    const [u, v] = shape === 'square' ? squarePoint(s[k]) : circlePoint(s[k]);
    fixedU[order[k]] = u;
    fixedV[order[k]] = v;
  }
  if (mirror) {
    for (let i = 0; i < nv; i++) {
      if (side[i] === 0) fixedU[i] = 0.5;
      // Copy the solved half's boundary values so the two halves agree to the last bit.
      if (side[i] === -1 && !Number.isNaN(fixedV[i])) {
        fixedU[i] = 1 - fixedU[mirror[i]];
        fixedV[i] = fixedV[mirror[i]];
      }
    }
  }

  const w = tutteWeights(p, tri, nv, kind);
  const symmetricMatrix = kind !== 'meanValue';
  const tol = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 20000;
  // With a mirror the u system (line fixed at 0.5, signs flipped) differs from the v system.
  const cacheU = {};
  const cacheV = mirror ? {} : cacheU;
  const coordU = solveCoordinate(
    w,
    fixedU,
    mirror,
    side,
    true,
    symmetricMatrix,
    tol,
    maxIterations,
    cacheU,
  );
  const coordV = solveCoordinate(
    w,
    fixedV,
    mirror,
    side,
    false,
    symmetricMatrix,
    tol,
    maxIterations,
    cacheV,
  );

  const uv = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    uv[2 * i] = coordU.x[i];
    uv[2 * i + 1] = coordV.x[i];
  }
  const holeCentres = new Float32Array(nh * 2);
  for (let h = 0; h < nh; h++) {
    holeCentres[2 * h] = coordU.x[n + h];
    holeCentres[2 * h + 1] = coordV.x[n + h];
  }
  return {
    uv,
    flippedTriangles: countFlippedTriangles(uv, triangles),
    iterations: coordU.iterations + coordV.iterations,
    residual: Math.max(coordU.residual, coordV.residual),
    converged: coordU.converged && coordV.converged,
    boundary: Uint32Array.from(order),
    holes,
    holeCentres,
  };
}

/** The mirror map extended to the virtual hole centres, validated as an involution. */
function extendedMirror(
  mesh: TutteMesh,
  given: Int32Array | undefined,
  outer: Uint32Array,
  holes: Uint32Array[],
  n: number,
): Int32Array {
  const sym = given ?? computeSymmetry({ positions: mesh.positions, triangles: mesh.triangles });
  if (sym.length !== n) {
    throw new ShapeError(
      `Error in tutteEmbedding: symmetry must have shape [${n}], but got [${sym.length}].`,
    );
  }
  for (let i = 0; i < n; i++) {
    const j = sym[i];
    if (!(j >= 0 && j < n) || sym[j] !== i) {
      throw new GeometryError(
        `tutteEmbedding: symmetry must be an involution on vertex ids < ${n}, but symmetry[${i}] = ${j}` +
          (j >= 0 && j < n ? ` and symmetry[${j}] = ${sym[j]}.` : '.'),
      );
    }
  }
  const loopOf = new Int32Array(n).fill(-2);
  for (const v of outer) loopOf[v] = -1;
  holes.forEach((loop, h) => {
    for (const v of loop) loopOf[v] = h;
  });
  const mirror = new Int32Array(n + holes.length);
  mirror.set(sym);
  for (let i = 0; i < n; i++) {
    if ((loopOf[i] === -2) !== (loopOf[sym[i]] === -2)) {
      throw new GeometryError(
        `tutteEmbedding: symmetry maps boundary vertex ${loopOf[i] === -2 ? sym[i] : i} to interior vertex ${loopOf[i] === -2 ? i : sym[i]}.`,
      );
    }
  }
  for (const v of outer) {
    if (loopOf[sym[v]] !== -1) {
      throw new GeometryError(
        `tutteEmbedding: symmetry maps outer-boundary vertex ${v} off the outer boundary.`,
      );
    }
  }
  holes.forEach((loop, h) => {
    const target = loopOf[sym[loop[0]]];
    for (const v of loop) {
      if (loopOf[sym[v]] !== target) {
        throw new GeometryError(
          `tutteEmbedding: symmetry does not map hole ${h} onto one hole (vertex ${v}).`,
        );
      }
    }
    mirror[n + h] = n + target;
  });
  return mirror;
}

/**
 * Arc-length parameter s ∈ [0, 1) of each outer-loop vertex, counter-clockwise from the top
 * point (s = 0 ↦ (0.5, 1)). Symmetric: the top point is the loop's fixed point with the larger
 * y, and s is averaged with 1 − s of the mirror so that s(m(i)) = 1 − s(i) exactly.
 */
function boundaryParameter(p: Float64Array, outer: Uint32Array, mirror: Int32Array | null) {
  const len = outer.length;
  const edge = new Float64Array(len);
  let total = 0;
  for (let k = 0; k < len; k++) {
    edge[k] = distance3(p, outer[k], outer[(k + 1) % len]);
    total += edge[k];
  }
  let start = 0; // first loop position in the output order
  let startOffset = 0; // arc length from the top point to that vertex
  if (mirror) {
    let bestY = -Infinity;
    let found = 0;
    for (let k = 0; k < len; k++) {
      const a = outer[k];
      const b = outer[(k + 1) % len];
      if (mirror[a] === a) {
        found++;
        if (p[3 * a + 1] > bestY) {
          bestY = p[3 * a + 1];
          start = k;
          startOffset = 0;
        }
      } else if (mirror[a] === b) {
        found++;
        const y = 0.5 * (p[3 * a + 1] + p[3 * b + 1]);
        if (y > bestY) {
          bestY = y;
          start = (k + 1) % len;
          startOffset = 0.5 * edge[k];
        }
      }
    }
    if (found !== 2) {
      throw new GeometryError(
        `tutteEmbedding: the symmetry should cross the outer boundary exactly twice, but it has ${found} fixed points there.`,
      );
    }
  } else {
    // The loop vertex in the direction closest to +y from the loop's centroid.
    let cx = 0;
    let cy = 0;
    for (const v of outer) {
      cx += p[3 * v] / len;
      cy += p[3 * v + 1] / len;
    }
    let best = -Infinity;
    for (let k = 0; k < len; k++) {
      const dx = p[3 * outer[k]] - cx;
      const dy = p[3 * outer[k] + 1] - cy;
      const c = dy / (Math.hypot(dx, dy) || 1);
      if (c > best) {
        best = c;
        start = k;
      }
    }
  }
  const order = new Uint32Array(len);
  const t = new Float64Array(len);
  let acc = startOffset;
  for (let k = 0; k < len; k++) {
    const pos = (start + k) % len;
    order[k] = outer[pos];
    t[k] = acc;
    acc += edge[pos];
  }
  const s = new Float64Array(len);
  if (mirror) {
    const at = new Map<number, number>();
    for (let k = 0; k < len; k++) at.set(order[k], k);
    for (let k = 0; k < len; k++) {
      const mk = at.get(mirror[order[k]])!;
      s[k] = t[k] === 0 && mk === k ? 0 : (t[k] + total - t[mk]) / (2 * total);
    }
  } else {
    for (let k = 0; k < len; k++) s[k] = t[k] / total;
  }
  return { order, s };
}

/** Perimeter parameter s ∈ [0, 1) ↦ the unit square, CCW from (0.5, 1). */
function squarePoint(s: number): [number, number] {
  const q = 4 * s;
  if (q < 0.5) return [0.5 - q, 1];
  if (q < 1.5) return [0, 1.5 - q];
  if (q < 2.5) return [q - 1.5, 0];
  if (q < 3.5) return [1, q - 2.5];
  return [4.5 - q, 1];
}

/** s ∈ [0, 1) ↦ the circle inscribed in the unit square, CCW from (0.5, 1). */
function circlePoint(s: number): [number, number] {
  const phi = Math.PI / 2 + 2 * Math.PI * s;
  return [0.5 + 0.5 * Math.cos(phi), 0.5 + 0.5 * Math.sin(phi)];
}

/**
 * Solves one coordinate: Σⱼ Wₖⱼ (xⱼ − xₖ) = 0 at every free vertex k, with `fixed` values
 * (NaN = free). With a mirror, x on the mirrored half is σ·x(m(k)) + c (u: 1 − u, v: v) and the
 * equations of a vertex and its mirror are summed with the same signs (Sᵀ L S), which keeps
 * symmetric systems symmetric.
 */
function solveCoordinate(
  w: CsrMatrix,
  fixed: Float64Array,
  mirror: Int32Array | null,
  side: Int8Array,
  isU: boolean,
  symmetricMatrix: boolean,
  tolerance: number,
  maxIterations: number,
  cache: { amg?: AmgPreconditioner },
) {
  const nv = w.rows;
  // x_k = sigma_k · y[rep_k] + cst_k for every vertex k (identity without a mirror).
  const rep = new Int32Array(nv);
  const sigma = new Float64Array(nv).fill(1);
  const cst = new Float64Array(nv);
  for (let k = 0; k < nv; k++) {
    const other = mirror !== null && side[k] === -1;
    rep[k] = other ? mirror[k] : k;
    if (other && isU) {
      sigma[k] = -1;
      cst[k] = 1;
    }
  }
  // A vertex in no triangle has no equation: it is left out and gets NaN.
  const { rowPtr: wPtr, colIdx: wCol, values: wVal } = w;
  const isolated = (k: number): boolean => wPtr[k] === wPtr[k + 1];
  const index = new Int32Array(nv).fill(-1);
  const unknowns: number[] = [];
  for (let k = 0; k < nv; k++) {
    if (Number.isNaN(fixed[k]) && rep[k] === k && !isolated(k)) {
      index[k] = unknowns.length;
      unknowns.push(k);
    }
  }
  const nu = unknowns.length;
  const x = new Float64Array(nv);
  if (nu === 0) {
    for (let k = 0; k < nv; k++) x[k] = Number.isNaN(fixed[k]) ? Number.NaN : fixed[k];
    return { x, iterations: 0, residual: 0, converged: true };
  }
  // Each reduced row gathers at most two mesh rows, so 2·nnz(W) + 2·nu bounds its entries.
  const cap = 2 * wPtr[nv] + 2 * nu;
  const rowPtr = new Uint32Array(nu + 1);
  const cols = new Uint32Array(cap);
  const vals = new Float64Array(cap);
  const b = new Float64Array(nu);
  const acc = new Float64Array(nu);
  const mark = new Int32Array(nu).fill(-1);
  const touched = new Int32Array(nu);
  let nnz = 0;
  for (let r = 0; r < nu; r++) {
    const a = unknowns[r];
    let nt = 0;
    const orbitSize = mirror !== null && side[a] === 1 ? 2 : 1;
    for (let o = 0; o < orbitSize; o++) {
      const k = o === 0 ? a : mirror![a];
      const sk = sigma[k];
      const ck = cst[k];
      let d = 0;
      let rhs = 0;
      for (let e = wPtr[k]; e < wPtr[k + 1]; e++) {
        const j = wCol[e];
        const wkj = wVal[e];
        d += wkj;
        const fj = fixed[j];
        if (!Number.isNaN(fj)) rhs += sk * wkj * fj;
        else {
          const c = index[rep[j]];
          if (mark[c] !== r) {
            mark[c] = r;
            acc[c] = 0;
            touched[nt++] = c;
          }
          acc[c] -= sk * wkj * sigma[j];
          rhs += sk * wkj * cst[j];
        }
      }
      if (mark[r] !== r) {
        mark[r] = r;
        acc[r] = 0;
        touched[nt++] = r;
      }
      acc[r] += d;
      b[r] += rhs - sk * d * ck;
    }
    const row = touched.subarray(0, nt).sort();
    for (let t = 0; t < nt; t++) {
      cols[nnz] = row[t];
      vals[nnz++] = acc[row[t]];
    }
    rowPtr[r + 1] = nnz;
  }
  const a: CsrMatrix = {
    rows: nu,
    cols: nu,
    rowPtr,
    colIdx: cols.slice(0, nnz),
    values: vals.slice(0, nnz),
  };
  const x0 = new Float64Array(nu).fill(0.5);
  // The u and v systems of a full (non-symmetric) solve are the same matrix: one AMG setup.
  if (!cache.amg) cache.amg = new AmgPreconditioner(a);
  const amg = cache.amg;
  const opts = {
    tolerance,
    maxIterations,
    preconditioner: (r: Float64Array, z: Float64Array) => amg.apply(r, z),
  };
  const res = symmetricMatrix ? conjugateGradient(a, b, x0, opts) : biCgStab(a, b, x0, opts);
  for (let k = 0; k < nv; k++) {
    if (!Number.isNaN(fixed[k])) x[k] = fixed[k];
    else if (isolated(k)) x[k] = Number.NaN;
    else x[k] = sigma[k] * res.x[index[rep[k]]] + cst[k];
  }
  return { x, iterations: res.iterations, residual: res.residual, converged: res.converged };
}

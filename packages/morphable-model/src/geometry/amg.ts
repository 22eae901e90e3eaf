/**
 * Smoothed-aggregation algebraic multigrid (Vaněk, Mandel, Brezina 1996) used as a Krylov
 * preconditioner: one V(1,1)-cycle with forward Gauss–Seidel before and backward Gauss–Seidel
 * after the coarse correction (a symmetric preconditioner for symmetric A, so CG may use it).
 *
 * Why: Jacobi-preconditioned CG needs O(√κ) = O(mesh diameter) iterations on a Laplacian —
 * thousands on a 50k-vertex face — while a V-cycle makes the count nearly independent of size.
 */
import type { CsrMatrix } from './sparse';

interface Level {
  a: CsrMatrix;
  invDiag: Float64Array;
  /** Prolongation to this level from the next coarser one (fine × coarse). */
  p?: CsrMatrix;
  /** Restriction Pᵀ. */
  r?: CsrMatrix;
  /** Scratch vectors sized to this level. */
  x: Float64Array;
  b: Float64Array;
  res: Float64Array;
}

/** Largest coarsest level solved by dense LU; beyond it, COARSE_SWEEPS symmetric Gauss–Seidel sweeps. */
const MAX_DENSE = 600;
const COARSE_SWEEPS = 4;

export interface AmgOptions {
  /** Stop coarsening at this many unknowns and solve densely. Default 64. */
  maxCoarse?: number;
  /** Strength threshold θ: j is a strong neighbour of i if |aᵢⱼ| ≥ θ √|aᵢᵢ aⱼⱼ|. Default 0.08. */
  strength?: number;
  /** Maximum number of levels. Default 12. */
  maxLevels?: number;
}

/** An AMG hierarchy; `apply(r, z)` sets z ≈ A⁻¹ r by one V-cycle. */
export class AmgPreconditioner {
  private readonly levels: Level[] = [];
  private readonly lu: Float64Array;
  private readonly piv: Int32Array;
  private readonly nc: number;

  constructor(a: CsrMatrix, options: AmgOptions = {}) {
    const maxCoarse = options.maxCoarse ?? 64;
    const theta = options.strength ?? 0.08;
    const maxLevels = options.maxLevels ?? 12;
    let cur = a;
    for (;;) {
      const level = makeLevel(cur);
      this.levels.push(level);
      if (cur.rows <= maxCoarse || this.levels.length >= maxLevels) break;
      const agg = aggregate(cur, level.invDiag, theta);
      // Weak coarsening would only add levels whose operators fill in: stop and solve there.
      if (agg.count === 0 || agg.count > cur.rows * 0.5) break;
      const p = smoothedProlongation(cur, level.invDiag, agg.of, agg.count);
      const r = transpose(p);
      level.p = p;
      level.r = r;
      cur = multiply(r, multiply(cur, p));
    }
    const coarse = this.levels[this.levels.length - 1].a;
    this.nc = coarse.rows;
    if (this.nc > MAX_DENSE) {
      // Coarsening stalled (weak connections everywhere): a dense LU would cost O(n³), so the
      // coarsest level gets symmetric Gauss–Seidel sweeps instead (still a fixed, symmetric
      // linear operator, as CG needs).
      this.lu = new Float64Array(0);
      this.piv = new Int32Array(0);
      return;
    }
    this.lu = new Float64Array(this.nc * this.nc);
    for (let i = 0; i < coarse.rows; i++) {
      for (let k = coarse.rowPtr[i]; k < coarse.rowPtr[i + 1]; k++) {
        this.lu[i * this.nc + coarse.colIdx[k]] += coarse.values[k];
      }
    }
    this.piv = luFactor(this.lu, this.nc);
  }

  /** Number of levels, finest first, and their sizes. */
  get sizes(): number[] {
    return this.levels.map((l) => l.a.rows);
  }

  /** z ← one V-cycle applied to r (z is overwritten). */
  apply(r: Float64Array, z: Float64Array): void {
    const top = this.levels[0];
    top.b.set(r);
    this.cycle(0);
    z.set(top.x);
  }

  private cycle(l: number): void {
    const lev = this.levels[l];
    const { a, invDiag, x, b, res } = lev;
    if (l === this.levels.length - 1) {
      if (this.nc > MAX_DENSE) {
        x.fill(0);
        for (let sweep = 0; sweep < COARSE_SWEEPS; sweep++) {
          gaussSeidel(a, invDiag, b, x, true);
          gaussSeidel(a, invDiag, b, x, false);
        }
        return;
      }
      x.set(b);
      luSolve(this.lu, this.piv, this.nc, x);
      return;
    }
    x.fill(0);
    gaussSeidel(a, invDiag, b, x, true);
    // res = b − A x, restricted to the next level's right-hand side.
    const { rowPtr, colIdx, values } = a;
    for (let i = 0; i < a.rows; i++) {
      let s = b[i];
      const end = rowPtr[i + 1];
      for (let k = rowPtr[i]; k < end; k++) s -= values[k] * x[colIdx[k]];
      res[i] = s;
    }
    const next = this.levels[l + 1];
    spmv(lev.r!, res, next.b);
    this.cycle(l + 1);
    const p = lev.p!;
    const pr = p.rowPtr;
    const pc = p.colIdx;
    const pv = p.values;
    const xc = next.x;
    for (let i = 0; i < p.rows; i++) {
      let s = 0;
      const end = pr[i + 1];
      for (let k = pr[i]; k < end; k++) s += pv[k] * xc[pc[k]];
      x[i] += s;
    }
    gaussSeidel(a, invDiag, b, x, false);
  }
}

function makeLevel(a: CsrMatrix): Level {
  const invDiag = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++)
      if (a.colIdx[k] === i) invDiag[i] += a.values[k];
    if (!(invDiag[i] !== 0 && Number.isFinite(invDiag[i]))) {
      throw new RangeError(
        `AmgPreconditioner: zero or non-finite diagonal at row ${i} of a ${a.rows}-row level.`,
      );
    }
    invDiag[i] = 1 / invDiag[i];
  }
  const n = a.rows;
  return { a, invDiag, x: new Float64Array(n), b: new Float64Array(n), res: new Float64Array(n) };
}

function spmv(a: CsrMatrix, x: Float64Array, y: Float64Array): void {
  const { rowPtr, colIdx, values } = a;
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    const end = rowPtr[i + 1];
    for (let k = rowPtr[i]; k < end; k++) s += values[k] * x[colIdx[k]];
    y[i] = s;
  }
}

/** One Gauss–Seidel sweep, forward or backward. */
function gaussSeidel(
  a: CsrMatrix,
  invDiag: Float64Array,
  b: Float64Array,
  x: Float64Array,
  forward: boolean,
) {
  const { rowPtr, colIdx, values } = a;
  const n = a.rows;
  for (let t = 0; t < n; t++) {
    const i = forward ? t : n - 1 - t;
    let s = b[i];
    const end = rowPtr[i + 1];
    for (let k = rowPtr[i]; k < end; k++) s -= values[k] * x[colIdx[k]];
    x[i] += s * invDiag[i];
  }
}

/** Greedy aggregation on the strength graph (Vaněk et al. phases 1–3). */
function aggregate(
  a: CsrMatrix,
  invDiag: Float64Array,
  theta: number,
): { of: Int32Array; count: number } {
  const n = a.rows;
  const of = new Int32Array(n).fill(-1);
  const strong = (i: number, k: number): boolean => {
    const j = a.colIdx[k];
    return (
      j !== i && Math.abs(a.values[k]) >= theta * Math.sqrt(Math.abs(1 / (invDiag[i] * invDiag[j])))
    );
  };
  let count = 0;
  // Phase 1: a vertex whose strong neighbours are all free seeds an aggregate of its neighbourhood.
  for (let i = 0; i < n; i++) {
    if (of[i] !== -1) continue;
    let free = true;
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1] && free; k++)
      if (strong(i, k) && of[a.colIdx[k]] !== -1) free = false;
    if (!free) continue;
    of[i] = count;
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) if (strong(i, k)) of[a.colIdx[k]] = count;
    count++;
  }
  // Phase 2: join a neighbouring aggregate (the strongest connection).
  const phase1 = Int32Array.from(of);
  for (let i = 0; i < n; i++) {
    if (of[i] !== -1) continue;
    let best = -1;
    let bestW = 0;
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
      const j = a.colIdx[k];
      if (strong(i, k) && phase1[j] !== -1 && Math.abs(a.values[k]) > bestW) {
        bestW = Math.abs(a.values[k]);
        best = phase1[j];
      }
    }
    of[i] = best;
  }
  // Phase 3: what is left (weakly connected) forms aggregates with its free neighbours.
  for (let i = 0; i < n; i++) {
    if (of[i] !== -1) continue;
    of[i] = count;
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
      const j = a.colIdx[k];
      if (of[j] === -1) of[j] = count;
    }
    count++;
  }
  return { of, count };
}

/** P = (I − ω D⁻¹A) P_tent with ω = 4 / (3ρ), ρ ≥ ρ(D⁻¹A) by Gershgorin. */
function smoothedProlongation(
  a: CsrMatrix,
  invDiag: Float64Array,
  of: Int32Array,
  count: number,
): CsrMatrix {
  const n = a.rows;
  let rho = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) s += Math.abs(a.values[k]);
    rho = Math.max(rho, s * Math.abs(invDiag[i]));
  }
  const omega = 4 / (3 * rho);
  const rowPtr = new Uint32Array(n + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  const acc = new Float64Array(count);
  const mark = new Int32Array(count).fill(-1);
  const touched: number[] = [];
  const { rowPtr: ar, colIdx: ac, values: av } = a;
  for (let i = 0; i < n; i++) {
    touched.length = 0;
    mark[of[i]] = i;
    acc[of[i]] = 1;
    touched.push(of[i]);
    const f = -omega * invDiag[i];
    for (let k = ar[i]; k < ar[i + 1]; k++) {
      const c = of[ac[k]];
      if (mark[c] !== i) {
        mark[c] = i;
        acc[c] = 0;
        touched.push(c);
      }
      acc[c] += f * av[k];
    }
    for (const c of touched) {
      if (acc[c] !== 0) {
        cols.push(c);
        vals.push(acc[c]);
      }
    }
    rowPtr[i + 1] = cols.length;
  }
  return {
    rows: n,
    cols: count,
    rowPtr,
    colIdx: Uint32Array.from(cols),
    values: Float64Array.from(vals),
  };
}

export function transpose(a: CsrMatrix): CsrMatrix {
  const rowPtr = new Uint32Array(a.cols + 1);
  const nnz = a.rowPtr[a.rows];
  for (let k = 0; k < nnz; k++) rowPtr[a.colIdx[k] + 1]++;
  for (let j = 0; j < a.cols; j++) rowPtr[j + 1] += rowPtr[j];
  const fill = rowPtr.slice(0, a.cols);
  const colIdx = new Uint32Array(nnz);
  const values = new Float64Array(nnz);
  for (let i = 0; i < a.rows; i++) {
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
      const p = fill[a.colIdx[k]]++;
      colIdx[p] = i;
      values[p] = a.values[k];
    }
  }
  return { rows: a.cols, cols: a.rows, rowPtr, colIdx, values };
}

/** C = A B (Gustavson's row-by-row product). */
export function multiply(a: CsrMatrix, b: CsrMatrix): CsrMatrix {
  const rowPtr = new Uint32Array(a.rows + 1);
  const acc = new Float64Array(b.cols);
  const mark = new Int32Array(b.cols).fill(-1);
  const touched: number[] = [];
  let colIdx = new Uint32Array(Math.max(16, a.rowPtr[a.rows] * 2));
  let values = new Float64Array(colIdx.length);
  let nnz = 0;
  const { rowPtr: ar, colIdx: ac, values: avs } = a;
  const { rowPtr: br, colIdx: bc, values: bv } = b;
  for (let i = 0; i < a.rows; i++) {
    touched.length = 0;
    for (let ka = ar[i]; ka < ar[i + 1]; ka++) {
      const k = ac[ka];
      const av = avs[ka];
      for (let kb = br[k]; kb < br[k + 1]; kb++) {
        const j = bc[kb];
        if (mark[j] !== i) {
          mark[j] = i;
          acc[j] = 0;
          touched.push(j);
        }
        acc[j] += av * bv[kb];
      }
    }
    if (nnz + touched.length > colIdx.length) {
      const size = Math.max(colIdx.length * 2, nnz + touched.length);
      const c2 = new Uint32Array(size);
      c2.set(colIdx);
      const v2 = new Float64Array(size);
      v2.set(values);
      colIdx = c2;
      values = v2;
    }
    for (const j of touched) {
      colIdx[nnz] = j;
      values[nnz++] = acc[j];
    }
    rowPtr[i + 1] = nnz;
  }
  return {
    rows: a.rows,
    cols: b.cols,
    rowPtr,
    colIdx: colIdx.slice(0, nnz),
    values: values.slice(0, nnz),
  };
}

/** In-place LU with partial pivoting of a dense n × n row-major matrix; returns the pivots. */
function luFactor(m: Float64Array, n: number): Int32Array {
  const piv = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    let best = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs(m[r * n + c]) > Math.abs(m[best * n + c])) best = r;
    piv[c] = best;
    if (best !== c) {
      for (let k = 0; k < n; k++) {
        const t = m[c * n + k];
        m[c * n + k] = m[best * n + k];
        m[best * n + k] = t;
      }
    }
    const d = m[c * n + c];
    if (d === 0)
      throw new RangeError(`AmgPreconditioner: the coarsest matrix (${n} × ${n}) is singular.`);
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / d;
      m[r * n + c] = f;
      if (f !== 0) for (let k = c + 1; k < n; k++) m[r * n + k] -= f * m[c * n + k];
    }
  }
  return piv;
}

function luSolve(m: Float64Array, piv: Int32Array, n: number, x: Float64Array): void {
  // Whole rows (L part included) were swapped during factoring: P A = L U, so permute b first.
  for (let c = 0; c < n; c++) {
    const p = piv[c];
    if (p !== c) {
      const t = x[c];
      x[c] = x[p];
      x[p] = t;
    }
  }
  for (let c = 0; c < n; c++) for (let r = c + 1; r < n; r++) x[r] -= m[r * n + c] * x[c];
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let k = r + 1; k < n; k++) s -= m[r * n + k] * x[k];
    x[r] = s / m[r * n + r];
  }
}

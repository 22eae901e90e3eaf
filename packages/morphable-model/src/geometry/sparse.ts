/**
 * Sparse matrices in CSR layout and preconditioned Krylov solvers on Float64Arrays.
 *
 * `conjugateGradient` is for symmetric positive definite matrices (uniform and cotangent
 * Laplacians with Dirichlet rows removed); `biCgStab` for non-symmetric ones (mean-value
 * weights). Both stop at a relative residual ‖b − Ax‖ / ‖b‖ ≤ tolerance, recomputed from
 * scratch at the end, so the reported residual is the true one.
 */
import { ShapeError } from '../errors';
import { AmgPreconditioner } from './amg';

/** A rows × cols sparse matrix: row i holds `colIdx/values[rowPtr[i] .. rowPtr[i+1])`. */
export interface CsrMatrix {
  rows: number;
  cols: number;
  /** [rows + 1] */
  rowPtr: Uint32Array;
  /** [nnz] column of each stored value. */
  colIdx: Uint32Array;
  /** [nnz] */
  values: Float64Array;
}

/** y ← A x. */
export function csrMultiply(a: CsrMatrix, x: Float64Array, y: Float64Array): Float64Array {
  const { rows, rowPtr, colIdx, values } = a;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const end = rowPtr[i + 1];
    for (let k = rowPtr[i]; k < end; k++) s += values[k] * x[colIdx[k]];
    y[i] = s;
  }
  return y;
}

/** The diagonal of A ([rows]); missing entries are 0. */
export function csrDiagonal(a: CsrMatrix): Float64Array {
  const d = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) if (a.colIdx[k] === i) d[i] += a.values[k];
  }
  return d;
}

/** Builds a CSR matrix from triplets, summing duplicates; columns ascend within rows. */
export function csrFromTriplets(
  rows: number,
  cols: number,
  i: ArrayLike<number>,
  j: ArrayLike<number>,
  v: ArrayLike<number>,
): CsrMatrix {
  const n = i.length;
  const count = new Uint32Array(rows + 1);
  for (let k = 0; k < n; k++) count[i[k] + 1]++;
  for (let r = 0; r < rows; r++) count[r + 1] += count[r];
  const cj = new Uint32Array(n);
  const cv = new Float64Array(n);
  const fill = count.slice(0, rows);
  for (let k = 0; k < n; k++) {
    const p = fill[i[k]]++;
    cj[p] = j[k];
    cv[p] = v[k];
  }
  const rowPtr = new Uint32Array(rows + 1);
  const colIdx = new Uint32Array(n);
  const values = new Float64Array(n);
  const order: number[] = [];
  let out = 0;
  for (let r = 0; r < rows; r++) {
    rowPtr[r] = out;
    order.length = 0;
    for (let k = count[r]; k < count[r + 1]; k++) order.push(k);
    order.sort((p, q) => cj[p] - cj[q]);
    for (let t = 0; t < order.length; t++) {
      const k = order[t];
      if (out > rowPtr[r] && colIdx[out - 1] === cj[k]) values[out - 1] += cv[k];
      else {
        colIdx[out] = cj[k];
        values[out++] = cv[k];
      }
    }
  }
  rowPtr[rows] = out;
  return { rows, cols, rowPtr, colIdx: colIdx.slice(0, out), values: values.slice(0, out) };
}

export interface SolverOptions {
  /** Relative residual ‖b − Ax‖/‖b‖ to stop at. Default 1e-10. */
  tolerance?: number;
  /** Default 10 000. */
  maxIterations?: number;
  /**
   * 'amg' (smoothed-aggregation multigrid V-cycle: iteration count nearly independent of mesh
   * size), 'jacobi' (diagonal), 'none', or a function `(r, z) => void` setting z ≈ A⁻¹ r (e.g.
   * a reused `AmgPreconditioner`'s `apply`). Default 'jacobi'.
   */
  preconditioner?: 'amg' | 'jacobi' | 'none' | Preconditioner;
}

export interface SolveResult {
  /** [n] the solution. */
  x: Float64Array;
  iterations: number;
  /** The true relative residual ‖b − Ax‖/‖b‖ of the returned x. */
  residual: number;
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function checkSystem(op: string, a: CsrMatrix, b: Float64Array, x0?: Float64Array) {
  if (a.rows !== a.cols) {
    throw new ShapeError(`Error in ${op}: A must be square, but got [${a.rows},${a.cols}].`);
  }
  if (b.length !== a.rows) {
    throw new ShapeError(`Error in ${op}: b must have shape [${a.rows}], but got [${b.length}].`);
  }
  if (x0 && x0.length !== a.rows) {
    throw new ShapeError(`Error in ${op}: x0 must have shape [${a.rows}], but got [${x0.length}].`);
  }
}

/** z ← M⁻¹ r for a preconditioner M ≈ A (must not keep references to r or z). */
export type Preconditioner = (r: Float64Array, z: Float64Array) => void;

function makePreconditioner(
  a: CsrMatrix,
  kind: string | Preconditioner,
  op: string,
): Preconditioner {
  if (typeof kind === 'function') return kind;
  if (kind === 'none') return (r, z) => z.set(r);
  if (kind === 'amg') {
    const amg = new AmgPreconditioner(a);
    return (r, z) => amg.apply(r, z);
  }
  if (kind !== 'jacobi') {
    throw new RangeError(`${op}: preconditioner must be one of amg, jacobi, none, got '${kind}'.`);
  }
  const d = csrDiagonal(a);
  const inv = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    if (!(d[i] !== 0 && Number.isFinite(d[i]))) {
      throw new RangeError(
        `${op}: Jacobi preconditioner needs a nonzero diagonal, but A[${i},${i}] = ${d[i]}.`,
      );
    }
    inv[i] = 1 / d[i];
  }
  return (r, z) => {
    for (let i = 0; i < r.length; i++) z[i] = inv[i] * r[i];
  };
}

function trueResidual(a: CsrMatrix, b: Float64Array, x: Float64Array, bn: number): number {
  const ax = csrMultiply(a, x, new Float64Array(a.rows));
  let s = 0;
  for (let i = 0; i < a.rows; i++) s += (b[i] - ax[i]) ** 2;
  return Math.sqrt(s) / bn;
}

/** Preconditioned conjugate gradients for symmetric positive definite A. */
export function conjugateGradient(
  a: CsrMatrix,
  b: Float64Array,
  x0?: Float64Array,
  options: SolverOptions = {},
): SolveResult {
  checkSystem('conjugateGradient', a, b, x0);
  const tol = options.tolerance ?? 1e-10;
  const maxIt = options.maxIterations ?? 10000;
  const n = a.rows;
  const precond = makePreconditioner(a, options.preconditioner ?? 'jacobi', 'conjugateGradient');
  const x = x0 ? Float64Array.from(x0) : new Float64Array(n);
  const bn = Math.sqrt(dot(b, b)) || 1;
  const r = new Float64Array(n);
  csrMultiply(a, x, r);
  for (let i = 0; i < n; i++) r[i] = b[i] - r[i];
  const z = new Float64Array(n);
  precond(r, z);
  const p = Float64Array.from(z);
  const ap = new Float64Array(n);
  let rz = dot(r, z);
  let rr = dot(r, r);
  let it = 0;
  const stop = tol * bn;
  while (Math.sqrt(rr) > stop && it < maxIt) {
    csrMultiply(a, p, ap);
    const alpha = rz / dot(p, ap);
    rr = 0;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      const ri = r[i] - alpha * ap[i];
      r[i] = ri;
      rr += ri * ri;
    }
    precond(r, z);
    const rzNew = dot(r, z);
    const beta = rzNew / rz;
    rz = rzNew;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    it++;
  }
  const residual = trueResidual(a, b, x, bn);
  return { x, iterations: it, residual, converged: residual <= tol * 10 };
}

/** Preconditioned BiCGSTAB (van der Vorst 1992) for general non-singular A. */
export function biCgStab(
  a: CsrMatrix,
  b: Float64Array,
  x0?: Float64Array,
  options: SolverOptions = {},
): SolveResult {
  checkSystem('biCgStab', a, b, x0);
  const tol = options.tolerance ?? 1e-10;
  const maxIt = options.maxIterations ?? 10000;
  const n = a.rows;
  const precond = makePreconditioner(a, options.preconditioner ?? 'jacobi', 'biCgStab');
  const x = x0 ? Float64Array.from(x0) : new Float64Array(n);
  const bn = Math.sqrt(dot(b, b)) || 1;
  const r = new Float64Array(n);
  csrMultiply(a, x, r);
  for (let i = 0; i < n; i++) r[i] = b[i] - r[i];
  const rhat = Float64Array.from(r);
  const p = new Float64Array(n);
  const v = new Float64Array(n);
  const y = new Float64Array(n);
  const s = new Float64Array(n);
  const zs = new Float64Array(n);
  const t = new Float64Array(n);
  let rho = 1;
  let alpha = 1;
  let omega = 1;
  let it = 0;
  let rn = Math.sqrt(dot(r, r));
  const stop = tol * bn;
  while (rn > stop && it < maxIt) {
    const rhoNew = dot(rhat, r);
    if (rhoNew === 0 || omega === 0) {
      // Breakdown: restart with the current residual as the shadow vector.
      rhat.set(r);
      p.fill(0);
      v.fill(0);
      rho = alpha = omega = 1;
      continue;
    }
    const beta = (rhoNew / rho) * (alpha / omega);
    rho = rhoNew;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * (p[i] - omega * v[i]);
    precond(p, y);
    csrMultiply(a, y, v);
    alpha = rho / dot(rhat, v);
    let sn = 0;
    for (let i = 0; i < n; i++) {
      s[i] = r[i] - alpha * v[i];
      sn += s[i] * s[i];
    }
    if (Math.sqrt(sn) <= stop) {
      for (let i = 0; i < n; i++) x[i] += alpha * y[i];
      it++;
      break;
    }
    precond(s, zs);
    csrMultiply(a, zs, t);
    const tt = dot(t, t);
    omega = tt > 0 ? dot(t, s) / tt : 0;
    let rr = 0;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * y[i] + omega * zs[i];
      const ri = s[i] - omega * t[i];
      r[i] = ri;
      rr += ri * ri;
    }
    rn = Math.sqrt(rr);
    it++;
  }
  const residual = trueResidual(a, b, x, bn);
  return { x, iterations: it, residual, converged: residual <= tol * 10 };
}

/**
 * The closed-form fit of pose and shape to landmarks, as eos does it (Huber et al., VISAPP 2016):
 * alternate a scaled-orthographic pose estimate from the current shape's landmarks with a linear
 * least-squares solve for α under the prior, a few times. No gradient descent: a few 4×4 and one
 * D×D solve per iteration on ≤ 68 points, plain float64.
 *
 * For a fixed pose (R, s, t) the fitted landmarks are linear in α:
 *   Lᵢ(α) = s·P·R·(μᵢ + Bᵢα) + t,  P = [[1, 0, 0], [0, −1, 0]],
 * and the optimiser's loss without the symmetry term, w_lm/L_used · Σᵢ ‖Lᵢ(α) − lᵢ‖² +
 * w_prior · ‖α‖², is minimised exactly by (AᵀA + λI) α = Aᵀb with λ = w_prior · L_used / w_lm.
 */
import { morphRows, projectScaledOrthographic } from '@3dmm-stn/morphable-model';
import { type ContourChoice, type ContourModel, chooseContour, contourRows } from './contour';
import { type InitialPose, initialPose, weightedRms } from './init';

/**
 * The prior on bounded blendshape weights β: κ·‖β‖² + η·Σβ (β ≥ 0, so Σβ is the L1 norm), in
 * units of the identity prior ‖α‖². The L1 term makes the weights sparse: without it the fit
 * explained identity and detector differences with opposing pairs of blendshapes (on the 43
 * dlib-labelled faces, 66 detected faces: mouthStretch 0.87 and eyeSquint 0.8 on average, a
 * third of the weights at 1; mean weight 0.34). With κ = 1, η = 6 and 40 identity modes the
 * mean weight is 0.05, none of the contradicting pairs stay on, and NME (eye) is 7.58 % (was
 * 7.58 % with κ = 0.3, η = 0). Cost: expressions that move the landmarks by ~1 mm (brows, lids)
 * are shrunk towards 0; the jaw and mouth, which move them by 4–17 mm, are not.
 */
export const EXPRESSION_PRIOR = 1;
export const EXPRESSION_L1 = 6;

/** What the closed-form fit reads of a GridModel: its landmark rows. */
export interface LandmarkRows {
  numModes: number;
  /** Modes before this index are PCA identity modes (unbounded); default all. */
  numShapeModes?: number;
  /** The range of the expression coefficients (modes from `numShapeModes` on), if bounded. */
  expressionRange?: [number, number];
  /** [L, 3] */
  landmarkMean: ArrayLike<number>;
  /** [D, L, 3] */
  landmarkBasis: ArrayLike<number>;
}

export interface ClosedFormOptions {
  /** Pose ↔ shape alternations. Default 5 (eos's default). 0 → pose of the mean shape only. */
  iterations?: number;
  /** λ of the α solve (prior weight relative to the summed squared landmark error). */
  lambda?: number;
  /**
   * The expression modes' prior as a fraction of the identity modes' (`EXPRESSION_PRIOR`):
   * bounded blendshape weights are not N(0, 1) PCA coefficients. Applies to the modes from
   * `rows.numShapeModes` on when `rows.expressionRange` is set.
   */
  expressionPrior?: number;
  /** η of the blendshape weights' sparsity term η·Σβ, in identity-prior units (`EXPRESSION_L1`). */
  expressionSparsity?: number;
  /**
   * Contour-aware jaw points (`contour.ts`): the first pose from the inner points and the chin
   * only, then at every iteration ibug 1–8 / 10–17 matched to the nearest jawline candidate of
   * their side, the side turned away weighted by cos(yaw). Needs `rows.contour` (a GridModel
   * with candidates); default false.
   */
  contour?: boolean;
}

export interface ClosedFormFit extends InitialPose {
  /** [D] shape coefficients. */
  alpha: Float64Array;
  /** The last contour correspondences, when the contour step ran. */
  contour?: ContourChoice;
  /** RMS landmark distance of the final pose and shape (pixels). */
  rms: number;
}

/**
 * @param rows the model's landmark rows.
 * @param p [L, 2] detected landmarks (pixels, in the order of the rows).
 * @param w [L] 1 to use a landmark, 0 to ignore it.
 */
export function closedFormFit(
  rows: LandmarkRows,
  p: ArrayLike<number>,
  w: ArrayLike<number>,
  options: ClosedFormOptions = {},
): ClosedFormFit {
  const iterations = options.iterations ?? 5;
  const D = rows.numModes;
  const L = w.length;
  let used = 0;
  for (let l = 0; l < L; l++) if (w[l] > 0) used++;
  const lambda = options.lambda ?? (0.1 * Math.max(1, used)) / 0.8998;
  const alpha = new Float64Array(D);
  const grid = rows as LandmarkRows & Partial<ContourModel>;
  const crows =
    options.contour === true && grid.contour && grid.landmarkIds && iterations > 0
      ? contourRows(grid as ContourModel)
      : undefined;
  // The rows and weights of this iteration: the contour rows change with the correspondences.
  const cur: LandmarkRows = {
    ...rows,
    landmarkMean: Float64Array.from(rows.landmarkMean),
    landmarkBasis: Float64Array.from(rows.landmarkBasis),
  };
  const wc = Float64Array.from(w);
  // The first pose without the jaw points, which a detector puts on the silhouette.
  if (crows) for (const l of crows.rows) wc[l] = 0;
  const X = Float64Array.from(rows.landmarkMean);
  let pose = refineScaleTranslation(initialPose(X, p, wc), X, p, wc);
  let choice: ContourChoice | undefined;
  // pose → α → pose → … → α: the last step is the α solve, exact for the final pose.
  for (let it = 0; it < iterations && D > 0; it++) {
    if (it > 0) pose = refineScaleTranslation(initialPose(X, p, wc), X, p, wc);
    if (crows) {
      const theta = [...pose.r, ...pose.t, pose.logS, ...alpha];
      choice = chooseContour(grid as ContourModel, crows, theta, p);
      applyContour(rows, grid as ContourModel, crows.rows, choice, w, cur, wc);
    }
    solveAlpha(
      cur,
      pose,
      p,
      wc,
      lambda,
      alpha,
      options.expressionPrior ?? EXPRESSION_PRIOR,
      options.expressionSparsity ?? EXPRESSION_L1,
    );
    shapeOf(cur, alpha, X);
  }
  const rms = weightedRms(projectScaledOrthographic(X, pose.r, pose.t, pose.logS), p, wc);
  return { ...pose, alpha, rms, ...(choice ? { contour: choice } : {}) };
}

/**
 * The closed-form pose (scaled-orthographic: affine camera → nearest scaled rotation, or a 2D
 * similarity; then least-squares scale and translation) of the shape α (kept as it is) under the
 * landmarks p — the pose step of `closedFormFit` alone. Video tracking re-poses the previous
 * frame's face this way before its warm-started polish, so that a fast head turn is followed at
 * once (Adam's bounded steps would lag it). With contour candidates the jaw points (ibug 1–17
 * but the chin) are left out, as in `closedFormFit`'s first pose.
 */
export function poseForShape(
  rows: LandmarkRows,
  alpha: ArrayLike<number>,
  p: ArrayLike<number>,
  w: ArrayLike<number>,
  options: { contour?: boolean } = {},
): InitialPose {
  const grid = rows as LandmarkRows & Partial<ContourModel>;
  const crows =
    options.contour !== false && grid.contour && grid.landmarkIds
      ? contourRows(grid as ContourModel)
      : undefined;
  const wc = Float64Array.from(w);
  if (crows) for (const l of crows.rows) wc[l] = 0;
  const X = new Float64Array(rows.landmarkMean.length);
  shapeOf(rows, Float64Array.from(alpha), X);
  return refineScaleTranslation(initialPose(X, p, wc), X, p, wc);
}

/**
 * The landmark rows (and contour candidates) of a model whose identity is known: the identity
 * modes' contribution Σ_d α_d B_d is added to the means and only the expression modes remain
 * (`numModes` = the expression count, `numShapeModes` = 0). `closedFormFit` on these rows fits
 * pose and expressions for that fixed identity, exactly (video tracking, once a person's
 * identity is fixed); its α is then the expression part of θ.
 */
export function withFixedIdentity<T extends LandmarkRows & Partial<ContourModel>>(
  rows: T,
  identity: ArrayLike<number>,
): T {
  const D = rows.numModes;
  const ds = rows.numShapeModes ?? D;
  const fold = (mean: ArrayLike<number>, basis: ArrayLike<number>) => {
    const n = mean.length;
    const m = Float64Array.from(mean);
    for (let d = 0; d < ds; d++) {
      const a = identity[d];
      if (!a) continue;
      for (let i = 0; i < n; i++) m[i] += a * basis[d * n + i];
    }
    const b = new Float64Array((D - ds) * n);
    for (let i = 0; i < b.length; i++) b[i] = basis[ds * n + i];
    return { m, b };
  };
  const lm = fold(rows.landmarkMean, rows.landmarkBasis);
  const out: T = {
    ...rows,
    numModes: D - ds,
    numShapeModes: 0,
    landmarkMean: lm.m,
    landmarkBasis: lm.b,
  };
  if (rows.contour) {
    const c = fold(rows.contour.mean, rows.contour.basis);
    out.contour = {
      ...rows.contour,
      mean: Float32Array.from(c.m),
      basis: Float32Array.from(c.b),
    };
  }
  return out;
}

/** The contour rows of `cur` become the chosen candidates' rows; their weights `w · weight`. */
function applyContour(
  rows: LandmarkRows,
  grid: ContourModel,
  contourRowIds: number[],
  choice: ContourChoice,
  w: ArrayLike<number>,
  cur: LandmarkRows,
  wc: Float64Array,
): void {
  const c = grid.contour!;
  const C = c.vertices.length;
  const L = w.length;
  const D = rows.numModes;
  const mu = cur.landmarkMean as Float64Array;
  const B = cur.landmarkBasis as Float64Array;
  contourRowIds.forEach((l, k) => {
    const j = choice.candidate[k];
    for (let a = 0; a < 3; a++) {
      // j < 0: the point keeps its own vertex.
      mu[3 * l + a] = j < 0 ? rows.landmarkMean[3 * l + a] : c.mean[3 * j + a];
      for (let d = 0; d < D; d++)
        B[d * 3 * L + 3 * l + a] =
          j < 0 ? rows.landmarkBasis[d * 3 * L + 3 * l + a] : c.basis[d * 3 * C + 3 * j + a];
    }
    wc[l] = w[l] * choice.weight[k];
  });
}

/** X = μ + Σ_d α_d B_d over the landmark rows. */
function shapeOf(rows: LandmarkRows, alpha: Float64Array, X: Float64Array): void {
  morphRows(rows.landmarkMean, rows.landmarkBasis, alpha, { out: X });
}

/** For the pose's rotation, the least-squares scale and translation (p ≈ s·q + t). */
function refineScaleTranslation(
  pose: InitialPose,
  X: ArrayLike<number>,
  p: ArrayLike<number>,
  w: ArrayLike<number>,
): InitialPose {
  const q = projectScaledOrthographic(X, pose.r, [0, 0], 0);
  let n = 0;
  let qx = 0;
  let qy = 0;
  let px = 0;
  let py = 0;
  for (let i = 0; i < w.length; i++) {
    if (!(w[i] > 0)) continue;
    n++;
    qx += q[2 * i];
    qy += q[2 * i + 1];
    px += p[2 * i];
    py += p[2 * i + 1];
  }
  if (n < 2) return pose;
  qx /= n;
  qy /= n;
  px /= n;
  py /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < w.length; i++) {
    if (!(w[i] > 0)) continue;
    const ux = q[2 * i] - qx;
    const uy = q[2 * i + 1] - qy;
    num += ux * (p[2 * i] - px) + uy * (p[2 * i + 1] - py);
    den += ux * ux + uy * uy;
  }
  if (!(num > 0 && den > 0)) return pose;
  const s = num / den;
  const refined = { ...pose, t: [px - s * qx, py - s * qy] as [number, number], logS: Math.log(s) };
  refined.rms = weightedRms(projectScaledOrthographic(X, refined.r, refined.t, refined.logS), p, w);
  return refined.rms <= pose.rms || !Number.isFinite(pose.rms) ? refined : pose;
}

/** α ← argmin ‖Aα − b‖² + λ‖α‖² for the fixed pose (normal equations, Cholesky). */
function solveAlpha(
  rows: LandmarkRows,
  pose: InitialPose,
  p: ArrayLike<number>,
  w: ArrayLike<number>,
  lambda: number,
  alpha: Float64Array,
  expressionPrior: number,
  expressionSparsity: number,
): void {
  const D = rows.numModes;
  const L = w.length;
  // The projection is affine in α: P(μ + Σ α_d B_d) = P(μ) + Σ α_d P₀(B_d), P₀ without t.
  const pMean = projectScaledOrthographic(rows.landmarkMean, pose.r, pose.t, pose.logS);
  const pBasis = projectScaledOrthographic(rows.landmarkBasis, pose.r, [0, 0], pose.logS);
  const N = new Float64Array(D * D);
  const rhs = new Float64Array(D);
  const ax = new Float64Array(D);
  const ay = new Float64Array(D);
  for (let l = 0; l < L; l++) {
    if (!(w[l] > 0)) continue;
    const bx = p[2 * l] - pMean[2 * l];
    const by = p[2 * l + 1] - pMean[2 * l + 1];
    for (let d = 0; d < D; d++) {
      const o = d * L + l;
      ax[d] = pBasis[2 * o];
      ay[d] = pBasis[2 * o + 1];
    }
    for (let i = 0; i < D; i++) {
      rhs[i] += ax[i] * bx + ay[i] * by;
      for (let j = 0; j <= i; j++) N[i * D + j] += ax[i] * ax[j] + ay[i] * ay[j];
    }
  }
  const first = rows.expressionRange ? (rows.numShapeModes ?? D) : D;
  for (let i = 0; i < D; i++) N[i * D + i] += i < first ? lambda : lambda * expressionPrior;
  // The sparsity term η·Σβ (β ≥ 0 in the box): its gradient shifts the right-hand side.
  for (let i = first; i < D; i++) rhs[i] -= (lambda * expressionSparsity) / 2;
  choleskySolve(N, rhs, D, alpha);
  const range = rows.expressionRange;
  if (range) boxedSolve(N, rhs, D, rows.numShapeModes ?? D, range, alpha);
}

/**
 * The same quadratic under lo ≤ α_d ≤ hi for the bounded modes d ≥ `first` (blendshape weights).
 * An active-set method: solve for the free modes with the others held at their bounds, move
 * the violators to their bounds, release a bound mode whose gradient points into the box; it
 * ends when the KKT conditions hold (a few rounds: each is one small Cholesky solve). If it has
 * not settled after `rounds`, projected Gauss–Seidel sweeps finish from there (each sweep
 * minimises exactly along one coordinate and clips, so the objective never rises).
 */
export function boxedSolve(
  N: Float64Array,
  rhs: Float64Array,
  D: number,
  first: number,
  [lo, hi]: [number, number],
  x: Float64Array,
  sweeps = 200,
  rounds = 30,
): void {
  const at = (i: number, j: number) => (i >= j ? N[i * D + j] : N[j * D + i]);
  // -1 at lo, 1 at hi, 0 free
  const bound = new Int8Array(D);
  for (let d = first; d < D; d++) {
    if (x[d] < lo) bound[d] = -1;
    else if (x[d] > hi) bound[d] = 1;
  }
  const tol = 1e-10;
  for (let round = 0; round < rounds; round++) {
    const free: number[] = [];
    for (let d = 0; d < D; d++) {
      if (bound[d] === 0) free.push(d);
      else x[d] = bound[d] < 0 ? lo : hi;
    }
    const F = free.length;
    const Nf = new Float64Array(F * F);
    const bf = new Float64Array(F);
    free.forEach((i, a) => {
      let r = rhs[i];
      for (let j = 0; j < D; j++) if (bound[j] !== 0) r -= at(i, j) * x[j];
      bf[a] = r;
      for (let b = 0; b <= a; b++) Nf[a * F + b] = at(i, free[b]);
    });
    const xf = new Float64Array(F);
    if (F > 0) choleskySolve(Nf, bf, F, xf);
    let changed = false;
    free.forEach((i, a) => {
      x[i] = xf[a];
      if (i >= first && (xf[a] < lo - tol || xf[a] > hi + tol)) {
        bound[i] = xf[a] < lo ? -1 : 1;
        changed = true;
      }
    });
    if (changed) continue;
    // All free values inside: release bound modes whose gradient points into the box.
    for (let d = first; d < D; d++) {
      if (bound[d] === 0) continue;
      let g = -rhs[d];
      for (let j = 0; j < D; j++) g += at(d, j) * x[j];
      if ((bound[d] < 0 && g < -tol) || (bound[d] > 0 && g > tol)) {
        bound[d] = 0;
        changed = true;
      }
    }
    if (!changed) return;
  }
  for (let d = first; d < D; d++) x[d] = Math.min(hi, Math.max(lo, x[d]));
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let change = 0;
    for (let i = 0; i < D; i++) {
      let r = rhs[i];
      for (let j = 0; j < D; j++) if (j !== i) r -= at(i, j) * x[j];
      let xi = r / at(i, i);
      if (i >= first) xi = Math.min(hi, Math.max(lo, xi));
      change = Math.max(change, Math.abs(xi - x[i]));
      x[i] = xi;
    }
    if (change < 1e-9) break;
  }
}

/** Solves N x = b for symmetric positive definite N (lower triangle read), in place of `x`. */
function choleskySolve(N: Float64Array, b: Float64Array, D: number, x: Float64Array): void {
  const Lm = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = N[i * D + j];
      for (let k = 0; k < j; k++) sum -= Lm[i * D + k] * Lm[j * D + k];
      Lm[i * D + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / Lm[j * D + j];
    }
  }
  const y = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= Lm[i * D + k] * y[k];
    y[i] = sum / Lm[i * D + i];
  }
  for (let i = D - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < D; k++) sum -= Lm[k * D + i] * x[k];
    x[i] = sum / Lm[i * D + i];
  }
}

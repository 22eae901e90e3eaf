/**
 * Per-image θ by optimisation (the original demo's gradient descent): Adam on θ for the
 * landmark + prior + symmetry losses, from the closed-form initial pose.
 *
 * Loss (crop pixels): w_lm · Σᵢ ‖Lᵢ(θ) − lᵢ‖² / L + w_prior · ‖α‖² + w_sym · symmetry(UV, mask),
 * with the paper's weights (0.8998, 0.1, 1e-4). Dividing the landmark term by L makes the prior
 * equivalent to landmark noise of σ ≈ √(L/9) ≈ 2.7 px for L = 68 — the detector's error on a
 * 224-px crop — instead of a prior that landmarks overwhelm. The mask has no gradient and is
 * refreshed every `maskEvery` steps. The symmetry term is evaluated on a mirror-closed subgrid
 * (about every other row and column, `symmetrySubgrid`): a quarter of the cost, the same
 * mean squared mirror difference up to sampling.
 */
import { landmarkLoss, priorLoss, symmetryLoss } from '@3dmm-stn/losses';
import { morphShape, projectVertices, splitTheta } from '@3dmm-stn/stn-layer';
import * as tf from '@tensorflow/tfjs-core';
import {
  type ClosedFormFit,
  closedFormFit,
  EXPRESSION_L1,
  EXPRESSION_PRIOR,
  poseForShape,
} from './closed_form';
import { chooseContour, contourRows } from './contour';
import type { FitStn } from './stn';

export interface OptimiseOptions {
  /** Adam steps after the initial θ (a polish: the closed form alone already matches 60 steps from the mean shape on labelled faces, see README). Default 10. */
  steps?: number;
  /**
   * The initial θ: `'closed-form'` (default) alternates a scaled-orthographic pose estimate with
   * a linear least-squares solve for α under the prior, as eos does (`closedFormFit`);
   * `'pose'` is the pose of the mean shape with α = 0 (the closed form with 0 iterations).
   */
  init?: 'closed-form' | 'pose';
  /** Pose ↔ shape alternations of the closed form. Default 5. */
  initIterations?: number;
  /** Loss weights. Default the paper's landmark 0.8998, prior 0.1, symmetry 1e-4. */
  weights?: { landmark: number; prior: number; symmetry: number };
  /** Refresh the visibility mask every this many steps. Default 20. */
  maskEvery?: number;
  /**
   * [B, 6 + D] θ (crop pixels) to start from instead of the closed-form pose, e.g. a trained
   * localiser's output (`fit --localiser … --refine N`). `initial` still reports the closed-form pose.
   */
  initialTheta?: ArrayLike<number>;
  /**
   * Contour-aware jaw points (`contour.ts`) in the closed form and at every Adam step: ibug
   * 1–8 / 10–17 matched to the nearest jawline candidate of their side, the side turned away
   * weighted by cos(yaw). Default false (measured: face-api's points do not gain, README); needs `grid.contour`.
   */
  contour?: boolean;
  /** The blendshape weights' prior relative to the identity prior (default `EXPRESSION_PRIOR`). */
  expressionPrior?: number;
  /** Their sparsity term η·Σβ in identity-prior units (default `EXPRESSION_L1`). */
  expressionSparsity?: number;
  /**
   * θ entries held at their initial value (no Adam step): `[P]` or `[B, P]`, 1 = held. E.g. the
   * identity modes of a face whose identity is already known (`FaceTracker` fixes a clip's
   * identity after its first frames and fits only pose and expression).
   */
  frozen?: ArrayLike<number>;
  /**
   * With `initialTheta`: re-estimate r, t, log s in closed form for its shape (`poseForShape`)
   * before the Adam steps, keeping its α. Video tracking: the previous frame's face, posed at
   * once under this frame's landmarks. Default false.
   */
  repose?: boolean;
}

export interface OptimiseResult {
  /** Per face: [6 + D] θ in crop pixels. */
  theta: Float64Array[];
  /** Per face: the closed-form starting pose and shape. */
  initial: ClosedFormFit[];
  /** Per face: the loss before the first and after the last step. */
  loss: { initial: number; final: number }[];
  steps: number;
  /** Wall-clock seconds of the closed form (all faces) and of the Adam steps. */
  seconds: { init: number; optimise: number };
}

/** Per-parameter Adam step sizes: radians, crop pixels, log-scale, α (units of σ). */
const LR = { r: 0.02, t: 1, logS: 0.01, alpha: 0.1 };

/**
 * Optimises θ for a batch of B faces at once. Each face's loss depends only on its own θ, so
 * the batch is B independent problems; batching them shares tfjs's per-op overhead, which is
 * what the time is spent on (a face costs about as much as a batch of five).
 *
 * @param stn the layers of the grid model (`new FitStn(grid)`, reused across calls).
 * @param target [B, L, 2] detected landmarks in crop pixels, in the order of `g.grid.landmarkIds`.
 * @param confidence [B, L] 1 to use a landmark, 0 to ignore it.
 * @param image [B, S, S, 3] the crops (0…255), for the symmetry term; omitted → no symmetry term.
 */
export function optimiseTheta(
  stn: FitStn,
  target: Float32Array,
  confidence: Float32Array,
  image: tf.Tensor4D | undefined,
  options: OptimiseOptions = {},
): OptimiseResult {
  const steps = options.steps ?? 10;
  const w = options.weights ?? { landmark: 0.8998, prior: 0.1, symmetry: 1e-4 };
  const maskEvery = options.maskEvery ?? 20;
  const grid = stn.grid;
  const D = grid.numModes;
  const P = 6 + D;
  const L = grid.landmarkIds.length;
  const B = confidence.length / L;
  if (!Number.isInteger(B) || B < 1 || target.length !== 2 * B * L) {
    throw new RangeError(
      `optimiseTheta: target must be [B, ${L}, 2] and confidence [B, ${L}], got lengths ${target.length} and ${confidence.length}.`,
    );
  }
  if (image && image.shape[0] !== B)
    throw new RangeError(`optimiseTheta: image batch ${image.shape[0]} ≠ ${B} faces.`);
  const exprPrior = options.expressionPrior ?? EXPRESSION_PRIOR;
  const exprL1 = options.expressionSparsity ?? EXPRESSION_L1;
  const ds = grid.numShapeModes;
  const t0 = performance.now();
  const { theta, initial, used } = initialTheta(
    stn,
    target,
    confidence,
    B,
    w,
    exprPrior,
    exprL1,
    options,
  );
  const t1 = performance.now();
  const project = expressionRangeProjector(grid, B);
  project(theta);
  const lr = stepSizes(P);
  const frozen = options.frozen;
  if (frozen && frozen.length !== P && frozen.length !== B * P)
    throw new RangeError(
      `optimiseTheta: frozen must have ${P} or ${B * P} entries, got ${frozen.length}.`,
    );
  const held = (i: number) =>
    frozen !== undefined && (frozen.length === P ? frozen[i % P] : frozen[i]) > 0;

  const targetT = tf.tensor3d(target, [B, L, 2]);
  let confT = tf.tensor2d(confidence, [B, L]);
  // Contour step: per Adam step, the nearest candidate of each jaw point (host, from θ), gathered
  // from the candidates' projections and put in place of the fixed jaw rows.
  const crows = options.contour === true ? contourRows(grid) : undefined;
  const C = grid.contour?.vertices.length ?? 0;
  const contourT = crows
    ? {
        mean: tf.tensor2d(grid.contour!.mean, [C, 3]),
        basis: tf.tensor2d(grid.contour!.basis, [D, 3 * C]),
      }
    : undefined;
  let gatherT: tf.Tensor1D | null = null;
  /** [B, L, 1] 1 where a row takes its matched candidate. */
  let maskT: tf.Tensor3D | null = null;
  const chooseStep = () => {
    if (!crows) return;
    const idx = new Int32Array(B * L);
    const sel = new Float32Array(B * L);
    const conf = Float32Array.from(confidence);
    for (let b = 0; b < B; b++) {
      idx.fill(b * C, b * L, (b + 1) * L);
      const choice = chooseContour(
        grid,
        crows,
        theta.subarray(b * P, (b + 1) * P),
        target.subarray(2 * b * L, 2 * (b + 1) * L),
      );
      crows.rows.forEach((l, k) => {
        if (choice.candidate[k] >= 0) {
          idx[b * L + l] = b * C + choice.candidate[k];
          sel[b * L + l] = 1;
        }
        conf[b * L + l] *= choice.weight[k];
      });
    }
    gatherT?.dispose();
    maskT?.dispose();
    maskT = tf.tensor3d(sel, [B, L, 1]);
    confT.dispose();
    gatherT = tf.tensor1d(idx, 'int32');
    confT = tf.tensor2d(conf, [B, L]);
  };
  /** The landmark projections with the contour rows replaced by their chosen candidates. */
  const withContour = (th: tf.Tensor2D, projected: tf.Tensor3D): tf.Tensor3D => {
    if (!contourT || !gatherT || !maskT) return projected;
    const { r, t, logS, alpha } = splitTheta(th);
    const q = projectVertices(morphShape(alpha, contourT.mean, contourT.basis), r, t, logS);
    const g = tf.reshape(tf.gather(tf.reshape(q, [B * C, 2]), gatherT), [B, L, 2]);
    return tf.add(tf.mul(projected, tf.sub(1, maskT)), tf.mul(g, maskT)) as tf.Tensor3D;
  };
  const usedT = tf.tensor1d(used);
  const useSym = image !== undefined && w.symmetry > 0;
  let mask: tf.Tensor4D | null = null;
  const refreshMask = (th: tf.Tensor2D) => {
    mask?.dispose();
    mask = stn.subgridMask(image as tf.Tensor4D, th);
  };
  /** [B] per-face losses. */
  const perFace = (th: tf.Tensor2D): tf.Tensor1D =>
    tf.tidy(() => {
      const none = { reduction: 'none' as const };
      const alpha = tf.slice(th, [0, 6], [B, D]);
      let projected: tf.Tensor3D;
      let sym: tf.Tensor | null = null;
      if (useSym && mask) {
        const out = stn.symmetryPass(image as tf.Tensor4D, th);
        projected = out.landmarks;
        sym = tf.mul(symmetryLoss(out.uv, mask, none), w.symmetry);
      } else {
        projected = stn.projectLandmarks(th);
      }
      projected = withContour(th, projected);
      const lm = tf.div(landmarkLoss(projected, targetT, confT, none), usedT);
      let total = tf.add(tf.mul(lm, w.landmark), tf.mul(priorLoss(alpha, none), w.prior));
      if (grid.expressionRange && D > ds) {
        // Σ over the expression modes of (κ − 1)·β² + η·β: the prior κ·‖β‖² + η·Σβ on
        // blendshape weights (β ≥ 0: Σβ is their L1 norm).
        const beta = tf.slice(th, [0, 6 + ds], [B, D - ds]);
        if (exprPrior !== 1)
          total = tf.add(total, tf.mul(priorLoss(beta, none), w.prior * (exprPrior - 1)));
        if (exprL1 > 0) total = tf.add(total, tf.mul(tf.sum(beta, 1), w.prior * exprL1));
      }
      if (sym) total = tf.add(total, sym);
      return total as tf.Tensor1D;
    });
  const valueAndGrad = tf.valueAndGrad((th: tf.Tensor2D) => tf.sum(perFace(th)) as tf.Scalar);
  const lossValues = (th: tf.Tensor2D): number[] => {
    const l = perFace(th);
    const v = Array.from(l.dataSync());
    l.dispose();
    return v;
  };
  const m = new Float64Array(B * P);
  const v = new Float64Array(B * P);
  let first: number[] = [];
  let last: number[] = [];
  try {
    for (let k = 0; k <= steps; k++) {
      const th = tf.tensor2d(Float32Array.from(theta), [B, P]);
      try {
        if (useSym && (k % maskEvery === 0 || mask === null)) refreshMask(th);
        chooseStep();
        if (k === 0) first = lossValues(th);
        if (k === steps) {
          last = lossValues(th);
          break;
        }
        const { value, grad } = valueAndGrad(th);
        const gv = grad.dataSync();
        const lv = value.dataSync()[0];
        tf.dispose([value, grad]);
        if (!Number.isFinite(lv)) {
          last = lossValues(th);
          break;
        }
        adamStep(theta, gv, m, v, lr, k, steps, held);
        project(theta);
      } finally {
        th.dispose();
      }
    }
  } finally {
    tf.dispose([targetT, confT, usedT]);
    if (gatherT) (gatherT as tf.Tensor).dispose();
    if (maskT) (maskT as tf.Tensor).dispose();
    if (contourT) tf.dispose([contourT.mean, contourT.basis]);
    if (mask) (mask as tf.Tensor).dispose();
  }
  return {
    theta: Array.from({ length: B }, (_, b) => theta.slice(b * P, (b + 1) * P)),
    initial,
    loss: Array.from({ length: B }, (_, b) => ({ initial: first[b], final: last[b] })),
    steps,
    seconds: { init: (t1 - t0) / 1000, optimise: (performance.now() - t1) / 1000 },
  };
}

/**
 * Stage 1: the closed-form θ of each face (eos-style pose and α; `init: 'pose'` for the pose
 * alone), or `options.initialTheta`; `used` the number of landmarks with confidence > 0 (≥ 1).
 */
function initialTheta(
  stn: FitStn,
  target: Float32Array,
  confidence: Float32Array,
  B: number,
  w: { landmark: number; prior: number },
  exprPrior: number,
  exprL1: number,
  options: OptimiseOptions,
): { theta: Float64Array; initial: ClosedFormFit[]; used: Float32Array } {
  const grid = stn.grid;
  const P = 6 + grid.numModes;
  const L = grid.landmarkIds.length;
  const used = new Float32Array(B);
  const initial: ClosedFormFit[] = [];
  const theta = new Float64Array(B * P);
  for (let b = 0; b < B; b++) {
    const conf = confidence.subarray(b * L, (b + 1) * L);
    for (const c of conf) if (c > 0) used[b]++;
    used[b] = Math.max(1, used[b]);
    const init = closedFormFit(grid, target.subarray(2 * b * L, 2 * (b + 1) * L), conf, {
      iterations: options.init === 'pose' ? 0 : (options.initIterations ?? 5),
      // The loss's own balance: w_prior·‖α‖² against w_lm/L_used·Σ‖·‖².
      lambda: (w.prior * used[b]) / w.landmark,
      contour: options.contour,
      expressionPrior: exprPrior,
      expressionSparsity: exprL1,
    });
    initial.push(init);
    theta.set(init.r, b * P);
    theta.set(init.t, b * P + 3);
    theta[b * P + 5] = init.logS;
    theta.set(init.alpha, b * P + 6);
  }
  if (options.initialTheta) {
    if (options.initialTheta.length !== B * P)
      throw new RangeError(
        `optimiseTheta: initialTheta must be [${B}, ${P}] (${B * P} values), got ${options.initialTheta.length}.`,
      );
    for (let i = 0; i < B * P; i++) theta[i] = options.initialTheta[i];
    if (options.repose)
      for (let b = 0; b < B; b++) {
        const pose = poseForShape(
          grid,
          theta.subarray(b * P + 6, (b + 1) * P),
          target.subarray(2 * b * L, 2 * (b + 1) * L),
          confidence.subarray(b * L, (b + 1) * L),
          { contour: options.contour },
        );
        theta.set(pose.r, b * P);
        theta.set(pose.t, b * P + 3);
        theta[b * P + 5] = pose.logS;
      }
  }
  return { theta, initial, used };
}

/**
 * Blendshape weights stay in their range (projected Adam: clip after every step); a no-op for a
 * model without `expressionRange`.
 */
function expressionRangeProjector(grid: FitStn['grid'], B: number): (theta: Float64Array) => void {
  const range = grid.expressionRange;
  const P = 6 + grid.numModes;
  const ds = grid.numShapeModes;
  return (th) => {
    if (!range) return;
    for (let b = 0; b < B; b++)
      for (let d = 6 + ds; d < P; d++)
        th[b * P + d] = Math.min(range[1], Math.max(range[0], th[b * P + d]));
  };
}

/** Adam's step size for each of θ's P entries (`LR`). */
function stepSizes(P: number): Float64Array {
  const lr = new Float64Array(P);
  lr.fill(LR.r, 0, 3);
  lr.fill(LR.t, 3, 5);
  lr[5] = LR.logS;
  lr.fill(LR.alpha, 6);
  return lr;
}

/**
 * One Adam step k of `steps` on the host (β₁ 0.9, β₂ 0.999, ε 1e-8), its step size decaying
 * exponentially to 10 % over the run; `theta`, `m`, `v` updated in place.
 */
function adamStep(
  theta: Float64Array,
  gv: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  lr: Float64Array,
  k: number,
  steps: number,
  held: (i: number) => boolean = () => false,
): void {
  const b1 = 0.9;
  const b2 = 0.999;
  const P = lr.length;
  const decay = 0.1 ** (k / steps);
  for (let i = 0; i < theta.length; i++) {
    if (held(i)) continue;
    m[i] = b1 * m[i] + (1 - b1) * gv[i];
    v[i] = b2 * v[i] + (1 - b2) * gv[i] * gv[i];
    const mh = m[i] / (1 - b1 ** (k + 1));
    const vh = v[i] / (1 - b2 ** (k + 1));
    theta[i] -= (lr[i % P] * decay * mh) / (Math.sqrt(vh) + 1e-8);
  }
}

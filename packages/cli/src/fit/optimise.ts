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
import type { GridModel } from '@3dmm-stn/morphable-model';
import { gridSample, morphShape, projectVertices, splitTheta } from '@3dmm-stn/stn-layer';
import * as tf from '@tensorflow/tfjs';
import { initialPose, type InitialPose } from './init';
import { type GridTensors, maskFor, projectGrid, projectLandmarks } from './stn';

export interface OptimiseOptions {
  /** Adam steps. Default 60. */
  steps?: number;
  /** Loss weights. Default the paper's landmark 0.8998, prior 0.1, symmetry 1e-4. */
  weights?: { landmark: number; prior: number; symmetry: number };
  /** Refresh the visibility mask every this many steps. Default 20. */
  maskEvery?: number;
}

export interface OptimiseResult {
  /** [6 + D] θ in crop pixels. */
  theta: Float64Array;
  initial: InitialPose;
  /** Total loss before the first and after the last step. */
  loss: { initial: number; final: number };
  steps: number;
}

/** Per-parameter Adam step sizes: radians, crop pixels, log-scale, α (units of σ). */
const LR = { r: 0.02, t: 1, logS: 0.01, alpha: 0.1 };

/**
 * @param g the grid model's tensors.
 * @param target [L, 2] detected landmarks in crop pixels, in the order of `g.grid.landmarkIds`.
 * @param confidence [L] 1 to use a landmark, 0 to ignore it.
 * @param image [1, S, S, 3] the crop (0…255), for the symmetry term; omitted → no symmetry term.
 */
export function optimiseTheta(
  g: GridTensors,
  target: Float32Array,
  confidence: Float32Array,
  image: tf.Tensor4D | undefined,
  options: OptimiseOptions = {},
): OptimiseResult {
  const steps = options.steps ?? 60;
  const w = options.weights ?? { landmark: 0.8998, prior: 0.1, symmetry: 1e-4 };
  const maskEvery = options.maskEvery ?? 20;
  const grid = g.grid;
  const D = grid.numModes;
  const P = 6 + D;
  const L = grid.landmarkIds.length;
  let used = 0;
  for (const c of confidence) if (c > 0) used++;
  const init = initialPose(grid.landmarkMean, target, confidence);
  const theta = new Float64Array(P);
  theta.set(init.r, 0);
  theta.set(init.t, 3);
  theta[5] = init.logS;
  const lr = new Float64Array(P);
  lr.fill(LR.r, 0, 3);
  lr.fill(LR.t, 3, 5);
  lr[5] = LR.logS;
  lr.fill(LR.alpha, 6);

  const targetT = tf.tensor3d(target, [1, L, 2]);
  const confT = tf.tensor2d(confidence, [1, L]);
  const useSym = image !== undefined && w.symmetry > 0;
  const sub = useSym ? symmetrySubgrid(grid) : null;
  const subT = sub ? subgridTensors(grid, sub.index) : null;
  let mask: tf.Tensor4D | null = null;
  const refreshMask = (th: tf.Tensor2D) => {
    if (!sub) return;
    const full = tf.tidy(() => maskFor(projectGrid(th, g).rotated, grid));
    const m = full.dataSync();
    full.dispose();
    mask?.dispose();
    mask = tf.tensor4d(
      Float32Array.from(sub.index, (p) => m[p]),
      [1, sub.side, sub.side, 1],
    );
  };
  const lossOf = (th: tf.Tensor2D): tf.Scalar =>
    tf.tidy(() => {
      const lm = tf.div(landmarkLoss(projectLandmarks(th, g), targetT, confT), Math.max(1, used));
      let total = tf.add(tf.mul(lm, w.landmark), tf.mul(priorLoss(splitTheta(th).alpha), w.prior));
      if (sub && subT && mask) {
        const { r, t, logS, alpha } = splitTheta(th);
        const px = projectVertices(morphShape(alpha, subT.mean, subT.basis), r, t, logS);
        const uv = gridSample(
          image as tf.Tensor4D,
          tf.reshape(px, [1, sub.side, sub.side, 2]) as tf.Tensor4D,
        );
        total = tf.add(total, tf.mul(symmetryLoss(uv, mask), w.symmetry));
      }
      return total as tf.Scalar;
    });
  const valueAndGrad = tf.valueAndGrad(lossOf);
  const m = new Float64Array(P);
  const v = new Float64Array(P);
  const b1 = 0.9;
  const b2 = 0.999;
  let first = Number.NaN;
  let last = Number.NaN;
  try {
    for (let k = 0; k <= steps; k++) {
      const th = tf.tensor2d(Float32Array.from(theta), [1, P]);
      if (useSym && (k % maskEvery === 0 || mask === null)) refreshMask(th);
      if (k === steps) {
        const l = lossOf(th);
        last = l.dataSync()[0];
        tf.dispose([l, th]);
        break;
      }
      const { value, grad } = valueAndGrad(th);
      const gv = grad.dataSync();
      const lv = value.dataSync()[0];
      tf.dispose([value, grad, th]);
      if (k === 0) first = lv;
      if (!Number.isFinite(lv)) break;
      // Adam with an exponential decay of the step size to 10 % over the run.
      const decay = 0.1 ** (k / steps);
      for (let i = 0; i < P; i++) {
        m[i] = b1 * m[i] + (1 - b1) * gv[i];
        v[i] = b2 * v[i] + (1 - b2) * gv[i] * gv[i];
        const mh = m[i] / (1 - b1 ** (k + 1));
        const vh = v[i] / (1 - b2 ** (k + 1));
        theta[i] -= (lr[i] * decay * mh) / (Math.sqrt(vh) + 1e-8);
      }
    }
  } finally {
    tf.dispose([targetT, confT]);
    if (subT) tf.dispose([subT.mean, subT.basis]);
    if (mask) (mask as tf.Tensor).dispose();
  }
  return { theta, initial: init, loss: { initial: first, final: last }, steps };
}

/**
 * A square, mirror-closed subgrid: columns j ≡ 0 (mod 4) and their mirrors res − 1 − j (so
 * reversing the column order mirrors it, as `symmetryLoss` assumes), and as many rows, evenly
 * spaced. `index` [side²] holds the grid point of each subgrid pixel, row-major.
 */
export function symmetrySubgrid(grid: GridModel): { index: Int32Array; side: number } {
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

function subgridTensors(
  grid: GridModel,
  index: Int32Array,
): { mean: tf.Tensor2D; basis: tf.Tensor2D } {
  const n = index.length;
  const np = grid.res * grid.res;
  const D = grid.numModes;
  const mean = new Float32Array(3 * n);
  const basis = new Float32Array(D * 3 * n);
  index.forEach((p, k) => {
    for (let c = 0; c < 3; c++) {
      mean[3 * k + c] = grid.mean[3 * p + c];
      for (let d = 0; d < D; d++) basis[d * 3 * n + 3 * k + c] = grid.basis[d * 3 * np + 3 * p + c];
    }
  });
  return { mean: tf.tensor2d(mean, [n, 3]), basis: tf.tensor2d(basis, [D, 3 * n]) };
}

import type { GridModel } from '@3dmm-stn/morphable-model';
import { eulerDegreesFromAxisAngle, morphRows } from '@3dmm-stn/morphable-model';

/**
 * Evaluation metrics (float64 on plain arrays; the caller reads tensors once).
 *
 * - NME (eye): mean over the landmarks both the model and the truth define of ‖pred − truth‖,
 *   divided by the outer-eye-corner distance ‖truth₃₇ − truth₄₆‖ (ibug 1-based ids; 300-W's
 *   inter-ocular normalisation). NaN when either corner is undefined.
 * - NME (box): the same mean divided by √(w·h) of the truth landmarks' bounding box
 *   (AFLW2000-3D's convention).
 * - Pose error: |Δ| of yaw, pitch and roll in degrees, R = Rz(roll)·Ry(yaw)·Rx(pitch) from
 *   θ's axis-angle r (see rotation.ts).
 * - Shape error: RMS over the valid grid vertices of the distance between the shapes of the
 *   predicted and true α (mm): √(mean_v ‖Σ_k (α̂_k − α_k) basis_k,v‖²). Pose-free.
 * - UV consistency (multi-view): mean |uv_A − uv_B| per channel value over the UV pixels visible
 *   in both views of the same face (image units, [0, 255]), and the fraction of valid pixels
 *   that are visible in both.
 */

/** Landmark NMEs of one sample. `pred` `[L, 2]` for ibug ids `ids` (1-based), `truth` `[68, 2]`. */
export function landmarkNme(
  pred: ArrayLike<number>,
  ids: ArrayLike<number>,
  truth: ArrayLike<number>,
): { eye: number; box: number; count: number } {
  let sum = 0;
  let count = 0;
  for (let k = 0; k < ids.length; k++) {
    const i = ids[k] - 1;
    const tx = truth[2 * i];
    const ty = truth[2 * i + 1];
    if (!Number.isFinite(tx) || !Number.isFinite(ty)) continue;
    sum += Math.hypot(pred[2 * k] - tx, pred[2 * k + 1] - ty);
    count++;
  }
  const mean = count ? sum / count : Number.NaN;
  const eye = Math.hypot(truth[72] - truth[90], truth[73] - truth[91]);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < 68; i++) {
    const x = truth[2 * i];
    const y = truth[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const box = Math.sqrt((maxX - minX) * (maxY - minY));
  return { eye: eye > 0 ? mean / eye : Number.NaN, box: box > 0 ? mean / box : Number.NaN, count };
}

function angleDiff(a: number, b: number): number {
  let d = Math.abs(a - b) % 360;
  if (d > 180) d = 360 - d;
  return d;
}

/** Absolute yaw / pitch / roll errors in degrees between two θ (only r = θ[0:3] is used). */
export function poseError(
  thetaPred: ArrayLike<number>,
  thetaTrue: ArrayLike<number>,
): { yaw: number; pitch: number; roll: number } {
  const p = eulerDegreesFromAxisAngle(thetaPred);
  const t = eulerDegreesFromAxisAngle(thetaTrue);
  return {
    yaw: angleDiff(p.yaw, t.yaw),
    pitch: angleDiff(p.pitch, t.pitch),
    roll: angleDiff(p.roll, t.roll),
  };
}

/** RMS vertex distance (mm) between the grid shapes of two α (θ[6:]). */
export function shapeError(
  alphaPred: ArrayLike<number>,
  alphaTrue: ArrayLike<number>,
  grid: GridModel,
): number {
  const D = grid.numModes;
  const N = grid.res * grid.res;
  const d = new Float64Array(D);
  for (let k = 0; k < D; k++) d[k] = alphaPred[k] - alphaTrue[k];
  // The shapes differ by Σ_k (α̂_k − α_k)·basis_k (the means cancel).
  const diff = morphRows(new Float64Array(3 * N), grid.basis, d);
  let sum = 0;
  let count = 0;
  for (let v = 0; v < N; v++) {
    if (!grid.valid[v]) continue;
    const x = diff[3 * v];
    const y = diff[3 * v + 1];
    const z = diff[3 * v + 2];
    sum += x * x + y * y + z * z;
    count++;
  }
  return count ? Math.sqrt(sum / count) : Number.NaN;
}

/**
 * Multi-view UV consistency of two views: `uv` `[R, R, C]`, `mask` `[R, R]` (or `[R, R, 1]`).
 * Returns the mean absolute difference over jointly visible pixels and their fraction of `R²`.
 */
export function uvConsistency(
  uvA: ArrayLike<number>,
  maskA: ArrayLike<number>,
  uvB: ArrayLike<number>,
  maskB: ArrayLike<number>,
  channels = 3,
): { meanAbsDiff: number; overlap: number } {
  const n = maskA.length;
  let sum = 0;
  let count = 0;
  for (let p = 0; p < n; p++) {
    if (!(maskA[p] > 0.5 && maskB[p] > 0.5)) continue;
    for (let c = 0; c < channels; c++)
      sum += Math.abs(uvA[p * channels + c] - uvB[p * channels + c]);
    count++;
  }
  return { meanAbsDiff: count ? sum / (count * channels) : Number.NaN, overlap: count / n };
}

/** Mean of the finite values (NaN if none). */
export function finiteMean(values: number[]): number {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n ? s / n : Number.NaN;
}

/**
 * Scaled orthographic projection on flat typed arrays: the arithmetic behind the
 * `ProjectVertices` kernels. Per batch element the pose is (r0 r1 r2, tx, ty, log s); the
 * rotation, its derivative and the 2 × 3 projection M = s · [R₀; −R₁] are computed in float64.
 *
 * Layouts: X [B, N, 3], pose [B, 6], p / dp [B, N, 2], row-major.
 */

// R(r) and ∂R/∂r: the project's one host implementation (float64), shared with the CLI, the
// fit package and the trainer.
import { rodrigues } from '@3dmm-stn/morphable-model';

/** M (6, rows x then y) and t (2) of one batch element's pose. */
function projection(
  pose: Float32Array,
  b: number,
  M: Float64Array,
  R: Float64Array,
  jac?: Float64Array,
) {
  const o = 6 * b;
  rodrigues(pose[o], pose[o + 1], pose[o + 2], R, jac);
  const s = Math.exp(pose[o + 5]);
  for (let j = 0; j < 3; j++) {
    M[j] = s * R[j];
    M[3 + j] = -s * R[3 + j];
  }
}

/**
 * p[b, n] = M[b] (X[b, n] + mean[n]) + t[b]; `mean` [N, 3] may be null (then X alone). The
 * mean is folded in here so that the morphable model's `mean + α·basis` needs no broadcasting
 * add (slow on cpu and wasm) before the projection.
 */
export function projectVerticesForward(
  X: Float32Array,
  pose: Float32Array,
  out: Float32Array,
  B: number,
  N: number,
  mean: Float32Array | null = null,
): void {
  const M = new Float64Array(6);
  const R = new Float64Array(9);
  for (let b = 0; b < B; b++) {
    projection(pose, b, M, R);
    const tx = pose[6 * b + 3];
    const ty = pose[6 * b + 4];
    if (mean) {
      const [m0, m1, m2, m3, m4, m5] = M;
      for (let n = 0; n < N; n++) {
        const i = (b * N + n) * 3;
        const x = X[i] + mean[3 * n];
        const y = X[i + 1] + mean[3 * n + 1];
        const z = X[i + 2] + mean[3 * n + 2];
        out[(b * N + n) * 2] = m0 * x + m1 * y + m2 * z + tx;
        out[(b * N + n) * 2 + 1] = m3 * x + m4 * y + m5 * z + ty;
      }
      continue;
    }
    for (let n = 0; n < N; n++) {
      const i = (b * N + n) * 3;
      const x = X[i];
      const y = X[i + 1];
      const z = X[i + 2];
      out[(b * N + n) * 2] = M[0] * x + M[1] * y + M[2] * z + tx;
      out[(b * N + n) * 2 + 1] = M[3] * x + M[4] * y + M[5] * z + ty;
    }
  }
}

/** dX[b, n] = dp[b, n] · M[b]. */
export function projectVerticesGradX(
  dp: Float32Array,
  pose: Float32Array,
  dX: Float32Array,
  B: number,
  N: number,
): void {
  const M = new Float64Array(6);
  const R = new Float64Array(9);
  for (let b = 0; b < B; b++) {
    projection(pose, b, M, R);
    for (let n = 0; n < N; n++) {
      const gx = dp[(b * N + n) * 2];
      const gy = dp[(b * N + n) * 2 + 1];
      const i = (b * N + n) * 3;
      dX[i] = gx * M[0] + gy * M[3];
      dX[i + 1] = gx * M[1] + gy * M[4];
      dX[i + 2] = gx * M[2] + gy * M[5];
    }
  }
}

/**
 * dPose[b] = (dr, dt, d log s): with G = Σₙ dpₙ Xₙᵀ (2 × 3, ∂/∂M), dt = Σₙ dpₙ,
 * d log s = Σ G ⊙ M, and ∂/∂R = s · [G₀; −G₁; 0] chained through ∂R/∂r.
 */
export function projectVerticesGradPose(
  dp: Float32Array,
  X: Float32Array,
  pose: Float32Array,
  dPose: Float32Array,
  B: number,
  N: number,
  mean: Float32Array | null = null,
): void {
  const M = new Float64Array(6);
  const R = new Float64Array(9);
  const jac = new Float64Array(27);
  for (let b = 0; b < B; b++) {
    projection(pose, b, M, R, jac);
    const s = Math.exp(pose[6 * b + 5]);
    // Scalar accumulators (not an array) so that V8 keeps them in registers; the mean test is
    // hoisted out of the loop. Same additions in the same order as a single loop.
    let g0 = 0;
    let g1 = 0;
    let g2 = 0;
    let g3 = 0;
    let g4 = 0;
    let g5 = 0;
    let dtx = 0;
    let dty = 0;
    const p0 = 2 * b * N;
    const x0 = 3 * b * N;
    if (mean) {
      for (let n = 0; n < N; n++) {
        const gx = dp[p0 + 2 * n];
        const gy = dp[p0 + 2 * n + 1];
        const i = x0 + 3 * n;
        const x = X[i] + mean[3 * n];
        const y = X[i + 1] + mean[3 * n + 1];
        const z = X[i + 2] + mean[3 * n + 2];
        g0 += gx * x;
        g1 += gx * y;
        g2 += gx * z;
        g3 += gy * x;
        g4 += gy * y;
        g5 += gy * z;
        dtx += gx;
        dty += gy;
      }
    } else {
      for (let n = 0; n < N; n++) {
        const gx = dp[p0 + 2 * n];
        const gy = dp[p0 + 2 * n + 1];
        const i = x0 + 3 * n;
        const x = X[i];
        const y = X[i + 1];
        const z = X[i + 2];
        g0 += gx * x;
        g1 += gx * y;
        g2 += gx * z;
        g3 += gy * x;
        g4 += gy * y;
        g5 += gy * z;
        dtx += gx;
        dty += gy;
      }
    }
    const G = [g0, g1, g2, g3, g4, g5];
    let dlogS = 0;
    for (let j = 0; j < 6; j++) dlogS += G[j] * M[j];
    for (let k = 0; k < 3; k++) {
      let d = 0;
      for (let j = 0; j < 3; j++) {
        d += s * G[j] * jac[9 * k + j] - s * G[3 + j] * jac[9 * k + 3 + j];
      }
      dPose[6 * b + k] = d;
    }
    dPose[6 * b + 3] = dtx;
    dPose[6 * b + 4] = dty;
    dPose[6 * b + 5] = dlogS;
  }
}

/** dMean[n] = Σ_b dp[b, n] · M[b] (the gradient of the folded-in mean). */
export function projectVerticesGradMean(
  dp: Float32Array,
  pose: Float32Array,
  dMean: Float32Array,
  B: number,
  N: number,
): void {
  const M = new Float64Array(6);
  const R = new Float64Array(9);
  for (let b = 0; b < B; b++) {
    projection(pose, b, M, R);
    for (let n = 0; n < N; n++) {
      const gx = dp[(b * N + n) * 2];
      const gy = dp[(b * N + n) * 2 + 1];
      dMean[3 * n] += gx * M[0] + gy * M[3];
      dMean[3 * n + 1] += gx * M[1] + gy * M[4];
      dMean[3 * n + 2] += gx * M[2] + gy * M[5];
    }
  }
}

/**
 * Rotated vertices R(r[b]) (X[b, n] + mean[n]) for the host visibility pass; r is read at
 * `pose[stride·b … stride·b + 2]` (θ rows can be passed directly).
 */
export function rotateMorphedHost(
  X: Float32Array,
  mean: Float32Array,
  pose: ArrayLike<number>,
  stride: number,
  out: Float32Array,
  B: number,
  N: number,
): void {
  const R = new Float64Array(9);
  for (let b = 0; b < B; b++) {
    const o = stride * b;
    rodrigues(pose[o], pose[o + 1], pose[o + 2], R);
    const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = R;
    for (let n = 0; n < N; n++) {
      const i = (b * N + n) * 3;
      const x = X[i] + mean[3 * n];
      const y = X[i + 1] + mean[3 * n + 1];
      const z = X[i + 2] + mean[3 * n + 2];
      out[i] = r0 * x + r1 * y + r2 * z;
      out[i + 1] = r3 * x + r4 * y + r5 * z;
      out[i + 2] = r6 * x + r7 * y + r8 * z;
    }
  }
}

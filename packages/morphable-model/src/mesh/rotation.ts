/**
 * Rotations and the scaled orthographic camera on the host (float64): the one implementation of
 * these conventions in the project. The stn-layer's kernels call `rodrigues`; its composed tfjs
 * path uses the same Taylor threshold and is tested against it; the CLI, the fit package, the
 * trainer and the renderer use these functions.
 *
 * Convention: `r` is an axis-angle vector in model space (angle = |r| radians, right-handed:
 * counter-clockwise looking down the axis towards the origin); matrices are row-major and act on
 * column vectors, X' = R·X. The same convention as the STN layer's θ[0..2]. The conversions
 * follow pytorch3d's `rotation_conversions.py` (matrix → quaternion by the best-conditioned of
 * four candidates, quaternion → axis-angle with a sin(θ/2)/θ series), with one Taylor threshold.
 */

/**
 * Below this θ² the ratios sin θ/θ, (1 − cos θ)/θ², their derivatives, and sin(θ/2)/θ use their
 * Taylor series. At θ² = 1e-4 the first omitted terms (θ⁶/5040, θ⁶/40320, …) are < 1e-15, and
 * the exact branches are well away from their 0/0 at θ = 0.
 */
export const ROTATION_TAYLOR_THETA_SQ = 1e-4;

/**
 * R(r) (row-major, into `R` [9]) and, if `jac` is given, ∂R/∂r_k (at `jac[9k + 3i + j]`):
 *
 *   R = c I + A [r]× + B r rᵀ,  c = cos θ, A = sin θ/θ, B = (1 − cos θ)/θ²
 *   ∂R/∂r_k = −A r_k I + A₁ r_k [r]× + A [e_k]× + B₁ r_k r rᵀ + B (e_k rᵀ + r e_kᵀ)
 *
 * with A₁ = (θ cos θ − sin θ)/θ³ and B₁ = (θ sin θ − 2(1 − cos θ))/θ⁴ (their Taylor series
 * −1/3 + θ²/30 − θ⁴/840 and −1/12 + θ²/180 − θ⁴/6720 for small θ), so all are finite at r = 0.
 */
export function rodrigues(
  r0: number,
  r1: number,
  r2: number,
  R: Float64Array,
  jac?: Float64Array,
): void {
  const t2 = r0 * r0 + r1 * r1 + r2 * r2;
  let a: number;
  let b: number;
  let c: number;
  let a1 = 0;
  let b1 = 0;
  if (t2 < ROTATION_TAYLOR_THETA_SQ) {
    const t4 = t2 * t2;
    a = 1 - t2 / 6 + t4 / 120;
    b = 0.5 - t2 / 24 + t4 / 720;
    c = 1 - b * t2;
    a1 = -1 / 3 + t2 / 30 - t4 / 840;
    b1 = -1 / 12 + t2 / 180 - t4 / 6720;
  } else {
    const t = Math.sqrt(t2);
    const sin = Math.sin(t);
    const half = Math.sin(t / 2);
    // 1 − cos θ as 2 sin²(θ/2): no cancellation for small θ.
    const oneMinusCos = 2 * half * half;
    a = sin / t;
    b = oneMinusCos / t2;
    c = Math.cos(t);
    a1 = (t * c - sin) / (t2 * t);
    b1 = (t * sin - 2 * oneMinusCos) / (t2 * t2);
  }
  const r = [r0, r1, r2];
  // [r]× row-major.
  const K = [0, -r2, r1, r2, 0, -r0, -r1, r0, 0];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      R[3 * i + j] = (i === j ? c : 0) + a * K[3 * i + j] + b * r[i] * r[j];
    }
  if (!jac) return;
  for (let k = 0; k < 3; k++) {
    const rk = r[k];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        // [e_k]×_ij = −ε_ijk
        const ek = i === j || i === k || j === k ? 0 : (j - i + 3) % 3 === 1 ? -1 : 1;
        jac[9 * k + 3 * i + j] =
          (i === j ? -a * rk : 0) +
          a1 * rk * K[3 * i + j] +
          a * ek +
          b1 * rk * r[i] * r[j] +
          b * ((i === k ? r[j] : 0) + (j === k ? r[i] : 0));
      }
  }
}

/** Axis-angle → rotation matrix (Rodrigues), row-major [9]. */
export function rotationFromAxisAngle(r: ArrayLike<number>): Float64Array {
  if (r.length !== 3) {
    throw new RangeError(
      `Error in rotationFromAxisAngle: r must have 3 entries, but got ${r.length}.`,
    );
  }
  const R = new Float64Array(9);
  rodrigues(r[0], r[1], r[2], R);
  return R;
}

/**
 * Rotation matrix (row-major [9]) → axis-angle r with |r| ∈ [0, π], through the unit
 * quaternion: of the four algebraically equal candidates the one with the largest |component|
 * (pytorch3d's `matrix_to_quaternion`), so that the axis and its sign stay accurate near θ = π
 * where sin θ → 0; then r = q_xyz · θ / sin(θ/2) with θ = 2·atan2(|q_xyz|, q_w), q_w ≥ 0.
 */
export function axisAngleFromRotation(R: ArrayLike<number>): Float64Array {
  if (R.length !== 9) {
    throw new RangeError(
      `Error in axisAngleFromRotation: R must have 9 entries (row-major 3×3), but got ${R.length}.`,
    );
  }
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = Array.from(R);
  const qAbs = [
    1 + m00 + m11 + m22,
    1 + m00 - m11 - m22,
    1 - m00 + m11 - m22,
    1 - m00 - m11 + m22,
  ].map((v) => Math.sqrt(Math.max(0, v)));
  // Row k: 2·q_k·(w, x, y, z) written without square roots.
  const rows = [
    [qAbs[0] ** 2, m21 - m12, m02 - m20, m10 - m01],
    [m21 - m12, qAbs[1] ** 2, m10 + m01, m02 + m20],
    [m02 - m20, m10 + m01, qAbs[2] ** 2, m12 + m21],
    [m10 - m01, m20 + m02, m21 + m12, qAbs[3] ** 2],
  ];
  let best = 0;
  for (let k = 1; k < 4; k++) if (qAbs[k] > qAbs[best]) best = k;
  const d = 2 * Math.max(qAbs[best], 0.1);
  let [w, x, y, z] = rows[best].map((v) => v / d);
  const n = Math.hypot(w, x, y, z);
  [w, x, y, z] = [w / n, x / n, y / n, z / n];
  if (w < 0) [w, x, y, z] = [-w, -x, -y, -z];
  const sinHalf = Math.hypot(x, y, z);
  const angle = 2 * Math.atan2(sinHalf, w);
  // sin(θ/2)/θ, with its series for small θ.
  const t2 = angle * angle;
  const ratio =
    t2 < ROTATION_TAYLOR_THETA_SQ ? 0.5 - t2 / 48 + (t2 * t2) / 3840 : Math.sin(angle / 2) / angle;
  return Float64Array.of(x / ratio, y / ratio, z / ratio);
}

/**
 * The STN's scaled orthographic camera: p = s·[R₀·X, −R₁·X] + t (pixels, x right, y down),
 * R = R(r), s = exp(logS).
 *
 * @param X [N, 3] model points.
 * @returns [N, 2] pixels.
 */
export function projectScaledOrthographic(
  X: ArrayLike<number>,
  r: ArrayLike<number>,
  t: ArrayLike<number>,
  logS: number,
): Float64Array {
  const R = rotationFromAxisAngle(r);
  const s = Math.exp(logS);
  const n = Math.floor(X.length / 3);
  const p = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const x = X[3 * i];
    const y = X[3 * i + 1];
    const z = X[3 * i + 2];
    p[2 * i] = s * (R[0] * x + R[1] * y + R[2] * z) + t[0];
    p[2 * i + 1] = -s * (R[3] * x + R[4] * y + R[5] * z) + t[1];
  }
  return p;
}

/** 3×3 product a·b (row-major). */
function mul3(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const o = new Float64Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      o[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
  return o;
}

/**
 * Head pose as Euler angles (radians): R = Rz(roll) · Ry(yaw) · Rx(pitch), in model space
 * (right-handed, y up, z towards the camera). Yaw turns about the vertical (y) axis, pitch about
 * x, roll about the viewing (z) axis. The trainer's synthetic poses and metrics, the CLI's `fit`
 * and `eval` records and the web app's pose read-out use this one convention.
 *
 * Signs, as seen in the image (the projection flips y): yaw > 0 turns the nose towards image
 * right (+x; the subject's left); pitch > 0 turns the nose down (looking down); roll > 0 turns
 * the face counter-clockwise on the screen (the subject's left eye rises).
 */
export function matrixFromEuler(yaw: number, pitch: number, roll: number): Float64Array {
  const [cy, sy, cp, sp, cr, sr] = [
    Math.cos(yaw),
    Math.sin(yaw),
    Math.cos(pitch),
    Math.sin(pitch),
    Math.cos(roll),
    Math.sin(roll),
  ];
  const Rx = Float64Array.of(1, 0, 0, 0, cp, -sp, 0, sp, cp);
  const Ry = Float64Array.of(cy, 0, sy, 0, 1, 0, -sy, 0, cy);
  const Rz = Float64Array.of(cr, -sr, 0, sr, cr, 0, 0, 0, 1);
  return mul3(Rz, mul3(Ry, Rx));
}

/** Inverse of {@link matrixFromEuler} (yaw in [−90°, 90°]). */
export function eulerFromMatrix(R: ArrayLike<number>): {
  yaw: number;
  pitch: number;
  roll: number;
} {
  const yaw = Math.asin(Math.max(-1, Math.min(1, -R[6])));
  const pitch = Math.atan2(R[7], R[8]);
  const roll = Math.atan2(R[3], R[0]);
  return { yaw, pitch, roll };
}

const DEG = 180 / Math.PI;

/** Yaw, pitch, roll in degrees (see {@link matrixFromEuler}) of an axis-angle vector r. */
export function eulerDegreesFromAxisAngle(r: ArrayLike<number>): {
  yaw: number;
  pitch: number;
  roll: number;
} {
  const e = eulerFromMatrix(rotationFromAxisAngle([r[0], r[1], r[2]]));
  return { yaw: e.yaw * DEG, pitch: e.pitch * DEG, roll: e.roll * DEG };
}

/**
 * A head pose in the record form of the CLI's `fit`/`eval` and the web app: yaw, pitch, roll in
 * degrees ({@link matrixFromEuler}'s convention) and R row by row (X' = R·X, model space).
 */
export interface HeadPose {
  yaw: number;
  pitch: number;
  roll: number;
  /** R as 3 rows of 3: R = Rz(roll)·Ry(yaw)·Rx(pitch) = R(θ[0..2]). */
  rotation: [[number, number, number], [number, number, number], [number, number, number]];
}

/** The {@link HeadPose} of an axis-angle vector r (θ[0..2]). */
export function headPoseFromAxisAngle(r: ArrayLike<number>): HeadPose {
  const R = rotationFromAxisAngle([r[0], r[1], r[2]]);
  const e = eulerFromMatrix(R);
  return {
    yaw: e.yaw * DEG,
    pitch: e.pitch * DEG,
    roll: e.roll * DEG,
    rotation: [
      [R[0], R[1], R[2]],
      [R[3], R[4], R[5]],
      [R[6], R[7], R[8]],
    ],
  };
}

/**
 * AFLW2000-3D / 300W-LP `Pose_Para` angles (radians) as 3DDFA and face3d define them: the
 * ground-truth projection of those datasets is p = s·R·X + t with the image y flipped, the same
 * camera as the STN's, and R = Rx(pitch)ᵀ·Ry(yaw)ᵀ·Rz(roll)ᵀ (face3d's `angle2matrix_3ddfa`,
 * "the same as in 3DDFA"), i.e. R = (Rz(roll)·Ry(yaw)·Rx(pitch))ᵀ. Their BFM model space has the
 * same axes as ours (x to the viewer's right, y up, z towards the camera), so this R is the
 * project's R(θ[0..2]) directly. Because of the transpose their angles are those of the inverse
 * rotation: for a pure yaw, pitch or roll each is the negative of {@link eulerFromMatrix}'s, and
 * in general neither the order nor the signs match, hence these conversions through R.
 */
export interface PosePara {
  pitch: number;
  yaw: number;
  roll: number;
}

/** R (row-major [9]) of `Pose_Para` angles (radians); see {@link PosePara}. */
export function matrixFromPosePara(pitch: number, yaw: number, roll: number): Float64Array {
  const Rt = matrixFromEuler(yaw, pitch, roll);
  return Float64Array.of(Rt[0], Rt[3], Rt[6], Rt[1], Rt[4], Rt[7], Rt[2], Rt[5], Rt[8]);
}

/**
 * `Pose_Para` angles (radians; |yaw| ≤ 90°) of a rotation R (row-major [9]), the inverse of
 * {@link matrixFromPosePara}: the {@link eulerFromMatrix} decomposition of Rᵀ.
 */
export function poseParaFromMatrix(R: ArrayLike<number>): PosePara {
  if (R.length !== 9) {
    throw new RangeError(
      `Error in poseParaFromMatrix: R must have 9 entries (row-major 3×3), but got ${R.length}.`,
    );
  }
  const e = eulerFromMatrix([R[0], R[3], R[6], R[1], R[4], R[7], R[2], R[5], R[8]]);
  return { pitch: e.pitch, yaw: e.yaw, roll: e.roll };
}

/** `Pose_Para` angles (radians) of an axis-angle vector r (θ[0..2]). */
export function poseParaFromAxisAngle(r: ArrayLike<number>): PosePara {
  return poseParaFromMatrix(rotationFromAxisAngle([r[0], r[1], r[2]]));
}

/**
 * Rotations in float64 for data generation and metrics.
 *
 * Convention: model space is right-handed, y up, z towards the camera (DESIGN.md). Head pose is
 * R = Rz(roll) · Ry(yaw) · Rx(pitch), angles in radians unless a name says degrees; yaw turns
 * about the vertical (y) axis, pitch about x, roll about the viewing (z) axis. Matrices are
 * row-major 3×3 arrays acting on column vectors.
 */

export type Mat3 = Float64Array; // [9] row-major

function mul(a: Mat3, b: Mat3): Mat3 {
  const o = new Float64Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      o[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
  return o;
}

/** R = Rz(roll) · Ry(yaw) · Rx(pitch). */
export function matrixFromEuler(yaw: number, pitch: number, roll: number): Mat3 {
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
  return mul(Rz, mul(Ry, Rx));
}

/** Inverse of `matrixFromEuler` (yaw in [−90°, 90°]). */
export function eulerFromMatrix(R: Mat3): { yaw: number; pitch: number; roll: number } {
  const yaw = Math.asin(Math.max(-1, Math.min(1, -R[6])));
  const pitch = Math.atan2(R[7], R[8]);
  const roll = Math.atan2(R[3], R[0]);
  return { yaw, pitch, roll };
}

/** Rodrigues: axis-angle r (angle = |r|) → R, with the small-angle series near 0. */
export function axisAngleToMatrix(r: ArrayLike<number>): Mat3 {
  const [x, y, z] = [r[0], r[1], r[2]];
  const t2 = x * x + y * y + z * z;
  const t = Math.sqrt(t2);
  const a = t2 < 1e-8 ? 1 - t2 / 6 : Math.sin(t) / t;
  const b = t2 < 1e-8 ? 0.5 - t2 / 24 : (1 - Math.cos(t)) / t2;
  return Float64Array.of(
    1 - b * (y * y + z * z),
    -a * z + b * x * y,
    a * y + b * x * z,
    a * z + b * x * y,
    1 - b * (x * x + z * z),
    -a * x + b * y * z,
    -a * y + b * x * z,
    a * x + b * y * z,
    1 - b * (x * x + y * y),
  );
}

/** R → axis-angle r with |r| in [0, π]. */
export function matrixToAxisAngle(R: Mat3): Float64Array {
  const tr = R[0] + R[4] + R[8];
  const c = Math.max(-1, Math.min(1, (tr - 1) / 2));
  const angle = Math.acos(c);
  const vx = R[7] - R[5];
  const vy = R[2] - R[6];
  const vz = R[3] - R[1];
  if (angle < 1e-6) return Float64Array.of(vx / 2, vy / 2, vz / 2);
  if (Math.PI - angle > 1e-4) {
    const k = angle / (2 * Math.sin(angle));
    return Float64Array.of(vx * k, vy * k, vz * k);
  }
  // Near π: the axis from the largest diagonal of (R + I)/2 = n nᵀ.
  const d = [R[0], R[4], R[8]];
  const i = d[0] >= d[1] && d[0] >= d[2] ? 0 : d[1] >= d[2] ? 1 : 2;
  const n = [0, 0, 0];
  n[i] = Math.sqrt(Math.max(0, (d[i] + 1) / 2));
  for (let j = 0; j < 3; j++) if (j !== i) n[j] = (R[3 * i + j] + R[3 * j + i]) / (4 * n[i]);
  const sign = n[0] * vx + n[1] * vy + n[2] * vz < 0 ? -1 : 1;
  return Float64Array.of(sign * n[0] * angle, sign * n[1] * angle, sign * n[2] * angle);
}

const DEG = 180 / Math.PI;

/** Yaw, pitch, roll in degrees of an axis-angle vector. */
export function eulerDegreesFromAxisAngle(r: ArrayLike<number>): {
  yaw: number;
  pitch: number;
  roll: number;
} {
  const e = eulerFromMatrix(axisAngleToMatrix(r));
  return { yaw: e.yaw * DEG, pitch: e.pitch * DEG, roll: e.roll * DEG };
}

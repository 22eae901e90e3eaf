/**
 * Rotations in float64 for data generation and metrics.
 *
 * Convention: model space is right-handed, y up, z towards the camera (DESIGN.md). Head pose is
 * R = Rz(roll) · Ry(yaw) · Rx(pitch), angles in radians unless a name says degrees; yaw turns
 * about the vertical (y) axis, pitch about x, roll about the viewing (z) axis. Matrices are
 * row-major 3×3 arrays acting on column vectors.
 */

import { axisAngleFromRotation, rotationFromAxisAngle } from '@3dmm-stn/morphable-model';

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

/** Rodrigues: axis-angle r (angle = |r|) → R (morphable-model's one host implementation). */
export function axisAngleToMatrix(r: ArrayLike<number>): Mat3 {
  return rotationFromAxisAngle([r[0], r[1], r[2]]);
}

/** R → axis-angle r with |r| in [0, π] (morphable-model's `axisAngleFromRotation`). */
export function matrixToAxisAngle(R: Mat3): Float64Array {
  return axisAngleFromRotation(R);
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

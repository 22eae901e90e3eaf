/**
 * Rotations in float64 for data generation and metrics.
 *
 * Convention: model space is right-handed, y up, z towards the camera (DESIGN.md). Head pose is
 * R = Rz(roll) · Ry(yaw) · Rx(pitch), angles in radians unless a name says degrees; yaw turns
 * about the vertical (y) axis, pitch about x, roll about the viewing (z) axis. Matrices are
 * row-major 3×3 arrays acting on column vectors.
 */

import { axisAngleFromRotation, rotationFromAxisAngle } from '@3dmm-stn/morphable-model';

// Head-pose Euler angles: one home, @3dmm-stn/morphable-model's rotation module (re-exported).
export {
  eulerDegreesFromAxisAngle,
  eulerFromMatrix,
  matrixFromEuler,
} from '@3dmm-stn/morphable-model';

export type Mat3 = Float64Array; // [9] row-major

/** Rodrigues: axis-angle r (angle = |r|) → R (morphable-model's one host implementation). */
export function axisAngleToMatrix(r: ArrayLike<number>): Mat3 {
  return rotationFromAxisAngle([r[0], r[1], r[2]]);
}

/** R → axis-angle r with |r| in [0, π] (morphable-model's `axisAngleFromRotation`). */
export function matrixToAxisAngle(R: Mat3): Float64Array {
  return axisAngleFromRotation(R);
}

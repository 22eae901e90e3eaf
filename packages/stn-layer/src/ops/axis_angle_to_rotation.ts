import {
  engine,
  getBackend,
  op,
  type Tensor2D,
  type Tensor3D,
  tensor2d,
  tidy,
} from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { assertShape, ROTATION_TAYLOR_THETA_SQ } from '@3dmm-stn/morphable-model';
import { isJsKernelBackend } from './kernel_memory';
import { AxisAngleToRotation } from './rotation_kernels';

/**
 * Below this θ² the Taylor series replaces sin θ/θ and (1 − cos θ)/θ²: the threshold of the
 * host implementation (`rodrigues` in morphable-model), so both switch at the same angle. At
 * θ² = 1e-4 the first omitted terms (θ⁶/5040, θ⁶/40320) are < 1e-15, far below float32
 * resolution, and √θ² in the exact branch is well away from its singular derivative at 0.
 */
const TAYLOR_THETA_SQ = ROTATION_TAYLOR_THETA_SQ;

/**
 * `E[k, 3i + j] = −ε_ijk`, so that `r · E` reshaped to [3, 3] is the cross-product matrix
 * [r]× (with [r]× v = r × v).
 */
const CROSS_MATRIX_BASIS = [
  [0, 0, 0, 0, 0, -1, 0, 1, 0],
  [0, 0, 1, 0, 0, 0, -1, 0, 0],
  [0, -1, 0, 1, 0, 0, 0, 0, 0],
];

/**
 * Rotation matrices from axis-angle vectors (Rodrigues' formula).
 *
 *   R = cos θ · I + (sin θ / θ) · [r]× + ((1 − cos θ) / θ²) · r rᵀ,   θ = |r|
 *
 * The coefficients are evaluated as A = sin θ/θ and B = ½ (sin(θ/2)/(θ/2))² (= (1 − cos θ)/θ²
 * without float32 cancellation), cos θ as 1 − B θ²; for θ² < 1e-4 they are replaced by their
 * Taylor series (A = 1 − θ²/6 + θ⁴/120, B = ½ − θ²/24 + θ⁴/720), selected with `where` on θ².
 * The exact branch is evaluated at θ² = 1 where the Taylor branch is taken, so neither branch
 * produces a NaN or an infinity that could leak into the gradient: value and gradient are
 * finite everywhere, including r = 0 (where dR = [dr]×).
 *
 * On cpu and wasm the same formulas (and the analytic derivative, with the Taylor series of
 * the derivative coefficients) run in float64 in one `StnAxisAngleToRotation` kernel; other
 * backends run the composed tfjs ops.
 *
 * **Convention:** radians; the angle is |r| and the axis r/|r|; right-handed (a positive
 * angle turns counter-clockwise looking down the axis towards the origin); R acts on column
 * vectors, `X' = R · X` (for row-vector vertices `X' = X · Rᵀ`, see `rotateVertices`).
 *
 * @param r [B, 3] axis-angle vectors.
 * @returns [B, 3, 3] rotation matrices (orthonormal, det = 1).
 * @throws ShapeError if r is not [B, 3], Error if r is not float32.
 */
function axisAngleToRotation_(r: Tensor2D): Tensor3D {
  assertShape('axisAngleToRotation', 'r', r.shape, ['B', 3]);
  if (r.dtype !== 'float32') {
    throw new Error(`Error in axisAngleToRotation: r must be float32, but got ${r.dtype}.`);
  }
  if (isJsKernelBackend(getBackend())) {
    return engine().runKernel(AxisAngleToRotation, { r }) as Tensor3D;
  }
  return axisAngleToRotationComposed(r);
}

/**
 * `axisAngleToRotation` composed of tfjs ops, the Taylor branch chosen with `where` (used on
 * backends without the kernel).
 */
export function axisAngleToRotationComposed(r: Tensor2D): Tensor3D {
  const batch = r.shape[0];
  return tidy(() => {
    const thetaSq = tf.sum(tf.square(r), 1, true); // [B, 1]
    // tfjs backprops into `where`'s condition and has no gradient for comparisons; `step` has a
    // (zero) gradient, so the branch mask is built from it.
    const small = tf.cast(tf.step(tf.sub(TAYLOR_THETA_SQ, thetaSq)), 'bool');
    const safeSq = tf.where(small, tf.onesLike(thetaSq), thetaSq);
    const theta = tf.sqrt(safeSq);
    const half = tf.mul(theta, 0.5);
    const sinc = tf.div(tf.sin(theta), theta);
    const halfSinc = tf.div(tf.sin(half), half);
    const exactB = tf.mul(tf.square(halfSinc), 0.5);
    const t2 = thetaSq;
    const t4 = tf.square(thetaSq);
    const taylorA = tf.add(tf.sub(1, tf.div(t2, 6)), tf.div(t4, 120));
    const taylorB = tf.add(tf.sub(0.5, tf.div(t2, 24)), tf.div(t4, 720));
    const a = tf.where(small, taylorA, sinc); // [B, 1]
    const b = tf.where(small, taylorB, exactB); // [B, 1]
    const c = tf.sub(1, tf.mul(b, thetaSq)); // cos θ, [B, 1]

    const cross = tf.reshape(tf.matMul(r, tensor2d(CROSS_MATRIX_BASIS)), [batch, 3, 3]);
    const outer = tf.mul(tf.reshape(r, [batch, 3, 1]), tf.reshape(r, [batch, 1, 3]));
    const eye = tf.reshape(tf.eye(3), [1, 3, 3]);
    const r3 = (s: tf.Tensor) => tf.reshape(s, [batch, 1, 1]);
    return tf.addN([tf.mul(r3(c), eye), tf.mul(r3(a), cross), tf.mul(r3(b), outer)]) as Tensor3D;
  });
}

export const axisAngleToRotation = op({ axisAngleToRotation_ });

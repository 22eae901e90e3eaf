import * as tf from '@tensorflow/tfjs-core';
import { op, type Tensor2D, type Tensor3D, tidy } from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/morphable-model';
import { axisAngleToRotation } from './axis_angle_to_rotation';

/**
 * Scaled orthographic projection of model-space vertices to pixel coordinates:
 *
 *   X' = R(r) · X,   p = exp(logS) · [x', −y'] + t
 *
 * Only the first two rows of R are needed, so the op is one batched [N, 3] × [3, 2] product
 * per batch element (`X · M`, M = s · [R₀ᵀ, −R₁ᵀ]) plus t.
 *
 * **Convention:** model space is right-handed, y up, z towards the camera; pixel coordinates
 * are x right, y down, the centre of pixel (row i, col j) at (x = j, y = i) — hence the y flip,
 * which makes r = 0 show an upright face. s = exp(logS) is pixels per model unit; t is the
 * pixel position of the model origin. r is axis-angle in radians (`axisAngleToRotation`).
 *
 * @param X [B, N, 3] vertices in model space.
 * @param r [B, 3] axis-angle rotations.
 * @param t [B, 2] translations (x, y) in pixels.
 * @param logS [B, 1] natural log of the scale.
 * @returns [B, N, 2] pixel coordinates (x, y). Differentiable in all inputs.
 * @throws ShapeError if the shapes do not agree.
 */
function projectVertices_(X: Tensor3D, r: Tensor2D, t: Tensor2D, logS: Tensor2D): Tensor3D {
  const bound = assertShape('projectVertices', 'X', X.shape, ['B', 'N', 3]);
  assertShape('projectVertices', 'r', r.shape, ['B', 3], bound);
  assertShape('projectVertices', 't', t.shape, ['B', 2], bound);
  assertShape('projectVertices', 'logS', logS.shape, ['B', 1], bound);
  const batch = X.shape[0];
  return tidy(() => {
    const rows = tf.slice(axisAngleToRotation(r), [0, 0, 0], [batch, 2, 3]); // [B, 2, 3]
    const flip = tf.tensor3d([1, -1], [1, 2, 1]);
    const scale = tf.reshape(tf.exp(logS), [batch, 1, 1]);
    const m = tf.mul(rows, tf.mul(flip, scale)); // [B, 2, 3]
    const p = tf.matMul(X, m, false, true); // [B, N, 2]
    return tf.add(p, tf.reshape(t, [batch, 1, 2])) as Tensor3D;
  });
}

export const projectVertices = op({ projectVertices_ });

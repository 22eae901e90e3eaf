import * as tf from '@tensorflow/tfjs-core';
import { engine, getBackend, op, type Tensor2D, type Tensor3D, tidy } from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/morphable-model';
import { axisAngleToRotation } from './axis_angle_to_rotation';
import { isJsKernelBackend } from './kernel_memory';
import { ProjectVertices } from './project_vertices_kernels';

/**
 * Scaled orthographic projection of model-space vertices to pixel coordinates:
 *
 *   X' = R(r) · X,   p = exp(logS) · [x', −y'] + t
 *
 * On cpu and wasm this runs the fused `StnProjectVertices` kernel (R, its derivative and the
 * 2 × 3 projection M = s · [R₀; −R₁] per batch element in float64, then one pass over the
 * vertices; gradients in X and in (r, t, log s) computed only when needed). Other backends run
 * the same function composed of tfjs ops (`axisAngleToRotation`, a batched matMul, add).
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
 * @throws ShapeError if the shapes do not agree, Error if an input is not float32.
 */
function projectVertices_(X: Tensor3D, r: Tensor2D, t: Tensor2D, logS: Tensor2D): Tensor3D {
  const bound = assertShape('projectVertices', 'X', X.shape, ['B', 'N', 3]);
  assertShape('projectVertices', 'r', r.shape, ['B', 3], bound);
  assertShape('projectVertices', 't', t.shape, ['B', 2], bound);
  assertShape('projectVertices', 'logS', logS.shape, ['B', 1], bound);
  for (const [name, x] of [
    ['X', X],
    ['r', r],
    ['t', t],
    ['logS', logS],
  ] as const) {
    if (x.dtype !== 'float32') {
      throw new Error(`Error in projectVertices: ${name} must be float32, but got ${x.dtype}.`);
    }
  }
  if (isJsKernelBackend(getBackend())) {
    return tidy(() => {
      const pose = tf.concat([r, t, logS], 1); // [B, 6]
      return engine().runKernel(ProjectVertices, { X, pose }) as Tensor3D;
    });
  }
  return projectVerticesComposed(X, r, t, logS);
}

/** The same projection composed of tfjs ops, for backends without the kernel. */
export function projectVerticesComposed(
  X: Tensor3D,
  r: Tensor2D,
  t: Tensor2D,
  logS: Tensor2D,
): Tensor3D {
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

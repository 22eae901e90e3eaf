import { matMul, op, type Tensor3D } from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/morphable-model';

/**
 * Rotates every vertex: `X'[b, n] = R[b] · X[b, n]`.
 *
 * **Convention:** vertices are rows (x, y, z) and R acts on column vectors, so the batch is
 * computed as `X · Rᵀ`; R as returned by `axisAngleToRotation`.
 *
 * @param X [B, N, 3] vertices.
 * @param R [B, 3, 3] rotation (or any linear) matrices.
 * @returns [B, N, 3] rotated vertices. Differentiable in X and R.
 * @throws ShapeError if X is not [B, N, 3] or R is not [B, 3, 3] with the same B.
 */
function rotateVertices_(X: Tensor3D, R: Tensor3D): Tensor3D {
  const bound = assertShape('rotateVertices', 'X', X.shape, ['B', 'N', 3]);
  assertShape('rotateVertices', 'R', R.shape, ['B', 3, 3], bound);
  return matMul(X, R, false, true);
}

export const rotateVertices = op({ rotateVertices_ });

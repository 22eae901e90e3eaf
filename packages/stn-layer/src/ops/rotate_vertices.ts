import { engine, getBackend, matMul, op, type Tensor3D } from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/morphable-model';
import { isJsKernelBackend } from './kernel_memory';
import { RotateVertices } from './rotation_kernels';

/**
 * Rotates every vertex: `X'[b, n] = R[b] · X[b, n]`.
 *
 * **Convention:** vertices are rows (x, y, z) and R acts on column vectors, so the batch is
 * computed as `X · Rᵀ`; R as returned by `axisAngleToRotation`.
 *
 * On cpu and wasm a `StnRotateVertices` kernel (one pass), elsewhere a batched matMul.
 *
 * @param X [B, N, 3] vertices.
 * @param R [B, 3, 3] rotation (or any linear) matrices.
 * @returns [B, N, 3] rotated vertices. Differentiable in X and R.
 * @throws ShapeError if X is not [B, N, 3] or R is not [B, 3, 3] with the same B, Error if
 *   an input is not float32.
 */
function rotateVertices_(X: Tensor3D, R: Tensor3D): Tensor3D {
  const bound = assertShape('rotateVertices', 'X', X.shape, ['B', 'N', 3]);
  assertShape('rotateVertices', 'R', R.shape, ['B', 3, 3], bound);
  for (const [name, t] of [
    ['X', X],
    ['R', R],
  ] as const) {
    if (t.dtype !== 'float32') {
      throw new Error(`Error in rotateVertices: ${name} must be float32, but got ${t.dtype}.`);
    }
  }
  if (isJsKernelBackend(getBackend())) {
    return engine().runKernel(RotateVertices, { X, R }) as Tensor3D;
  }
  return rotateVerticesComposed(X, R);
}

/** `rotateVertices` as a batched matMul (backends without the kernel). */
export function rotateVerticesComposed(X: Tensor3D, R: Tensor3D): Tensor3D {
  return matMul(X, R, false, true);
}

export const rotateVertices = op({ rotateVertices_ });

import {
  add,
  matMul,
  op,
  reshape,
  type Tensor2D,
  type Tensor3D,
  tidy,
} from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/morphable-model';

/**
 * Shapes of a linear morphable model: `X[b] = mean + Σₖ alpha[b, k] · basis[k]`.
 *
 * **Convention:** `basis` is mode-major, the layout of `GridModel.basis` and
 * `MorphableModel.shape.basis`: mode k of vertex i, coordinate c at `basis[k, 3i + c]`.
 * Coordinates keep the model's units (mm for this project's models).
 *
 * @param alpha [B, D] mode coefficients (D may be 0).
 * @param mean [N, 3] mean shape.
 * @param basis [D, 3N] basis, mode-major.
 * @returns [B, N, 3] vertices. Differentiable in alpha, mean and basis.
 * @throws ShapeError if the shapes do not agree.
 */
function morphShape_(alpha: Tensor2D, mean: Tensor2D, basis: Tensor2D): Tensor3D {
  const bound = assertShape('morphShape', 'alpha', alpha.shape, ['B', 'D']);
  const { N } = assertShape('morphShape', 'mean', mean.shape, ['N', 3]);
  assertShape('morphShape', 'basis', basis.shape, ['D', 3 * N], bound);
  const batch = alpha.shape[0];
  return tidy(() => {
    const offsets = matMul(alpha, basis); // [B, 3N]
    return reshape(add(offsets, reshape(mean, [1, 3 * N])), [batch, N, 3]) as Tensor3D;
  });
}

export const morphShape = op({ morphShape_ });

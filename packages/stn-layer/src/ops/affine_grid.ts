import * as tf from '@tensorflow/tfjs-core';
import { op, type Tensor3D, type Tensor4D, tidy } from '@tensorflow/tfjs-core';
import { assertShape, ShapeError } from '@3dmm-stn/morphable-model';

export interface AffineGridOptions {
  /**
   * [H, W] of the image that `gridSample` will read; default: the output's [Ho, Wo].
   */
  inputSize?: readonly [number, number];
  /**
   * `true` (default): normalised −1 and +1 are the centres of the first and last pixels
   * (PyTorch `align_corners=True`); `false`: they are the outer edges of those pixels.
   */
  alignCorners?: boolean;
}

/**
 * The sampling grid of the classic 2D spatial transformer (Jaderberg et al. 2015), in the pixel
 * coordinates `gridSample` takes: `gridSample(image, affineGrid(theta, [B, Ho, Wo]))` is the
 * affine-warped image.
 *
 *   [u_in, v_in]ᵀ = theta[b] · [u_out, v_out, 1]ᵀ
 *
 * where (u_out, v_out) runs over the output pixels in normalised coordinates and
 * (u_in, v_in) is converted to pixel coordinates of the input image.
 *
 * **Convention:** normalised coordinates: u along x (right), v along y (down), in [−1, 1].
 * With `alignCorners` (default) −1 and +1 are the centres of the first and last pixel,
 * `x = (u + 1)/2 · (W − 1)` (a size-1 axis maps to 0); without it they are the outer edges of
 * those pixels, `x = ((u + 1) · W − 1)/2`. The same conversion, with the output size, gives
 * (u_out, v_out) for each output pixel. So θ = [[1, 0, 0], [0, 1, 0]] with equal sizes samples
 * every pixel centre exactly (the identity). The output holds (x, y) pixel coordinates of the
 * input: x right, y down, pixel centre of (row i, col j) at (x = j, y = i).
 *
 * @param theta [B, 2, 3] affine maps from normalised output to normalised input coordinates.
 * @param size [B, Ho, Wo] or the NHWC output shape [B, Ho, Wo, C].
 * @param options inputSize (default = [Ho, Wo]) and alignCorners (default true).
 * @returns [B, Ho, Wo, 2] pixel coordinates (x, y) in the input image. Differentiable in theta.
 * @throws ShapeError if theta is not [B, 2, 3] or size disagrees with it.
 */
function affineGrid_(
  theta: Tensor3D,
  size: readonly number[],
  options: AffineGridOptions = {},
): Tensor4D {
  const bound = assertShape('affineGrid', 'theta', theta.shape, ['B', 2, 3]);
  if (size.length === 4) {
    assertShape('affineGrid', 'size', size, ['B', 'Ho', 'Wo', 'C'], { ...bound });
  } else {
    assertShape('affineGrid', 'size', size, ['B', 'Ho', 'Wo'], { ...bound });
  }
  const [B, Ho, Wo] = size;
  const [H, W] = options.inputSize ?? [Ho, Wo];
  for (const n of [Ho, Wo, H, W]) {
    if (!Number.isInteger(n) || n < 1) {
      throw new ShapeError(
        `Error in affineGrid: sizes must be positive integers, but got output [${size.join(',')}] and input [${H},${W}].`,
      );
    }
  }
  const alignCorners = options.alignCorners ?? true;
  // Pixel → normalised for the output grid, normalised → pixel for the input.
  const toNorm = (i: number, n: number) =>
    alignCorners ? (n === 1 ? 0 : (2 * i) / (n - 1) - 1) : (2 * i + 1) / n - 1;
  const scale = (n: number) => (alignCorners ? (n - 1) / 2 : n / 2);
  const offset = (n: number) => (n - 1) / 2;

  const base = new Float32Array(3 * Ho * Wo); // [3, Ho·Wo] rows u, v, 1
  for (let i = 0; i < Ho; i++) {
    for (let j = 0; j < Wo; j++) {
      const p = i * Wo + j;
      base[p] = toNorm(j, Wo);
      base[Ho * Wo + p] = toNorm(i, Ho);
      base[2 * Ho * Wo + p] = 1;
    }
  }
  return tidy(() => {
    const norm = tf.matMul(tf.reshape(theta, [B * 2, 3]), tf.tensor2d(base, [3, Ho * Wo])); // [2B, HoWo]
    const uv = tf.transpose(tf.reshape(norm, [B, 2, Ho * Wo]), [0, 2, 1]); // [B, HoWo, 2]
    const pix = tf.add(
      tf.mul(uv, tf.tensor1d([scale(W), scale(H)])),
      tf.tensor1d([offset(W), offset(H)]),
    );
    return tf.reshape(pix, [B, Ho, Wo, 2]) as Tensor4D;
  });
}

export const affineGrid = op({ affineGrid_ });

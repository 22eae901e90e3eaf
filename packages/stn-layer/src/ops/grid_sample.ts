import * as tf from '@tensorflow/tfjs-core';
import { type GradSaveFunc, op, type Tensor, type Tensor4D } from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/morphable-model';

/** What `gridSample` reads outside the image. */
export type GridSamplePadding = 'zeros' | 'border';

export interface GridSampleOptions {
  /**
   * `'zeros'` (default): the image is extended with zeros beyond its outermost pixel centres;
   * `'border'`: it is extended by repeating its edge pixels.
   */
  padding?: GridSamplePadding;
}

const PADDINGS: readonly GridSamplePadding[] = ['zeros', 'border'];

/**
 * Bilinear sampling of an image at pixel coordinates.
 *
 *   out[b, i, j, c] = Σ over the 4 pixel centres around (x, y) = coords[b, i, j] of
 *                     (1 − |x − xₖ|)(1 − |y − yₖ|) · image[b, yₖ, xₖ, c]
 *
 * **Convention:** pixel coordinates (not normalised): x right, y down, 0-based, the centre of
 * pixel (row i, col j) at (x = j, y = i); coords hold (x, y) in that order. The image is
 * extended beyond its pixel centres by zeros or by its border pixels (`padding`) and the
 * extended image is interpolated, so e.g. with zeros x = −0.5 reads half of column 0 and
 * x ≤ −1 reads 0. Bilinear interpolation is exact on images that are linear in (x, y)
 * (inside the pixel centres).
 *
 * **Gradients:** with respect to the image, the transpose of the interpolation (each output
 * gradient is scattered to the 4 neighbours with the bilinear weights). With respect to the
 * coords, the analytic derivative of the bilinear interpolant, which is piecewise linear with
 * kinks at integer x or y: there the piece on [k, k + 1) is used (the one-sided derivative from
 * the right, consistent with x₀ = ⌊x⌋). Outside the padded support (zeros) or beyond the
 * border (border) the coordinate gradient is 0.
 *
 * The image gradient uses `UnsortedSegmentSum` (the gradient of a gather), which the wasm
 * backend lacks as shipped: `@3dmm-stn/backend` registers it.
 *
 * @param image [B, H, W, C] float32, H, W ≥ 1.
 * @param coords [B, Ho, Wo, 2] (x, y) pixel coordinates of the input image, float32. For
 *   scattered points (the 3DMM STN) use [B, N, 1, 2].
 * @param options padding, default `'zeros'`.
 * @returns [B, Ho, Wo, C] samples. Differentiable in image and coords.
 * @throws ShapeError on wrong shapes, Error on an unknown padding or a non-float32 input.
 */
function gridSample_(image: Tensor4D, coords: Tensor4D, options: GridSampleOptions = {}): Tensor4D {
  const bound = assertShape('gridSample', 'image', image.shape, ['B', 'H', 'W', 'C']);
  assertShape('gridSample', 'coords', coords.shape, ['B', 'Ho', 'Wo', 2], bound);
  const padding = options.padding ?? 'zeros';
  if (!PADDINGS.includes(padding)) {
    throw new Error(
      `Error in gridSample: padding must be one of ${PADDINGS.map((p) => `'${p}'`).join(', ')}, but got '${String(padding)}'.`,
    );
  }
  for (const [name, t] of [
    ['image', image],
    ['coords', coords],
  ] as const) {
    if (t.dtype !== 'float32') {
      throw new Error(`Error in gridSample: ${name} must be float32, but got ${t.dtype}.`);
    }
  }
  const [B, H, W, C] = image.shape;
  const [, Ho, Wo] = coords.shape;
  if (H < 1 || W < 1) {
    throw new Error(
      `Error in gridSample: image must have H, W ≥ 1, but got [${image.shape.join(',')}].`,
    );
  }
  const P = B * Ho * Wo;

  const sample = tf.customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const [img, xy, save] = args as [Tensor, Tensor, GradSaveFunc];
    const { index, weight, dWeight } = bilinearCorners(xy, B, H, W, Ho * Wo, padding);
    // [4P, C]: the 4 neighbours of every output point, corner-major.
    const values = tf.reshape(tf.gather(tf.reshape(img, [B * H * W, C]), index), [4, P, C]);
    const value = tf.reshape(tf.sum(tf.mul(weight, values), 0), [B, Ho, Wo, C]);
    save([index, weight, dWeight, values]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [idx, w, dw, v] = saved;
        const dyFlat = tf.reshape(dy, [1, P, C]);
        const contrib = tf.reshape(tf.mul(w, dyFlat), [4 * P, C]);
        const dImage = tf.reshape(tf.unsortedSegmentSum(contrib, idx as tf.Tensor1D, B * H * W), [
          B,
          H,
          W,
          C,
        ]);
        // e[k, p] = Σ_c v[k, p, c] dy[p, c]; d out/d(x, y) = Σ_k dw[k, p, :] e[k, p].
        const e = tf.sum(tf.mul(v, dyFlat), 2, true); // [4, P, 1]
        const dCoords = tf.reshape(tf.sum(tf.mul(dw, e), 0), [B, Ho, Wo, 2]);
        return [dImage, dCoords];
      },
    };
  });
  return sample(image, coords) as Tensor4D;
}

/**
 * Flat gather indices, bilinear weights and their derivatives for the 4 neighbours of each
 * point. Corner order k = 0..3: (x₀, y₀), (x₀+1, y₀), (x₀, y₀+1), (x₀+1, y₀+1).
 *
 * @returns index [4P] int32 into the [B·H·W, C] image (clamped; weights of corners outside
 *   the image are 0 for zeros padding), weight [4, P, 1] (0 for corners outside with zeros
 *   padding), dWeight [4, P, 2] = ∂weight/∂(x, y) (with the same masking).
 */
function bilinearCorners(
  xy: Tensor,
  B: number,
  H: number,
  W: number,
  perBatch: number,
  padding: GridSamplePadding,
): { index: Tensor; weight: Tensor; dWeight: Tensor } {
  const P = B * perBatch;
  const flat = tf.reshape(xy, [P, 2]);
  // Clamping before ⌊·⌋ keeps huge coordinates from overflowing int32; it changes nothing
  // else, since everything beyond one pixel outside reads the same.
  const x = tf.clipByValue(tf.slice(flat, [0, 0], [P, 1]), -2, W + 1);
  const y = tf.clipByValue(tf.slice(flat, [0, 1], [P, 1]), -2, H + 1);
  const x0 = tf.floor(x);
  const y0 = tf.floor(y);
  const fx = tf.sub(x, x0); // [P, 1]
  const fy = tf.sub(y, y0);
  const gx = tf.sub(1, fx);
  const gy = tf.sub(1, fy);
  const x1 = tf.add(x0, 1);
  const y1 = tf.add(y0, 1);
  // Row offset of each point's batch element in the flat image.
  const batchBase = tf.reshape(
    tf.tile(tf.reshape(tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(H * W, 'int32')), [B, 1]), [
      1,
      perBatch,
    ]),
    [P, 1],
  );

  const cornerX = [x0, x1, x0, x1];
  const cornerY = [y0, y0, y1, y1];
  const indices: Tensor[] = [];
  const masks: Tensor[] = [];
  for (let k = 0; k < 4; k++) {
    const cx = cornerX[k];
    const cy = cornerY[k];
    const ix = tf.cast(tf.clipByValue(cx, 0, W - 1), 'int32');
    const iy = tf.cast(tf.clipByValue(cy, 0, H - 1), 'int32');
    indices.push(tf.add(batchBase, tf.add(tf.mul(iy, tf.scalar(W, 'int32')), ix)));
    if (padding === 'zeros') {
      const inside = tf.logicalAnd(
        tf.logicalAnd(tf.greaterEqual(cx, 0), tf.lessEqual(cx, W - 1)),
        tf.logicalAnd(tf.greaterEqual(cy, 0), tf.lessEqual(cy, H - 1)),
      );
      masks.push(tf.cast(inside, 'float32'));
    }
  }
  const index = tf.reshape(tf.concat(indices, 0), [4 * P]);
  let weight = tf.stack([tf.mul(gx, gy), tf.mul(fx, gy), tf.mul(gx, fy), tf.mul(fx, fy)]); // [4, P, 1]
  const neg = (t: Tensor) => tf.neg(t);
  let dWeight = tf.stack([
    tf.concat([neg(gy), neg(gx)], 1),
    tf.concat([gy, neg(fx)], 1),
    tf.concat([neg(fy), gx], 1),
    tf.concat([fy, fx], 1),
  ]); // [4, P, 2]
  if (padding === 'zeros') {
    const mask = tf.stack(masks); // [4, P, 1]
    weight = tf.mul(weight, mask);
    dWeight = tf.mul(dWeight, mask);
  }
  return { index, weight, dWeight };
}

export const gridSample = op({ gridSample_ });

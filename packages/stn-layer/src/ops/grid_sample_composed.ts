import * as tf from '@tensorflow/tfjs-core';
import type { GradSaveFunc, Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { Padding } from './grid_sample_impl';

/**
 * `gridSample` composed of tfjs ops (gather of the 4 neighbours on the flattened
 * [B·H·W, C] image, `unsortedSegmentSum` for the image gradient), for backends without the
 * `GridSample` kernel (webgl, webgpu, tensorflow). Same definition, padding and gradients as
 * the kernel (see `grid_sample_impl.ts`). Arguments are checked by `gridSample`.
 *
 * On wasm it is ≈ 25–60× slower than the kernel and on cpu ≈ 250× (B = 8, 224² → 112²), so the
 * kernel is used there.
 */
export function gridSampleComposed(image: Tensor4D, coords: Tensor4D, padding: Padding): Tensor4D {
  const [B, H, W, C] = image.shape;
  const [, Ho, Wo] = coords.shape;
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
  padding: Padding,
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

import * as tf from '@tensorflow/tfjs-core';

/**
 * Per-sample masked mean squared difference between two UV images:
 *   Σ_{i,j,c} w_ij (a_ijc − b_ijc)² / max(C · Σ_{i,j} w_ij, 1),   w = maskA ⊙ maskB.
 * The difference is replaced by 0 with `where` wherever w = 0 before squaring, so masked
 * pixels contribute nothing, not even NaN, to the value or the gradient.
 * Call inside a tidy.
 *
 * @param a `[B, R, R, C]`
 * @param b `[B, R, R, C]`
 * @param w `[B, R, R, 1]` non-negative pixel weights (the product of two masks)
 * @returns `[B]`
 */
export function maskedMeanSquaredDifference(a: tf.Tensor, b: tf.Tensor, w: tf.Tensor): tf.Tensor1D {
  const channels = a.shape[3] as number;
  const diff = tf.sub(a, b);
  // where() would broadcast a [B,R,R,1] condition through BroadcastTo anyway; tiling the
  // bool once is cheaper. Channels are summed before weighting so that the weight multiply
  // runs on [B,R,R,1], not [B,R,R,C].
  // w ≤ 0 as −w ≥ 0: GreaterEqual has a (zero) gradient in tfjs and Greater has none, so a
  // mask that is an output of a network (on the gradient tape) needs no detaching first.
  const hidden = tf.tile(tf.greaterEqual(tf.neg(w), 0), [1, 1, 1, channels]);
  const safe = tf.where(hidden, tf.zerosLike(diff), diff);
  const perPixel = tf.sum(tf.square(safe), 3, true); // [B, R, R, 1]
  const num = tf.sum(tf.mul(w, perPixel), [1, 2, 3]);
  // max(…, 1): with binary masks the count is an integer, so this only guards the
  // no-overlap case (num is then 0 and the loss is 0).
  const count = tf.maximum(tf.mul(tf.sum(w, [1, 2, 3]), channels), 1);
  return tf.div(num, count) as tf.Tensor1D;
}

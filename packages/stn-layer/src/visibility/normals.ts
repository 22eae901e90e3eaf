import * as tf from '@tensorflow/tfjs-core';

/** Topology tensors for {@link facingCamera}; see `VisibilityTopology` for the layouts. */
export interface TopologyTensors {
  /** [F, 3] int32 vertex ids. */
  triangles: tf.Tensor2D;
  /** [N, K] int32 corner ids `3f + k`, padded with `3F`. */
  vertexCorners: tf.Tensor2D;
}

/**
 * z component of the angle-weighted vertex normals (Thürmer & Wüthrich 1998) of a batch of meshes
 * sharing one topology: n_v = Σ over corners of v of (corner angle) · (unit face normal).
 * Only the z component is formed because visibility only asks for its sign.
 *
 * Corner angles are atan2(|e1 × e2|, e1 · e2), which stays accurate for angles near 0 and π,
 * and |e1 × e2| (twice the area) is shared by the three corners. A degenerate triangle
 * (zero area) contributes nothing.
 *
 * @param xrot [B, N, 3] vertices in camera-aligned model space (z towards the camera).
 * @returns [B, N] (angle-weighted normal)·ẑ, radians (not normalised).
 */
export function vertexNormalZ(xrot: tf.Tensor3D, topo: TopologyTensors): tf.Tensor2D {
  return tf.tidy(() => {
    const [b] = xrot.shape;
    const f = topo.triangles.shape[0];
    const [n, k] = topo.vertexCorners.shape;
    const corners = tf.reshape(tf.gather(xrot, tf.reshape(topo.triangles, [3 * f]), 1), [
      b,
      f,
      3,
      3,
    ]);
    const [pa, pb, pc] = tf.unstack(corners, 2) as tf.Tensor3D[]; // each [B, F, 3]
    const eab = tf.sub(pb, pa);
    const eac = tf.sub(pc, pa);
    const ebc = tf.sub(pc, pb);
    const [abx, aby, abz] = tf.unstack(eab, 2);
    const [acx, acy, acz] = tf.unstack(eac, 2);
    const cx = tf.sub(tf.mul(aby, acz), tf.mul(abz, acy));
    const cy = tf.sub(tf.mul(abz, acx), tf.mul(abx, acz));
    const cz = tf.sub(tf.mul(abx, acy), tf.mul(aby, acx));
    const area2 = tf.sqrt(tf.add(tf.add(tf.square(cx), tf.square(cy)), tf.square(cz))); // [B, F]
    // cz / |c| with 0/0 → 0: |cz| ≤ |c|, so max(|c|, tiny) only changes degenerate faces.
    const nz = tf.div(cz, tf.maximum(area2, 1e-30));
    const dot = (u: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(u, v), 2);
    const angA = tf.atan2(area2, dot(eab, eac));
    const angB = tf.atan2(area2, tf.neg(dot(eab, ebc)));
    const angC = tf.atan2(area2, dot(eac, ebc));
    const contrib = tf.reshape(
      tf.stack([tf.mul(angA, nz), tf.mul(angB, nz), tf.mul(angC, nz)], 2),
      [b, 3 * f],
    );
    const padded = tf.concat([contrib, tf.zeros([b, 1])], 1); // corner 3F reads 0
    const perCorner = tf.gather(padded, tf.reshape(topo.vertexCorners, [n * k]), 1);
    return tf.sum(tf.reshape(perCorner, [b, n, k]), 2) as tf.Tensor2D;
  });
}

/**
 * 1 where the angle-weighted vertex normal faces the camera (n_z ≥ 0), else 0.
 * @param xrot [B, N, 3]
 * @returns [B, N] float32 0/1 (validity not applied).
 */
export function facingCamera(xrot: tf.Tensor3D, topo: TopologyTensors): tf.Tensor2D {
  return tf.tidy(
    () => tf.cast(tf.greaterEqual(vertexNormalZ(xrot, topo), 0), 'float32') as tf.Tensor2D,
  );
}

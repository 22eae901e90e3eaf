import * as tf from '@tensorflow/tfjs-core';

/** Topology tensors for {@link vertexNormalZ}; see `VisibilityTopology` for the layouts. */
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
 * Layout: coordinates are moved to the front ([B, 3, N]) so that every per-coordinate,
 * per-corner operand below is a contiguous slice (no last-axis unstack, which is slow on wasm).
 *
 * @param xrot [B, N, 3] vertices in camera-aligned model space (z towards the camera).
 * @returns [B, N] (angle-weighted normal)·ẑ, radians (not normalised).
 */
export function vertexNormalZ(xrot: tf.Tensor3D, topo: TopologyTensors): tf.Tensor2D {
  return tf.tidy(() => {
    const [b] = xrot.shape;
    const f = topo.triangles.shape[0];
    const [n, k] = topo.vertexCorners.shape;
    const cornerMajor = tf.reshape(tf.transpose(topo.triangles), [3 * f]); // a's, b's, c's
    const xyz = tf.transpose(xrot, [0, 2, 1]); // [B, 3, N]
    const at = tf.gather(xyz, cornerMajor, 2); // [B, 3, 3F]
    const part = (coord: number, corner: number) =>
      tf.reshape(tf.slice(at, [0, coord, corner * f], [b, 1, f]), [b, f]);
    const p = [0, 1, 2].map((corner) => [0, 1, 2].map((coord) => part(coord, corner))); // p[corner][coord]
    const sub = (u: tf.Tensor[], v: tf.Tensor[]) => u.map((x, i) => tf.sub(x, v[i]));
    const dot = (u: tf.Tensor[], v: tf.Tensor[]) => tf.addN(u.map((x, i) => tf.mul(x, v[i])));
    const eab = sub(p[1], p[0]);
    const eac = sub(p[2], p[0]);
    const ebc = sub(p[2], p[1]);
    const cx = tf.sub(tf.mul(eab[1], eac[2]), tf.mul(eab[2], eac[1]));
    const cy = tf.sub(tf.mul(eab[2], eac[0]), tf.mul(eab[0], eac[2]));
    const cz = tf.sub(tf.mul(eab[0], eac[1]), tf.mul(eab[1], eac[0]));
    const area2 = tf.sqrt(tf.addN([tf.square(cx), tf.square(cy), tf.square(cz)])); // [B, F]
    // cz / |c| with 0/0 → 0: |cz| ≤ |c|, so max(|c|, tiny) only changes degenerate faces.
    const nz = tf.div(cz, tf.maximum(area2, 1e-30));
    const angA = tf.atan2(area2, dot(eab, eac));
    const angB = tf.atan2(area2, tf.neg(dot(eab, ebc)));
    const angC = tf.atan2(area2, dot(eac, ebc));
    // Corner ids are 3f + k (triangle-major): [B, F, 3] → [B, 3F], then a 0 for the padding id 3F.
    const contrib = tf.reshape(
      tf.stack([tf.mul(angA, nz), tf.mul(angB, nz), tf.mul(angC, nz)], 2),
      [b, 3 * f],
    );
    const padded = tf.concat([contrib, tf.zeros([b, 1])], 1);
    const perCorner = tf.gather(padded, tf.reshape(topo.vertexCorners, [n * k]), 1);
    return tf.sum(tf.reshape(perCorner, [b, n, k]), 2) as tf.Tensor2D;
  });
}

// The host versions (typed arrays) live with the mesh utilities in @3dmm-stn/morphable-model,
// the one home of the normal-based visibility convention; re-exported for this package's tests.
export { facingCameraData, vertexNormalZData } from '@3dmm-stn/morphable-model';

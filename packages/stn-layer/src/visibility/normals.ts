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

/**
 * The same quantity as {@link vertexNormalZ} on typed arrays (float64 arithmetic), for backends
 * whose tensors live in host memory (cpu, wasm), where one pass over the triangles is far cheaper
 * than a dozen tensor ops with gathers.
 *
 * @param xyz [B, N, 3] row-major.
 * @param triangles [F, 3] vertex ids.
 * @returns [B, N] n_z.
 */
export function vertexNormalZData(
  xyz: ArrayLike<number>,
  batch: number,
  n: number,
  triangles: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(batch * n);
  const f = triangles.length / 3;
  for (let b = 0; b < batch; b++) {
    const o = 3 * b * n;
    const acc = b * n;
    for (let t = 0; t < f; t++) {
      const ia = triangles[3 * t];
      const ib = triangles[3 * t + 1];
      const ic = triangles[3 * t + 2];
      const ax = xyz[o + 3 * ia];
      const ay = xyz[o + 3 * ia + 1];
      const az = xyz[o + 3 * ia + 2];
      const abx = xyz[o + 3 * ib] - ax;
      const aby = xyz[o + 3 * ib + 1] - ay;
      const abz = xyz[o + 3 * ib + 2] - az;
      const acx = xyz[o + 3 * ic] - ax;
      const acy = xyz[o + 3 * ic + 1] - ay;
      const acz = xyz[o + 3 * ic + 2] - az;
      const cx = aby * acz - abz * acy;
      const cy = abz * acx - abx * acz;
      const cz = abx * acy - aby * acx;
      const area2 = Math.sqrt(cx * cx + cy * cy + cz * cz);
      if (!(area2 > 0)) continue;
      const nz = cz / area2;
      const bcx = acx - abx;
      const bcy = acy - aby;
      const bcz = acz - abz;
      out[acc + ia] += Math.atan2(area2, abx * acx + aby * acy + abz * acz) * nz;
      out[acc + ib] += Math.atan2(area2, -(abx * bcx + aby * bcy + abz * bcz)) * nz;
      out[acc + ic] += Math.atan2(area2, acx * bcx + acy * bcy + acz * bcz) * nz;
    }
  }
  return out;
}

/**
 * 1 where {@link vertexNormalZData} is ≥ 0, computed with fewer transcendental calls: a vertex
 * whose incident faces all have n_z of one sign (or 0) has that sign whatever the angle weights
 * (corner angles of non-degenerate triangles are > 0), so only vertices with faces of both signs
 * — the silhouette band — need the atan2 corner angles. Exactly the sign of the full sum.
 *
 * @param xyz [B, N, 3] row-major.
 * @param triangles [F, 3] vertex ids.
 * @returns [B, N] 1 where the angle-weighted normal has n_z ≥ 0, else 0 (validity not applied).
 */
export function facingCameraData(
  xyz: Float32Array,
  batch: number,
  n: number,
  triangles: Int32Array,
): Uint8Array {
  const out = new Uint8Array(batch * n);
  const f = triangles.length / 3;
  const sign = new Uint8Array(n); // bit 1: a face with n_z > 0, bit 2: a face with n_z < 0
  const sum = new Float64Array(n);
  for (let b = 0; b < batch; b++) {
    const o = 3 * b * n;
    sign.fill(0);
    // Pass 1: only the sign of n_z, i.e. of the z component of the (unnormalised) face normal.
    for (let t = 0; t < 3 * f; t += 3) {
      const ia = triangles[t];
      const ib = triangles[t + 1];
      const ic = triangles[t + 2];
      const pa = o + 3 * ia;
      const pb = o + 3 * ib;
      const pc = o + 3 * ic;
      const cz =
        (xyz[pb] - xyz[pa]) * (xyz[pc + 1] - xyz[pa + 1]) -
        (xyz[pb + 1] - xyz[pa + 1]) * (xyz[pc] - xyz[pa]);
      const bit = cz > 0 ? 1 : cz < 0 ? 2 : 0;
      sign[ia] |= bit;
      sign[ib] |= bit;
      sign[ic] |= bit;
    }
    // Mixed vertices: the full angle-weighted sum over their corners only.
    sum.fill(0);
    for (let t = 0; t < f; t++) {
      const ia = triangles[3 * t];
      const ib = triangles[3 * t + 1];
      const ic = triangles[3 * t + 2];
      if (sign[ia] !== 3 && sign[ib] !== 3 && sign[ic] !== 3) continue;
      const ax = xyz[o + 3 * ia];
      const ay = xyz[o + 3 * ia + 1];
      const az = xyz[o + 3 * ia + 2];
      const abx = xyz[o + 3 * ib] - ax;
      const aby = xyz[o + 3 * ib + 1] - ay;
      const abz = xyz[o + 3 * ib + 2] - az;
      const acx = xyz[o + 3 * ic] - ax;
      const acy = xyz[o + 3 * ic + 1] - ay;
      const acz = xyz[o + 3 * ic + 2] - az;
      const cx = aby * acz - abz * acy;
      const cy = abz * acx - abx * acz;
      const cz = abx * acy - aby * acx;
      const area2 = Math.sqrt(cx * cx + cy * cy + cz * cz);
      if (!(area2 > 0) || cz === 0) continue;
      const nz = cz / area2;
      const bcx = acx - abx;
      const bcy = acy - aby;
      const bcz = acz - abz;
      if (sign[ia] === 3) sum[ia] += Math.atan2(area2, abx * acx + aby * acy + abz * acz) * nz;
      if (sign[ib] === 3) sum[ib] += Math.atan2(area2, -(abx * bcx + aby * bcy + abz * bcz)) * nz;
      if (sign[ic] === 3) sum[ic] += Math.atan2(area2, acx * bcx + acy * bcy + acz * bcz) * nz;
    }
    for (let v = 0; v < n; v++) {
      const s = sign[v];
      out[b * n + v] = s === 3 ? (sum[v] >= 0 ? 1 : 0) : s === 2 ? 0 : 1;
    }
  }
  return out;
}

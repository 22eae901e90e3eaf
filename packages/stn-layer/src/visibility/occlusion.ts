/**
 * Exact depth test of every vertex against the mesh, on typed arrays (not differentiable; runs on
 * the CPU, so on a GPU backend it costs a download of the vertices).
 *
 * Convention: orthographic view along −z (z towards the camera, as in model space after the
 * rotation R(r)); scale, translation and the image-space y flip do not change who occludes whom,
 * so the test runs on (x, y) of the rotated vertices directly.
 *
 * A vertex is occluded when a triangle that does not contain it covers its (x, y) at a larger z.
 * Triangles are binned over a G × G grid of the vertices' bounding box (G ≈ √(F/2), a few
 * triangles per bin for a grid mesh), so the cost is O(N · triangles per bin) instead of O(N · F).
 *
 * @param xyz [B, N, 3] rotated vertices, row-major.
 * @param triangles [F, 3] vertex ids.
 * @param valid [N] 0/1; invalid vertices are neither tested nor used.
 * @returns [B, N] 1 where the vertex is valid and not occluded, else 0.
 */
export function unoccludedVertices(
  xyz: Float32Array,
  batch: number,
  triangles: Int32Array,
  valid: ArrayLike<number>,
): Float32Array {
  const n = valid.length;
  const f = triangles.length / 3;
  const out = new Float32Array(batch * n);
  const g = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(f / 2))));
  const binCount = new Int32Array(g * g + 1);
  const tb = new Int32Array(4 * f); // per triangle: bx0 bx1 by0 by1
  for (let b = 0; b < batch; b++) {
    const o = b * n * 3;
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    let z0 = Infinity;
    let z1 = -Infinity;
    for (let v = 0; v < n; v++) {
      if (!valid[v]) continue;
      const x = xyz[o + 3 * v];
      const y = xyz[o + 3 * v + 1];
      const z = xyz[o + 3 * v + 2];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (z < z0) z0 = z;
      if (z > z1) z1 = z;
    }
    if (!(x1 >= x0)) continue; // no valid vertex
    const extent = Math.max(x1 - x0, y1 - y0, z1 - z0);
    // Depth tolerance: float32 vertices carry ~1e-7 relative error; 1e-5 of the extent is far above
    // that and far below any real occluder's distance.
    const epsZ = 1e-5 * extent;
    const epsArea = 1e-12 * extent * extent;
    const cw = (x1 - x0) / g || 1;
    const ch = (y1 - y0) / g || 1;
    const bx = (x: number) => Math.min(g - 1, Math.max(0, Math.floor((x - x0) / cw)));
    const by = (y: number) => Math.min(g - 1, Math.max(0, Math.floor((y - y0) / ch)));

    binCount.fill(0);
    for (let t = 0; t < f; t++) {
      const ia = o + 3 * triangles[3 * t];
      const ib = o + 3 * triangles[3 * t + 1];
      const ic = o + 3 * triangles[3 * t + 2];
      const ax = bx(Math.min(xyz[ia], xyz[ib], xyz[ic]));
      const bx1 = bx(Math.max(xyz[ia], xyz[ib], xyz[ic]));
      const ay = by(Math.min(xyz[ia + 1], xyz[ib + 1], xyz[ic + 1]));
      const by1 = by(Math.max(xyz[ia + 1], xyz[ib + 1], xyz[ic + 1]));
      tb[4 * t] = ax;
      tb[4 * t + 1] = bx1;
      tb[4 * t + 2] = ay;
      tb[4 * t + 3] = by1;
      for (let yy = ay; yy <= by1; yy++)
        for (let xx = ax; xx <= bx1; xx++) binCount[yy * g + xx + 1]++;
    }
    for (let i = 1; i <= g * g; i++) binCount[i] += binCount[i - 1];
    const binTris = new Int32Array(binCount[g * g]);
    const cursor = binCount.slice(0, g * g);
    for (let t = 0; t < f; t++) {
      for (let yy = tb[4 * t + 2]; yy <= tb[4 * t + 3]; yy++) {
        for (let xx = tb[4 * t]; xx <= tb[4 * t + 1]; xx++) binTris[cursor[yy * g + xx]++] = t;
      }
    }

    for (let v = 0; v < n; v++) {
      if (!valid[v]) continue;
      const px = xyz[o + 3 * v];
      const py = xyz[o + 3 * v + 1];
      const pz = xyz[o + 3 * v + 2];
      const bin = by(py) * g + bx(px);
      let hidden = false;
      for (let s = binCount[bin]; s < binCount[bin + 1] && !hidden; s++) {
        const t = binTris[s];
        const va = triangles[3 * t];
        const vb = triangles[3 * t + 1];
        const vc = triangles[3 * t + 2];
        if (va === v || vb === v || vc === v) continue;
        const ax = xyz[o + 3 * va];
        const ay = xyz[o + 3 * va + 1];
        const bxv = xyz[o + 3 * vb];
        const byv = xyz[o + 3 * vb + 1];
        const cx = xyz[o + 3 * vc];
        const cy = xyz[o + 3 * vc + 1];
        const d = (byv - cy) * (ax - cx) + (cx - bxv) * (ay - cy);
        if (Math.abs(d) <= epsArea) continue; // seen edge-on: covers no area
        const la = ((byv - cy) * (px - cx) + (cx - bxv) * (py - cy)) / d;
        const lb = ((cy - ay) * (px - cx) + (ax - cx) * (py - cy)) / d;
        const lc = 1 - la - lb;
        if (la < 0 || lb < 0 || lc < 0) continue;
        const z = la * xyz[o + 3 * va + 2] + lb * xyz[o + 3 * vb + 2] + lc * xyz[o + 3 * vc + 2];
        if (z > pz + epsZ) hidden = true;
      }
      out[b * n + v] = hidden ? 0 : 1;
    }
  }
  return out;
}

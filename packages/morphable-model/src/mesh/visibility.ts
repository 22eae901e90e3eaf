import { ShapeError } from '../errors';

/**
 * Visibility by normals, as in the paper: a vertex faces the camera ⇔ the z component of its
 * (rotated) normal is ≥ 0 — the rule {@link facingCameraData} applies to the angle-weighted
 * normals of camera-space positions (the STN's mask); this applies it to normals already at hand.
 *
 * @param normals [N, 3] unit normals (e.g. `vertexNormals`), in model space if `rotation` is
 *   given, else already rotated into camera space.
 * @param rotation optional [9] row-major rotation R (X' = R·X), e.g. `rotationFromAxisAngle(r)`;
 *   only its last row is used: n'_z = R[6]·nx + R[7]·ny + R[8]·nz.
 * @returns [N] 1 where n'_z ≥ 0, else 0.
 */
export function visibleByNormals(
  normals: ArrayLike<number>,
  rotation?: ArrayLike<number>,
): Uint8Array {
  if (normals.length % 3 !== 0) {
    throw new ShapeError(
      `Error in visibleByNormals: normals must have shape [N,3], but got length ${normals.length}.`,
    );
  }
  if (rotation !== undefined && rotation.length !== 9) {
    throw new ShapeError(
      `Error in visibleByNormals: rotation must have shape [9] (row-major 3×3), but got length ${rotation.length}.`,
    );
  }
  const N = normals.length / 3;
  const r6 = rotation ? rotation[6] : 0;
  const r7 = rotation ? rotation[7] : 0;
  const r8 = rotation ? rotation[8] : 1;
  const out = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const nz = r6 * normals[3 * i] + r7 * normals[3 * i + 1] + r8 * normals[3 * i + 2];
    out[i] = nz >= 0 ? 1 : 0;
  }
  return out;
}

/**
 * z component of the angle-weighted vertex normals (Thürmer & Wüthrich 1998) of a batch of meshes
 * sharing one topology, on typed arrays (float64 arithmetic): n_v·ẑ = Σ over corners of v of
 * (corner angle, atan2(|e1 × e2|, e1 · e2)) · (unit face normal)·ẑ; a degenerate triangle adds
 * nothing. The stn-layer's visibility mask uses it on backends whose tensors live in host memory
 * (cpu, wasm), and its tensor op `vertexNormalZ` computes the same quantity.
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

export interface ZBufferVisibilityOptions {
  /**
   * Depth tolerance: a triangle occludes a vertex only if it is more than `epsilon` nearer at
   * the vertex's pixel position. Default 1e-4 × max(1, max |depth|) (float32 rounding of
   * positions in mm is ~1e-5 relative).
   */
  epsilon?: number;
}

/**
 * Exact visibility of every vertex in a width × height image, by point queries against the
 * triangles rather than by sampling a depth image: vertex v is visible iff its projected
 * point lies inside the image (pixel centres at integer coordinates, so the image covers
 * [−0.5, width − 0.5] × [−0.5, height − 0.5]) and no triangle covering that point (edges
 * included) is nearer than v by more than `epsilon`. Resolution-independent, so thin and
 * steep triangles near the silhouette cannot hide or reveal vertices by aliasing.
 *
 * @param points [N, 3]: x, y in pixels (x right, y down) and depth, larger = nearer the camera
 *   (for the project's projection, depth = z' of X' = R·X; any positive scale works).
 * @param triangles [F, 3] vertex ids; both orientations occlude.
 * @returns [N] 1 visible, 0 occluded or outside the image.
 */
export function visibleByZBuffer(
  points: ArrayLike<number>,
  triangles: ArrayLike<number>,
  width: number,
  height: number,
  options: ZBufferVisibilityOptions = {},
): Uint8Array {
  if (points.length % 3 !== 0) {
    throw new ShapeError(
      `Error in visibleByZBuffer: points must have shape [N,3], but got length ${points.length}.`,
    );
  }
  if (triangles.length % 3 !== 0) {
    throw new ShapeError(
      `Error in visibleByZBuffer: triangles must have shape [F,3], but got length ${triangles.length}.`,
    );
  }
  const N = points.length / 3;
  const queries = new Uint32Array(N);
  for (let i = 0; i < N; i++) queries[i] = i;
  return pointVisibility(points, triangles, null, queries, width, height, options.epsilon);
}

/**
 * Which vertices no other part of the mesh hides, without an image: the same exact point-query
 * depth test as `visibleByZBuffer` (the one host z-buffer of the project; the STN layer's
 * `'zbuffer'` mask uses it), on vertices already rotated into camera space and viewed
 * orthographically along −z. Scale, translation and the image's y flip do not change who
 * occludes whom, so (x, y) are used as they are, mapped onto a virtual image that just holds the
 * valid vertices.
 *
 * @param xyz [N, 3] rotated vertices (z towards the camera).
 * @param triangles [F, 3] vertex ids (over valid vertices).
 * @param valid [N] 0/1: invalid vertices are neither tested nor hidden (0 in the result).
 * @param epsilon depth tolerance; default 1e-5 × the valid vertices' extent (float32 positions
 *   carry ~1e-7 relative error, a real occluder is far more than 1e-5 of the face away).
 * @returns [N] 1 where the vertex is valid and unoccluded, else 0.
 */
export function unoccludedByMesh(
  xyz: ArrayLike<number>,
  triangles: ArrayLike<number>,
  valid: ArrayLike<number>,
  epsilon?: number,
): Uint8Array {
  const n = valid.length;
  if (xyz.length !== 3 * n) {
    throw new ShapeError(
      `Error in unoccludedByMesh: xyz must have shape [N,3] with N = valid.length = ${n}, but got length ${xyz.length}.`,
    );
  }
  const out = new Uint8Array(n);
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  let z0 = Infinity;
  let z1 = -Infinity;
  let count = 0;
  for (let v = 0; v < n; v++) {
    if (!valid[v]) continue;
    count++;
    const x = xyz[3 * v];
    const y = xyz[3 * v + 1];
    const z = xyz[3 * v + 2];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (z < z0) z0 = z;
    if (z > z1) z1 = z;
  }
  if (count === 0 || !(x1 >= x0)) return out;
  const extent = Math.max(x1 - x0, y1 - y0, z1 - z0) || 1;
  // A virtual image whose 8-pixel cells bin a few triangles each (√(F/2) cells a side).
  const cells = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(triangles.length / 6))));
  const k = (8 * cells) / Math.max(x1 - x0, y1 - y0, 1e-12 * extent);
  const points = new Float64Array(3 * n);
  const queries = new Uint32Array(count);
  let q = 0;
  for (let v = 0; v < n; v++) {
    points[3 * v] = (xyz[3 * v] - x0) * k;
    points[3 * v + 1] = (xyz[3 * v + 1] - y0) * k;
    points[3 * v + 2] = xyz[3 * v + 2];
    if (valid[v]) queries[q++] = v;
  }
  const width = Math.ceil((x1 - x0) * k) + 1;
  const height = Math.ceil((y1 - y0) * k) + 1;
  const seen = pointVisibility(
    points,
    triangles,
    null,
    queries,
    width,
    height,
    epsilon ?? 1e-5 * extent,
  );
  for (let i = 0; i < count; i++) out[queries[i]] = seen[i];
  return out;
}

/**
 * Core of `visibleByZBuffer` for a subset of vertices (`queries`) and of occluding triangles
 * (`active[f] = 1`; null = all). Triangles are binned into square cells of pixels, so each
 * query only tests the few triangles whose bounding box overlaps its cell.
 * @internal
 */
export function pointVisibility(
  points: ArrayLike<number>,
  triangles: ArrayLike<number>,
  active: Uint8Array | null,
  queries: Uint32Array,
  width: number,
  height: number,
  epsilon?: number,
): Uint8Array {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(
      `Error in visibleByZBuffer: width and height must be positive integers, but got ${width} × ${height}.`,
    );
  }
  const N = points.length / 3;
  const F = triangles.length / 3;
  const eps = epsilon ?? 1e-4 * maxAbsDepth(points);
  const CELL = 8;
  const gw = Math.ceil(width / CELL);
  const gh = Math.ceil(height / CELL);
  const cellOf = (v: number, n: number) => {
    const c = Math.floor((v + 0.5) / CELL);
    return c < 0 ? 0 : c >= n ? n - 1 : c;
  };
  // CSR of cell → triangles: count, prefix sum, fill.
  const start = new Int32Array(gw * gh + 1);
  const box = new Int32Array(4 * F); // cx0 cy0 cx1 cy1, cx0 = -1 for skipped triangles
  const xmax = width - 0.5;
  const ymax = height - 0.5;
  for (let f = 0; f < F; f++) {
    box[4 * f] = -1;
    if (active && !active[f]) continue;
    const a = triangles[3 * f];
    const b = triangles[3 * f + 1];
    const c = triangles[3 * f + 2];
    if (a >= N || b >= N || c >= N) {
      throw new RangeError(
        `Error in visibleByZBuffer: triangle ${f} refers to vertex ${Math.max(a, b, c)}, but there are ${N} points.`,
      );
    }
    const x0 = Math.min(points[3 * a], points[3 * b], points[3 * c]);
    const x1 = Math.max(points[3 * a], points[3 * b], points[3 * c]);
    const y0 = Math.min(points[3 * a + 1], points[3 * b + 1], points[3 * c + 1]);
    const y1 = Math.max(points[3 * a + 1], points[3 * b + 1], points[3 * c + 1]);
    if (!(x1 >= -0.5 && x0 <= xmax && y1 >= -0.5 && y0 <= ymax)) continue; // also drops NaN
    const cx0 = cellOf(x0, gw);
    const cx1 = cellOf(x1, gw);
    const cy0 = cellOf(y0, gh);
    const cy1 = cellOf(y1, gh);
    box[4 * f] = cx0;
    box[4 * f + 1] = cy0;
    box[4 * f + 2] = cx1;
    box[4 * f + 3] = cy1;
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) start[cy * gw + cx + 1]++;
    }
  }
  for (let k = 0; k < gw * gh; k++) start[k + 1] += start[k];
  const fill = start.slice(0, gw * gh);
  const list = new Int32Array(start[gw * gh]);
  for (let f = 0; f < F; f++) {
    const cx0 = box[4 * f];
    if (cx0 < 0) continue;
    for (let cy = box[4 * f + 1]; cy <= box[4 * f + 3]; cy++) {
      for (let cx = cx0; cx <= box[4 * f + 2]; cx++) list[fill[cy * gw + cx]++] = f;
    }
  }

  const out = new Uint8Array(queries.length);
  for (let q = 0; q < queries.length; q++) {
    const v = queries[q];
    const px = points[3 * v];
    const py = points[3 * v + 1];
    if (!(px >= -0.5 && px <= xmax && py >= -0.5 && py <= ymax)) continue;
    const cell = cellOf(py, gh) * gw + cellOf(px, gw);
    let visible = 1;
    for (let k = start[cell]; k < start[cell + 1] && visible; k++) {
      if (occludes(points, triangles, list[k], v, eps)) visible = 0;
    }
    out[q] = visible;
  }
  return out;
}

/**
 * `pointVisibility` for few queries (render's 68 landmarks): bins the query points instead of
 * the triangles, so the cost is one bounding box per triangle rather than building a
 * triangle index. The same predicate (`occludes`), so the same answers. @internal
 */
export function fewPointVisibility(
  points: ArrayLike<number>,
  triangles: ArrayLike<number>,
  active: Uint8Array | null,
  queries: Uint32Array,
  width: number,
  height: number,
  epsilon?: number,
): Uint8Array {
  const N = points.length / 3;
  const F = triangles.length / 3;
  const eps = epsilon ?? 1e-4 * maxAbsDepth(points);
  const CELL = 8;
  const gw = Math.ceil(width / CELL);
  const gh = Math.ceil(height / CELL);
  const xmax = width - 0.5;
  const ymax = height - 0.5;
  const cellOf = (v: number, n: number) => {
    const c = Math.floor((v + 0.5) / CELL);
    return c < 0 ? 0 : c >= n ? n - 1 : c;
  };
  const out = new Uint8Array(queries.length);
  // CSR of cell → queries inside the image.
  const start = new Int32Array(gw * gh + 1);
  const cellOfQuery = new Int32Array(queries.length).fill(-1);
  for (let q = 0; q < queries.length; q++) {
    const v = queries[q];
    if (v >= N) {
      throw new RangeError(
        `Error in visibleByZBuffer: query vertex ${v}, but there are ${N} points.`,
      );
    }
    const px = points[3 * v];
    const py = points[3 * v + 1];
    if (!(px >= -0.5 && px <= xmax && py >= -0.5 && py <= ymax)) continue;
    out[q] = 1;
    cellOfQuery[q] = cellOf(py, gh) * gw + cellOf(px, gw);
    start[cellOfQuery[q] + 1]++;
  }
  for (let k = 0; k < gw * gh; k++) start[k + 1] += start[k];
  const fill = start.slice(0, gw * gh);
  const list = new Int32Array(start[gw * gh]);
  for (let q = 0; q < queries.length; q++)
    if (cellOfQuery[q] >= 0) list[fill[cellOfQuery[q]]++] = q;
  if (list.length === 0) return out;
  for (let f = 0; f < F; f++) {
    if (active && !active[f]) continue;
    const a = triangles[3 * f];
    const b = triangles[3 * f + 1];
    const c = triangles[3 * f + 2];
    if (a >= N || b >= N || c >= N) {
      throw new RangeError(
        `Error in visibleByZBuffer: triangle ${f} refers to vertex ${Math.max(a, b, c)}, but there are ${N} points.`,
      );
    }
    const x0 = Math.min(points[3 * a], points[3 * b], points[3 * c]);
    const x1 = Math.max(points[3 * a], points[3 * b], points[3 * c]);
    const y0 = Math.min(points[3 * a + 1], points[3 * b + 1], points[3 * c + 1]);
    const y1 = Math.max(points[3 * a + 1], points[3 * b + 1], points[3 * c + 1]);
    if (!(x1 >= -0.5 && x0 <= xmax && y1 >= -0.5 && y0 <= ymax)) continue;
    const cy1 = cellOf(y1, gh);
    const cx0 = cellOf(x0, gw);
    const cx1 = cellOf(x1, gw);
    for (let cy = cellOf(y0, gh); cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const cell = cy * gw + cx;
        for (let k = start[cell]; k < start[cell + 1]; k++) {
          const q = list[k];
          if (out[q] && occludes(points, triangles, f, queries[q], eps)) out[q] = 0;
        }
      }
    }
  }
  return out;
}

function maxAbsDepth(points: ArrayLike<number>): number {
  let m = 1;
  for (let i = 2; i < points.length; i += 3) {
    const d = Math.abs(points[i]);
    if (d > m) m = d;
  }
  return m;
}

/**
 * Whether triangle f hides vertex v: not incident to v, covers v's (x, y) (edges included) and
 * is more than eps nearer there. Edge-on triangles cover no area and hide nothing.
 */
function occludes(
  points: ArrayLike<number>,
  triangles: ArrayLike<number>,
  f: number,
  v: number,
  eps: number,
): boolean {
  const a = triangles[3 * f];
  const b = triangles[3 * f + 1];
  const c = triangles[3 * f + 2];
  if (a === v || b === v || c === v) return false; // its depth at v is v's own
  const px = points[3 * v];
  const py = points[3 * v + 1];
  const ax = points[3 * a];
  const ay = points[3 * a + 1];
  const bx = points[3 * b];
  const by = points[3 * b + 1];
  const cx = points[3 * c];
  const cy = points[3 * c + 1];
  const area = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
  if (area === 0) return false;
  const wa = ((bx - px) * (cy - py) - (cx - px) * (by - py)) / area;
  const wb = ((cx - px) * (ay - py) - (ax - px) * (cy - py)) / area;
  const wc = 1 - wa - wb;
  if (wa < 0 || wb < 0 || wc < 0) return false;
  const z = wa * points[3 * a + 2] + wb * points[3 * b + 2] + wc * points[3 * c + 2];
  return z > points[3 * v + 2] + eps;
}

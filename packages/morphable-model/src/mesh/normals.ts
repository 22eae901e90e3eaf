import { ShapeError } from '../errors';

/**
 * Angle-weighted vertex normals (Thürmer & Wüthrich 1998): each triangle adds its unit normal
 * times its interior angle at the vertex, then the sum is normalised.
 *
 * @param positions [N, 3] vertex positions.
 * @param triangles [F, 3] vertex ids; a counter-clockwise triangle (seen from +z) has a +z normal.
 * @returns [N, 3] unit normals. A vertex with no non-degenerate incident triangle gets (0, 0, 0).
 */
export function vertexNormals(
  positions: ArrayLike<number>,
  triangles: ArrayLike<number>,
): Float32Array {
  if (positions.length % 3 !== 0) {
    throw new ShapeError(
      `Error in vertexNormals: positions must have shape [N,3], but got length ${positions.length}.`,
    );
  }
  if (triangles.length % 3 !== 0) {
    throw new ShapeError(
      `Error in vertexNormals: triangles must have shape [F,3], but got length ${triangles.length}.`,
    );
  }
  const N = positions.length / 3;
  const acc = new Float64Array(3 * N);
  const F = triangles.length / 3;
  for (let f = 0; f < F; f++) {
    const i0 = triangles[3 * f];
    const i1 = triangles[3 * f + 1];
    const i2 = triangles[3 * f + 2];
    if (i0 >= N || i1 >= N || i2 >= N) {
      throw new RangeError(
        `Error in vertexNormals: triangle ${f} refers to vertex ${Math.max(i0, i1, i2)}, but there are ${N} vertices.`,
      );
    }
    const ax = positions[3 * i0];
    const ay = positions[3 * i0 + 1];
    const az = positions[3 * i0 + 2];
    const bx = positions[3 * i1];
    const by = positions[3 * i1 + 1];
    const bz = positions[3 * i1 + 2];
    const cx = positions[3 * i2];
    const cy = positions[3 * i2 + 1];
    const cz = positions[3 * i2 + 2];
    // Edge vectors opposite each corner.
    const e0x = cx - bx; // b → c
    const e0y = cy - by;
    const e0z = cz - bz;
    const e1x = ax - cx; // c → a
    const e1y = ay - cy;
    const e1z = az - cz;
    const e2x = bx - ax; // a → b
    const e2y = by - ay;
    const e2z = bz - az;
    let nx = e2y * -e1z - e2z * -e1y;
    let ny = e2z * -e1x - e2x * -e1z;
    let nz = e2x * -e1y - e2y * -e1x;
    const nl = Math.sqrt(nx * nx + ny * ny + nz * nz);
    if (!(nl > 0)) continue; // degenerate triangle: no direction to contribute
    nx /= nl;
    ny /= nl;
    nz /= nl;
    const l0 = Math.sqrt(e0x * e0x + e0y * e0y + e0z * e0z);
    const l1 = Math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z);
    const l2 = Math.sqrt(e2x * e2x + e2y * e2y + e2z * e2z);
    // Angle at a is between a→b (e2) and a→c (−e1), etc.; acos of a clamped cosine because
    // rounding can push |cos| a hair above 1.
    const ang0 = angle(e2x * -e1x + e2y * -e1y + e2z * -e1z, l2 * l1);
    const ang1 = angle(e0x * -e2x + e0y * -e2y + e0z * -e2z, l0 * l2);
    const ang2 = Math.PI - ang0 - ang1;
    acc[3 * i0] += ang0 * nx;
    acc[3 * i0 + 1] += ang0 * ny;
    acc[3 * i0 + 2] += ang0 * nz;
    acc[3 * i1] += ang1 * nx;
    acc[3 * i1 + 1] += ang1 * ny;
    acc[3 * i1 + 2] += ang1 * nz;
    acc[3 * i2] += ang2 * nx;
    acc[3 * i2 + 1] += ang2 * ny;
    acc[3 * i2 + 2] += ang2 * nz;
  }
  const out = new Float32Array(3 * N);
  for (let i = 0; i < N; i++) {
    const x = acc[3 * i];
    const y = acc[3 * i + 1];
    const z = acc[3 * i + 2];
    const l = Math.sqrt(x * x + y * y + z * z);
    if (l > 0) {
      out[3 * i] = x / l;
      out[3 * i + 1] = y / l;
      out[3 * i + 2] = z / l;
    }
  }
  return out;
}

function angle(dot: number, lengths: number): number {
  const c = dot / lengths;
  return Math.acos(Math.min(1, Math.max(-1, c)));
}

import { describe, expect, it } from 'vitest';
import { rotationFromAxisAngle } from '../src/mesh/rotation';
import { vertexNormals } from '../src/mesh/normals';
import {
  fewPointVisibility,
  pointVisibility,
  visibleByNormals,
  visibleByZBuffer,
} from '../src/mesh/visibility';

/** Icosphere of radius 1 (CCW seen from outside), `levels` 1:4 subdivisions. */
export function icosphere(levels: number): { positions: Float64Array; triangles: Uint32Array } {
  const t = (1 + Math.sqrt(5)) / 2;
  const verts: number[][] = [
    [-1, t, 0],
    [1, t, 0],
    [-1, -t, 0],
    [1, -t, 0],
    [0, -1, t],
    [0, 1, t],
    [0, -1, -t],
    [0, 1, -t],
    [t, 0, -1],
    [t, 0, 1],
    [-t, 0, -1],
    [-t, 0, 1],
  ].map((p) => {
    const l = Math.hypot(p[0], p[1], p[2]);
    return p.map((c) => c / l);
  });
  let faces = [
    [0, 11, 5],
    [0, 5, 1],
    [0, 1, 7],
    [0, 7, 10],
    [0, 10, 11],
    [1, 5, 9],
    [5, 11, 4],
    [11, 10, 2],
    [10, 7, 6],
    [7, 1, 8],
    [3, 9, 4],
    [3, 4, 2],
    [3, 2, 6],
    [3, 6, 8],
    [3, 8, 9],
    [4, 9, 5],
    [2, 4, 11],
    [6, 2, 10],
    [8, 6, 7],
    [9, 8, 1],
  ];
  for (let l = 0; l < levels; l++) {
    const cache = new Map<string, number>();
    const midpoint = (a: number, b: number) => {
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      let m = cache.get(key);
      if (m === undefined) {
        const p = [0, 1, 2].map((c) => (verts[a][c] + verts[b][c]) / 2);
        const n = Math.hypot(p[0], p[1], p[2]);
        m = verts.push(p.map((c) => c / n)) - 1;
        cache.set(key, m);
      }
      return m;
    };
    faces = faces.flatMap(([a, b, c]) => {
      const ab = midpoint(a, b);
      const bc = midpoint(b, c);
      const ca = midpoint(c, a);
      return [
        [a, ab, ca],
        [b, bc, ab],
        [c, ca, bc],
        [ab, bc, ca],
      ];
    });
  }
  return { positions: Float64Array.from(verts.flat()), triangles: Uint32Array.from(faces.flat()) };
}

/** Independent rotation: the quaternion of the same axis-angle, float64. */
function rotationByQuaternion(r: number[]): number[] {
  const th = Math.hypot(r[0], r[1], r[2]);
  const k = th > 0 ? r.map((c) => c / th) : [1, 0, 0];
  const w = Math.cos(th / 2);
  const [x, y, z] = k.map((c) => c * Math.sin(th / 2));
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  ];
}

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('rotationFromAxisAngle', () => {
  it('matches the quaternion rotation of the same axis-angle, including near 0', () => {
    const rnd = seeded(1);
    const cases = [
      [0, 0, 0],
      [1e-9, 0, 0],
      [0, 3e-4, -2e-4],
      [0.3, -1.2, 0.5],
      [Math.PI, 0, 0],
    ];
    for (let k = 0; k < 20; k++) cases.push([0, 1, 2].map(() => (rnd() - 0.5) * 4));
    for (const r of cases) {
      const R = rotationFromAxisAngle(r);
      const Q = rotationByQuaternion(r);
      for (let i = 0; i < 9; i++) expect(R[i]).toBeCloseTo(Q[i], 12);
    }
  });

  it('turns +x into +y for r = (0, 0, π/2) and keeps its axis fixed', () => {
    const R = rotationFromAxisAngle([0, 0, Math.PI / 2]);
    expect([R[0], R[3], R[6]].map((v) => v + 0)).toEqual([
      expect.closeTo(0, 15),
      expect.closeTo(1, 15),
      expect.closeTo(0, 15),
    ]);
    const r = [0.2, -0.4, 0.7];
    const A = rotationFromAxisAngle(r);
    for (let i = 0; i < 3; i++) {
      expect(A[3 * i] * r[0] + A[3 * i + 1] * r[1] + A[3 * i + 2] * r[2]).toBeCloseTo(r[i], 14);
    }
  });

  it('rejects a vector that is not 3-long', () => {
    expect(() => rotationFromAxisAngle([1, 2])).toThrow(/r must have 3 entries, but got 2/);
  });
});

describe('vertexNormals', () => {
  it('points outwards on a sphere, unit length', () => {
    const { positions, triangles } = icosphere(3);
    const n = vertexNormals(positions, triangles);
    let worst = 0;
    for (let i = 0; i < positions.length / 3; i++) {
      const dot =
        n[3 * i] * positions[3 * i] +
        n[3 * i + 1] * positions[3 * i + 1] +
        n[3 * i + 2] * positions[3 * i + 2];
      worst = Math.max(worst, 1 - dot);
      expect(Math.hypot(n[3 * i], n[3 * i + 1], n[3 * i + 2])).toBeCloseTo(1, 6);
    }
    expect(worst).toBeLessThan(1e-3); // within ~2.5° of the radius
  });

  it('is angle-weighted: a cube corner gets (−1, −1, −1)/√3 however its faces are split', () => {
    // The corner at the origin of the unit cube, its three faces split into 2, 3 and 1 triangles
    // (area weighting would tilt towards the face with the larger triangles at the corner).
    const P = [
      [0, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
      [0, 1, 1],
      [0.3, 0, 1],
      [1, 0, 1],
    ];
    // Outward normals: z = 0 face → −z, x = 0 face → −x, y = 0 face → −y.
    const T = [
      [0, 2, 4],
      [0, 4, 1], // z = 0 face (seen from −z, CCW)
      [0, 3, 5],
      [0, 5, 2], // x = 0 face
      [0, 1, 7],
      [0, 7, 6],
      [0, 6, 3], // y = 0 face
    ];
    const n = vertexNormals(Float64Array.from(P.flat()), Uint32Array.from(T.flat()));
    const e = -1 / Math.sqrt(3);
    expect(n[0]).toBeCloseTo(e, 6);
    expect(n[1]).toBeCloseTo(e, 6);
    expect(n[2]).toBeCloseTo(e, 6);
  });

  it('gives +z for a counter-clockwise triangle and (0, 0, 0) for an unused vertex', () => {
    const n = vertexNormals(
      new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 5, 5, 5]),
      new Uint32Array([0, 1, 2]),
    );
    expect(Array.from(n)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0]);
  });

  it('names the argument with the wrong shape', () => {
    expect(() => vertexNormals(new Float32Array(4), new Uint32Array(3))).toThrow(
      /positions must have shape \[N,3\]/,
    );
    expect(() => vertexNormals(new Float32Array(9), new Uint32Array([0, 1, 5]))).toThrow(
      /refers to vertex 5/,
    );
  });
});

describe('visibility', () => {
  it('visibleByNormals: n_z ≥ 0 after rotation, the same as rotating the normals first', () => {
    const { positions, triangles } = icosphere(2);
    const n = vertexNormals(positions, triangles);
    const R = rotationFromAxisAngle([0.4, -0.9, 0.2]);
    const rotated = new Float32Array(n.length);
    for (let i = 0; i < n.length / 3; i++) {
      for (let r = 0; r < 3; r++) {
        rotated[3 * i + r] =
          R[3 * r] * n[3 * i] + R[3 * r + 1] * n[3 * i + 1] + R[3 * r + 2] * n[3 * i + 2];
      }
    }
    const a = visibleByNormals(n, R);
    const b = visibleByNormals(rotated);
    expect(a).toEqual(b);
    let count = 0;
    for (let i = 0; i < a.length; i++) count += a[i];
    expect(count / a.length).toBeGreaterThan(0.4);
    expect(count / a.length).toBeLessThan(0.6);
    expect(Array.from(visibleByNormals(new Float32Array([0, 0, 0, 0, 1, -1e-9])))).toEqual([1, 0]);
  });

  it('z-buffer and normal visibility agree on a convex mesh (away from the silhouette)', () => {
    const { positions, triangles } = icosphere(3);
    const n = vertexNormals(positions, triangles);
    const rnd = seeded(7);
    for (let trial = 0; trial < 3; trial++) {
      const R = rotationFromAxisAngle([0, 1, 2].map(() => (rnd() - 0.5) * 3));
      const N = positions.length / 3;
      const pts = new Float64Array(3 * N);
      const s = 40;
      for (let i = 0; i < N; i++) {
        const p = [0, 1, 2].map(
          (r) =>
            R[3 * r] * positions[3 * i] +
            R[3 * r + 1] * positions[3 * i + 1] +
            R[3 * r + 2] * positions[3 * i + 2],
        );
        pts[3 * i] = s * p[0] + 50;
        pts[3 * i + 1] = -s * p[1] + 50;
        pts[3 * i + 2] = p[2];
      }
      const byZ = visibleByZBuffer(pts, triangles, 100, 100);
      const byN = visibleByNormals(n, R);
      let compared = 0;
      for (let i = 0; i < N; i++) {
        const nz = R[6] * n[3 * i] + R[7] * n[3 * i + 1] + R[8] * n[3 * i + 2];
        // Within about one edge angle (~7.5° at this level) of the silhouette the polyhedron, not
        // the sphere, decides: a vertex just past the smooth silhouette can still be on the rim.
        if (Math.abs(nz) < 0.15) continue;
        compared++;
        expect(byZ[i], `vertex ${i} n_z ${nz}`).toBe(byN[i]);
      }
      expect(compared).toBeGreaterThan(500);
    }
  });

  it('visibleByZBuffer: a vertex behind another triangle is hidden, outside the image is hidden', () => {
    // Triangle A (z = 0) and, in front of it, triangle B (z = 2) covering A's vertex 0.
    const pts = new Float64Array([
      10,
      10,
      0,
      30,
      10,
      0,
      10,
      30,
      0, // A
      5,
      5,
      2,
      25,
      5,
      2,
      5,
      25,
      2, // B
      200,
      10,
      5, // alone, outside a 100 × 100 image
    ]);
    const tri = new Uint32Array([0, 1, 2, 3, 4, 5]);
    expect(Array.from(visibleByZBuffer(pts, tri, 100, 100))).toEqual([0, 1, 1, 1, 1, 1, 0]);
    // Flip depth order: B behind A; A covers none of B's vertices.
    for (let k = 0; k < 3; k++) pts[3 * k + 2] = 4;
    expect(Array.from(visibleByZBuffer(pts, tri, 100, 100))).toEqual([1, 1, 1, 1, 1, 1, 0]);
    // 3, 4, 5 hidden by A? (3 at (5,5) lies outside A: visible.) Move A over B's vertex 4.
    pts.set([20, 0, 4, 40, 0, 4, 20, 20, 4], 0);
    expect(Array.from(visibleByZBuffer(pts, tri, 100, 100))).toEqual([1, 1, 1, 1, 0, 1, 0]);
  });

  it("binning the queries (render's landmarks) gives the same answers as binning the triangles", () => {
    const { positions, triangles } = icosphere(3);
    // a second, smaller sphere in front of the first makes occlusion by another surface
    const N1 = positions.length / 3;
    const pos = new Float64Array(2 * positions.length);
    pos.set(positions);
    for (let i = 0; i < positions.length; i++)
      pos[positions.length + i] = positions[i] * 0.3 + (i % 3 === 2 ? 1.5 : 0.2);
    const tri = new Uint32Array(2 * triangles.length);
    tri.set(triangles);
    for (let i = 0; i < triangles.length; i++) tri[triangles.length + i] = triangles[i] + N1;
    const rnd = seeded(3);
    const N = pos.length / 3;
    for (let trial = 0; trial < 4; trial++) {
      const R = rotationFromAxisAngle([0, 1, 2].map(() => (rnd() - 0.5) * 3));
      const pts = new Float64Array(3 * N);
      for (let i = 0; i < N; i++) {
        const p = [0, 1, 2].map(
          (r) =>
            R[3 * r] * pos[3 * i] + R[3 * r + 1] * pos[3 * i + 1] + R[3 * r + 2] * pos[3 * i + 2],
        );
        pts[3 * i] = 35 * p[0] + 40 + trial * 5;
        pts[3 * i + 1] = -35 * p[1] + 45;
        pts[3 * i + 2] = p[2];
      }
      const active =
        trial % 2 ? Uint8Array.from({ length: tri.length / 3 }, () => (rnd() < 0.7 ? 1 : 0)) : null;
      const queries = Uint32Array.from({ length: N }, (_, i) => i);
      const a = pointVisibility(pts, tri, active, queries, 90, 80);
      const b = fewPointVisibility(pts, tri, active, queries, 90, 80);
      expect(b).toEqual(a);
      let hidden = 0;
      for (const v of a) hidden += 1 - v;
      expect(hidden).toBeGreaterThan(N / 3);
    }
  });
});

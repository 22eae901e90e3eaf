import { readFileSync } from 'node:fs';
import {
  boundaryLoops,
  computeSymmetry,
  GeometryError,
  readEosModel,
  readLandmarkMapping,
  symmetryReport,
  type TutteWeights,
  tutteEmbedding,
} from '@3dmm-stn/morphable-model';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';

function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * (m+1)² grid on [-1, 1]² (m even), CCW from +z, with cells split along mirrored diagonals on
 * the two sides of x = 0 so the triangulation is left-right symmetric; `drop` removes cells
 * (by centre), `z` lifts the surface, `jitter` moves interior vertices in the plane.
 */
function symGrid(
  m: number,
  opts: {
    drop?: (x: number, y: number) => boolean;
    z?: (x: number, y: number) => number;
    jitter?: number;
    oneDiagonal?: boolean;
  } = {},
) {
  const rnd = mulberry32(5);
  const pos: number[] = [];
  for (let i = 0; i <= m; i++) {
    for (let j = 0; j <= m; j++) {
      let x = -1 + (2 * j) / m;
      let y = -1 + (2 * i) / m;
      if (opts.jitter && i > 0 && i < m && j > 0 && j < m) {
        x += (opts.jitter * 2 * (rnd() - 0.5)) / m;
        y += (opts.jitter * 2 * (rnd() - 0.5)) / m;
      }
      pos.push(x, y, opts.z ? opts.z(x, y) : 0);
    }
  }
  const id = (i: number, j: number) => i * (m + 1) + j;
  const tri: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const cx = -1 + (2 * (j + 0.5)) / m;
      const cy = -1 + (2 * (i + 0.5)) / m;
      if (opts.drop?.(cx, cy)) continue;
      if (Math.abs(cx) < 1e-9) {
        // Odd m: the middle column straddles x = 0; a centre vertex keeps it symmetric, and its
        // bottom/top edges join mirror pairs directly across the line.
        const c = pos.length / 3;
        pos.push(0, cy, opts.z ? opts.z(0, cy) : 0);
        const [bl, br, tr, tl] = [id(i, j), id(i, j + 1), id(i + 1, j + 1), id(i + 1, j)];
        tri.push(bl, br, c, br, tr, c, tr, tl, c, tl, bl, c);
      } else if (cx > 0 || opts.oneDiagonal)
        tri.push(
          id(i, j),
          id(i, j + 1),
          id(i + 1, j + 1),
          id(i, j),
          id(i + 1, j + 1),
          id(i + 1, j),
        );
      else
        tri.push(
          id(i, j),
          id(i, j + 1),
          id(i + 1, j),
          id(i, j + 1),
          id(i + 1, j + 1),
          id(i + 1, j),
        );
    }
  }
  // Drop vertices no triangle uses (inside removed blocks), renumbering the rest.
  const used = new Int32Array(pos.length / 3).fill(-1);
  let count = 0;
  for (const v of tri) if (used[v] === -1) used[v] = 0;
  const kept: number[] = [];
  for (let v = 0; v < used.length; v++) {
    if (used[v] === 0) {
      used[v] = count++;
      kept.push(pos[3 * v], pos[3 * v + 1], pos[3 * v + 2]);
    }
  }
  return { positions: Float32Array.from(kept), triangles: Uint32Array.from(tri, (v) => used[v]) };
}

/** A face-like test mesh: a bump with a mouth slit and two eye holes, exactly symmetric. */
function faceLike(m = 24) {
  return symGrid(m, {
    z: (x, y) => 0.4 * Math.exp(-2 * (x * x + y * y)) + 0.1 * y * y,
    drop: (x, y) =>
      (Math.abs(x) < 0.35 && Math.abs(y + 0.45) < 0.05) ||
      (Math.abs(Math.abs(x) - 0.45) < 0.12 && Math.abs(y - 0.35) < 0.1),
  });
}

/** Independent orientation check: counts triangles with uv signed area ≤ 0. */
function flipsOf(uv: Float32Array, t: Uint32Array): number {
  let n = 0;
  for (let k = 0; k < t.length; k += 3) {
    const [a, b, c] = [t[k], t[k + 1], t[k + 2]];
    const area =
      (uv[2 * b] - uv[2 * a]) * (uv[2 * c + 1] - uv[2 * a + 1]) -
      (uv[2 * c] - uv[2 * a]) * (uv[2 * b + 1] - uv[2 * a + 1]);
    if (!(area > 0)) n++;
  }
  return n;
}

/**
 * Slow reference of the Tutte equations: Map-based weights over the mesh plus the hole fans
 * (centre = mean of the loop), then max over free vertices of |xᵢ − Σ λᵢⱼ xⱼ|.
 * With a mirror map, weights are averaged with their mirror images.
 */
function maxMeanResidual(
  mesh: { positions: Float32Array; triangles: Uint32Array },
  r: ReturnType<typeof tutteEmbedding>,
  kind: TutteWeights,
  mirror?: Int32Array,
): number {
  const n = mesh.positions.length / 3;
  const nh = r.holes.length;
  const p = Array.from(mesh.positions);
  const uv = [...Array.from(r.uv), ...Array.from(r.holeCentres)];
  const tris = Array.from(mesh.triangles);
  const mir = mirror ? Array.from(mirror) : [];
  r.holes.forEach((loop, h) => {
    const c = [0, 0, 0];
    for (const v of loop)
      for (let d = 0; d < 3; d++) c[d] += mesh.positions[3 * v + d] / loop.length;
    p.push(...c);
    for (let k = 0; k < loop.length; k++) tris.push(loop[(k + 1) % loop.length], loop[k], n + h);
    if (mirror) {
      const target = r.holes.findIndex((l) => Array.from(l).includes(mirror[loop[0]]));
      mir[n + h] = n + target;
    }
  });
  const w = new Map<string, number>();
  const addW = (i: number, j: number, v: number) =>
    w.set(`${i},${j}`, (w.get(`${i},${j}`) ?? 0) + v);
  const vec = (a: number, b: number) => [0, 1, 2].map((d) => p[3 * b + d] - p[3 * a + d]);
  const len = (v: number[]) => Math.hypot(v[0], v[1], v[2]);
  for (let t = 0; t < tris.length; t += 3) {
    for (let c = 0; c < 3; c++) {
      const a = tris[t + c];
      const b = tris[t + ((c + 1) % 3)];
      const d = tris[t + ((c + 2) % 3)];
      const e1 = vec(a, b);
      const e2 = vec(a, d);
      const angle = Math.acos(
        (e1[0] * e2[0] + e1[1] * e2[1] + e1[2] * e2[2]) / (len(e1) * len(e2)),
      );
      if (kind === 'uniform') {
        w.set(`${a},${b}`, 1);
        w.set(`${a},${d}`, 1);
      } else if (kind === 'meanValue') {
        addW(a, b, Math.tan(angle / 2) / len(e1));
        addW(a, d, Math.tan(angle / 2) / len(e2));
      } else {
        addW(b, d, 0.5 / Math.tan(angle));
        addW(d, b, 0.5 / Math.tan(angle));
      }
    }
  }
  const fixed = new Set<number>(r.boundary);
  let worst = 0;
  const nv = n + nh;
  const rows: Map<number, number>[] = Array.from({ length: nv }, () => new Map());
  for (const [key, v] of w) {
    const [i, j] = key.split(',').map(Number);
    rows[i].set(j, (rows[i].get(j) ?? 0) + (mirror ? v / 2 : v));
    if (mirror) rows[mir[i]].set(mir[j], (rows[mir[i]].get(mir[j]) ?? 0) + v / 2);
  }
  for (let i = 0; i < nv; i++) {
    if (fixed.has(i)) continue;
    let sw = 0;
    let su = 0;
    let sv = 0;
    for (const [j, v] of rows[i]) {
      sw += v;
      su += v * uv[2 * j];
      sv += v * uv[2 * j + 1];
    }
    worst = Math.max(worst, Math.abs(su / sw - uv[2 * i]), Math.abs(sv / sw - uv[2 * i + 1]));
  }
  return worst;
}

describe('tutteEmbedding on synthetic meshes', () => {
  it('reproduces the affine map of a flat square mesh (linear precision: meanValue, cotangent; uniform on a regular grid)', () => {
    for (const [kind, jitter] of [
      ['meanValue', 0.5],
      ['cotangent', 0.5],
      ['uniform', 0],
    ] as const) {
      const mesh = symGrid(16, { jitter, oneDiagonal: kind === 'uniform' });
      const r = tutteEmbedding(mesh, { weights: kind });
      expect(r.converged).toBe(true);
      let err = 0;
      for (let i = 0; i < mesh.positions.length / 3; i++) {
        err = Math.max(
          err,
          Math.abs(r.uv[2 * i] - (mesh.positions[3 * i] + 1) / 2),
          Math.abs(r.uv[2 * i + 1] - (mesh.positions[3 * i + 1] + 1) / 2),
        );
      }
      expect(err, kind).toBeLessThan(1e-6);
      expect(r.flippedTriangles).toBe(0);
    }
  });

  it('UV orientation: u grows with model x, v with model y; the boundary starts at the top (0.5, 1)', () => {
    const mesh = faceLike();
    const r = tutteEmbedding(mesh, { weights: 'meanValue' });
    const n = mesh.positions.length / 3;
    let cu = 0;
    let cv = 0;
    for (let i = 0; i < n; i++) {
      cu += (r.uv[2 * i] - 0.5) * mesh.positions[3 * i];
      cv += (r.uv[2 * i + 1] - 0.5) * mesh.positions[3 * i + 1];
    }
    expect(cu).toBeGreaterThan(0);
    expect(cv).toBeGreaterThan(0);
    const top = r.boundary[0];
    expect(mesh.positions[3 * top]).toBeCloseTo(0, 6);
    expect(mesh.positions[3 * top + 1]).toBeCloseTo(1, 6);
    expect(r.uv[2 * top]).toBeCloseTo(0.5, 6);
    expect(r.uv[2 * top + 1]).toBe(1);
  });

  for (const kind of ['uniform', 'meanValue', 'cotangent'] as const) {
    for (const boundary of ['square', 'circle'] as const) {
      it(`holes filled: ${kind} weights, ${boundary} boundary — boundary on the shape, each free vertex the weighted mean, flips counted`, () => {
        const mesh = faceLike();
        const r = tutteEmbedding(mesh, { weights: kind, boundary, tolerance: 1e-12 });
        expect(r.converged).toBe(true);
        expect(r.holes.length).toBe(3);
        expect(r.holeCentres.length).toBe(6);
        expect(r.flippedTriangles).toBe(flipsOf(r.uv, mesh.triangles));
        if (kind !== 'cotangent') expect(r.flippedTriangles).toBe(0);
        for (const v of r.boundary) {
          const [u, w] = [r.uv[2 * v], r.uv[2 * v + 1]];
          if (boundary === 'square') expect(Math.min(u, w, 1 - u, 1 - w)).toBeLessThan(1e-7);
          else expect(Math.hypot(u - 0.5, w - 0.5)).toBeCloseTo(0.5, 6);
        }
        for (let k = 0; k < r.uv.length; k++) {
          expect(r.uv[k]).toBeGreaterThanOrEqual(0);
          expect(r.uv[k]).toBeLessThanOrEqual(1);
        }
        expect(maxMeanResidual(mesh, r, kind)).toBeLessThan(1e-6);
      });
    }
  }

  it('symmetric: exact mirror, symmetry line on u = 0.5, and equal to the full solve on a symmetric mesh', () => {
    const mesh = faceLike();
    const sym = computeSymmetry(mesh);
    const rep = symmetryReport(sym, mesh.triangles);
    expect(rep.involutive).toBe(rep.numVertices);
    expect(rep.trianglesMapped).toBe(rep.numTriangles);
    for (const kind of ['uniform', 'meanValue', 'cotangent'] as const) {
      const s = tutteEmbedding(mesh, {
        weights: kind,
        symmetric: true,
        symmetry: sym,
        tolerance: 1e-12,
      });
      const full = tutteEmbedding(mesh, { weights: kind, tolerance: 1e-12 });
      expect(s.converged).toBe(true);
      for (let i = 0; i < sym.length; i++) {
        expect(Math.abs(s.uv[2 * i] + s.uv[2 * sym[i]] - 1)).toBeLessThan(1e-6);
        expect(Math.abs(s.uv[2 * i + 1] - s.uv[2 * sym[i] + 1])).toBeLessThan(1e-6);
        if (sym[i] === i) expect(s.uv[2 * i]).toBe(0.5);
        expect(Math.abs(s.uv[2 * i] - full.uv[2 * i])).toBeLessThan(1e-6);
        expect(Math.abs(s.uv[2 * i + 1] - full.uv[2 * i + 1])).toBeLessThan(1e-6);
      }
      if (kind !== 'cotangent') expect(s.flippedTriangles).toBe(0);
      expect(s.flippedTriangles).toBe(flipsOf(s.uv, mesh.triangles));
    }
  });

  it('computeSymmetry: topology recovers the exact map where perturbed geometry misleads nearest-vertex matching', () => {
    const base = faceLike();
    const exact = computeSymmetry(base, { method: 'geometric' });
    expect(symmetryReport(exact, base.triangles).trianglesMapped).toBe(base.triangles.length / 3);
    const rnd = mulberry32(13);
    // Shift vertices by up to ±0.45 of the grid step: nearest mirrored vertices go wrong.
    const positions = base.positions.map((v, k) =>
      k % 3 === 2 ? v : v + (0.9 * (rnd() - 0.5) * 2) / 24,
    );
    const noisy = { positions, triangles: base.triangles };
    const geo = computeSymmetry(noisy, { method: 'geometric' });
    let wrong = 0;
    for (let i = 0; i < geo.length; i++) if (geo[i] !== exact[i]) wrong++;
    expect(wrong).toBeGreaterThan(0);
    expect(computeSymmetry(noisy)).toEqual(exact);
    expect(computeSymmetry(noisy, { method: 'topological' })).toEqual(exact);
    // Without triangles only the geometric map is possible.
    expect(computeSymmetry({ positions })).toEqual(geo);
    expect(() => computeSymmetry({ positions }, { method: 'topological' })).toThrow(
      /needs triangles/,
    );
    expect(() => computeSymmetry(noisy, { method: 'nearest' as 'geometric' })).toThrow(
      /auto, geometric, topological/,
    );
  });

  it('symmetric with edges crossing the line (odd grid): the top fixed point is an edge midpoint', () => {
    const mesh = symGrid(15, {
      z: (x, y) => 0.3 * Math.exp(-2 * (x * x + y * y)),
      drop: (x, y) => Math.abs(x) < 0.3 && Math.abs(y + 0.45) < 0.05,
    });
    const sym = computeSymmetry(mesh);
    const rep = symmetryReport(sym, mesh.triangles);
    expect(rep.involutive).toBe(rep.numVertices);
    expect(rep.trianglesMapped).toBe(rep.numTriangles);
    const s = tutteEmbedding(mesh, {
      weights: 'meanValue',
      symmetric: true,
      symmetry: sym,
      tolerance: 1e-12,
    });
    const full = tutteEmbedding(mesh, { weights: 'meanValue', tolerance: 1e-12 });
    expect(s.holes.length).toBe(1);
    expect(s.flippedTriangles).toBe(0);
    const top = s.boundary[0];
    expect(sym[top]).toBe(s.boundary[s.boundary.length - 1]); // the top edge joins a mirror pair
    expect(s.uv[2 * top + 1]).toBe(1);
    expect(s.uv[2 * top]).toBeLessThan(0.5);
    for (let i = 0; i < sym.length; i++) {
      expect(Math.abs(s.uv[2 * i] + s.uv[2 * sym[i]] - 1)).toBeLessThan(1e-6);
      expect(Math.abs(s.uv[2 * i + 1] - s.uv[2 * sym[i] + 1])).toBeLessThan(1e-6);
    }
    // Every vertex (both halves, and the line) satisfies the full system's equations.
    expect(maxMeanResidual(mesh, s, 'meanValue', sym)).toBeLessThan(1e-6);
    // The non-symmetric solve anchors its top at a vertex, not the edge midpoint, so it differs.
    expect(full.flippedTriangles).toBe(0);
  });

  it('symmetric on an asymmetric geometry: solves the mirror-averaged system and stays flip-free', () => {
    const base = faceLike();
    const sym = computeSymmetry(base);
    // Same topology, geometry perturbed asymmetrically: the given mirror map is still an automorphism.
    const rnd = mulberry32(9);
    const positions = base.positions.map((v) => v + 0.01 * (rnd() - 0.5));
    const mesh = { positions, triangles: base.triangles };
    const r = tutteEmbedding(mesh, {
      weights: 'meanValue',
      symmetric: true,
      symmetry: sym,
      tolerance: 1e-12,
    });
    expect(r.flippedTriangles).toBe(0);
    for (let i = 0; i < sym.length; i++) {
      expect(Math.abs(r.uv[2 * i] + r.uv[2 * sym[i]] - 1)).toBeLessThan(1e-6);
    }
    expect(maxMeanResidual(mesh, r, 'meanValue', sym)).toBeLessThan(1e-6);
    // And not the unsymmetrised system (the test above would pass vacuously otherwise).
    expect(maxMeanResidual(mesh, r, 'meanValue')).toBeGreaterThan(1e-5);
  });

  it('boundary loops of the symmetric result start at the top fixed point', () => {
    const mesh = faceLike();
    const r = tutteEmbedding(mesh, { symmetric: true });
    const loops = boundaryLoops(mesh.triangles, mesh.positions.length / 3, mesh.positions);
    expect(new Set(r.boundary)).toEqual(new Set(loops[0]));
    expect(r.uv[2 * r.boundary[0] + 1]).toBe(1);
    expect(r.uv[2 * r.boundary[0]]).toBe(0.5);
  });

  it('errors: closed mesh, unknown options, non-involutive symmetry', () => {
    const tet = {
      positions: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]),
      triangles: Uint32Array.from([0, 2, 1, 0, 1, 3, 1, 2, 3, 0, 3, 2]),
    };
    expect(() => tutteEmbedding(tet)).toThrow(GeometryError);
    const mesh = faceLike(8);
    expect(() => tutteEmbedding(mesh, { weights: 'harmonic' as TutteWeights })).toThrow(
      /uniform, meanValue, cotangent/,
    );
    expect(() => tutteEmbedding(mesh, { boundary: 'disc' as 'circle' })).toThrow(/square, circle/);
    const bad = computeSymmetry(mesh);
    bad[0] = 1;
    expect(() => tutteEmbedding(mesh, { symmetric: true, symmetry: bad })).toThrow(/involution/);
    expect(() => tutteEmbedding(mesh, { symmetric: true, symmetry: new Int32Array(3) })).toThrow(
      /symmetry must have shape/,
    );
  });
});

describe('tutteEmbedding on the Surrey Face Model (3,448 vertices, mouth slit)', () => {
  const model = readEosModel(
    readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')),
    'sfm_shape_3448.bin',
  );
  const mesh = { positions: model.mean, triangles: model.triangles };
  const sym = computeSymmetry(model);
  const ibug = readLandmarkMapping(
    readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
    'ibug_to_sfm.txt',
  );

  for (const kind of ['uniform', 'meanValue', 'cotangent'] as const) {
    for (const symmetric of [false, true]) {
      it(`${kind}, ${symmetric ? 'symmetric' : 'full'}: flips (zero for positive weights), boundary on the square, weighted means`, () => {
        const r = tutteEmbedding(mesh, { weights: kind, symmetric, symmetry: sym });
        expect(r.converged).toBe(true);
        expect(r.holes.length).toBe(1);
        expect(r.holes[0].length).toBe(48);
        expect(r.boundary.length).toBe(112);
        // The reported fold check is the independent orientation count.
        expect(r.flippedTriangles).toBe(flipsOf(r.uv, model.triangles));
        if (kind !== 'cotangent') expect(r.flippedTriangles).toBe(0);
        for (const v of r.boundary) {
          const [u, w] = [r.uv[2 * v], r.uv[2 * v + 1]];
          expect(Math.min(u, w, 1 - u, 1 - w)).toBeLessThan(1e-7);
        }
        expect(maxMeanResidual(mesh, r, kind, symmetric ? sym : undefined)).toBeLessThan(1e-6);
        if (symmetric) {
          let err = 0;
          for (let i = 0; i < sym.length; i++) {
            err = Math.max(
              err,
              Math.abs(r.uv[2 * i] + r.uv[2 * sym[i]] - 1),
              Math.abs(r.uv[2 * i + 1] - r.uv[2 * sym[i] + 1]),
            );
          }
          expect(err).toBeLessThan(1e-5);
        }
      });
    }
  }

  it('looks like a frontal view: subject-left eye on the right (u > 0.5), eyes above nose above mouth above chin', () => {
    const r = tutteEmbedding(mesh, { symmetric: true, symmetry: sym });
    const uv = (id: number) => [r.uv[2 * ibug[id - 1]], r.uv[2 * ibug[id - 1] + 1]];
    expect(uv(37)[0]).toBeLessThan(0.5); // subject's right outer eye corner
    expect(uv(46)[0]).toBeGreaterThan(0.5); // subject's left outer eye corner
    expect(uv(37)[1]).toBeCloseTo(uv(46)[1], 6); // mirror pair: same v
    expect(uv(37)[0] + uv(46)[0]).toBeCloseTo(1, 6);
    expect(uv(28)[1]).toBeGreaterThan(uv(34)[1]); // nose bridge above nose base
    expect(uv(34)[1]).toBeGreaterThan(uv(52)[1]); // nose above upper lip
    expect(uv(58)[1]).toBeGreaterThan(uv(9)[1]); // lower lip above chin
    for (const id of [9, 28, 34, 52, 58]) expect(uv(id)[0]).toBe(0.5); // on the symmetry line
  });

  it('circle boundary on SFM: flip-free with mean-value weights, boundary on the circle', () => {
    const r = tutteEmbedding(mesh, { boundary: 'circle', symmetric: true, symmetry: sym });
    expect(r.flippedTriangles).toBe(0);
    for (const v of r.boundary)
      expect(Math.hypot(r.uv[2 * v] - 0.5, r.uv[2 * v + 1] - 0.5)).toBeCloseTo(0.5, 6);
  });
});

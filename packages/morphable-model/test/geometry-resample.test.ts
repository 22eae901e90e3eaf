import {
  computeSymmetry,
  locateGridPoints,
  type MorphableModel,
  resampleToGrid,
  ShapeError,
  tutteEmbedding,
} from '@3dmm-stn/morphable-model';
import { describe, expect, it } from 'vitest';

function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Symmetric bump on [-1, 1]² with a mouth slit, mirrored diagonals (see geometry-tutte.test.ts). */
function faceMesh(m = 20) {
  const pos: number[] = [];
  for (let i = 0; i <= m; i++) {
    for (let j = 0; j <= m; j++) {
      const x = -1 + (2 * j) / m;
      const y = -1 + (2 * i) / m;
      pos.push(x, y, 0.4 * Math.exp(-2 * (x * x + y * y)));
    }
  }
  const id = (i: number, j: number) => i * (m + 1) + j;
  const tri: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const cx = -1 + (2 * (j + 0.5)) / m;
      const cy = -1 + (2 * (i + 0.5)) / m;
      if (Math.abs(cx) < 0.35 && Math.abs(cy + 0.45) < 0.05) continue;
      if (cx > 0)
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
  return { positions: Float32Array.from(pos), triangles: Uint32Array.from(tri) };
}

function makeModel(seed = 1): MorphableModel {
  const mesh = faceMesh();
  const n = mesh.positions.length / 3;
  const rnd = mulberry32(seed);
  const basis = (d: number) => Float32Array.from({ length: d * n * 3 }, () => rnd() - 0.5);
  const landmarks = new Int32Array(68).fill(-1);
  landmarks[36] = 5;
  landmarks[45] = 17;
  landmarks[30] = 200;
  return {
    numVertices: n,
    mean: mesh.positions,
    shape: { numModes: 7, basis: basis(7) },
    expression: { numModes: 3, basis: basis(3) },
    triangles: mesh.triangles,
    landmarks,
    metadata: { name: 'synthetic', source: 'test', format: 'generated' },
  };
}

/** Slow reference: linear scan over all triangles, float64 barycentrics (−1e-9 tolerance). */
function bruteLocate(uv: Float32Array, tri: Uint32Array, u: number, v: number) {
  let best: { t: number; l: number[]; min: number } | null = null;
  for (let t = 0; t < tri.length / 3; t++) {
    const [a, b, c] = [tri[3 * t], tri[3 * t + 1], tri[3 * t + 2]];
    const [ax, ay, bx, by, cx, cy] = [
      uv[2 * a],
      uv[2 * a + 1],
      uv[2 * b],
      uv[2 * b + 1],
      uv[2 * c],
      uv[2 * c + 1],
    ];
    const det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
    const l1 = ((u - ax) * (cy - ay) - (cx - ax) * (v - ay)) / det;
    const l2 = ((bx - ax) * (v - ay) - (u - ax) * (by - ay)) / det;
    const l = [1 - l1 - l2, l1, l2];
    const min = Math.min(...l);
    if (min >= -1e-9 && (!best || min > best.min)) best = { t, l, min };
  }
  return best;
}

describe('resampleToGrid', () => {
  const model = makeModel();
  const sym = computeSymmetry(model);
  const emb = tutteEmbedding(
    { positions: model.mean, triangles: model.triangles },
    { symmetric: true, symmetry: sym },
  );
  const res = 24;
  const grid = resampleToGrid(model, emb.uv, res, { shapeModes: 4, expressionModes: 2 });

  it('for random α, grid vertices equal direct barycentric evaluation of the model surface', () => {
    const n = model.numVertices;
    const np = res * res;
    const rnd = mulberry32(42);
    const alpha = Array.from({ length: 6 }, () => 2 * rnd() - 1);
    // Model surface X(α) with the same mode order: 4 identity modes, then 2 expression modes.
    const x = Float64Array.from(model.mean);
    for (let k = 0; k < 6; k++) {
      const src = k < 4 ? model.shape.basis : model.expression!.basis;
      const off = (k < 4 ? k : k - 4) * n * 3;
      for (let q = 0; q < n * 3; q++) x[q] += alpha[k] * src[off + q];
    }
    let checked = 0;
    for (let i = 0; i < res; i++) {
      for (let j = 0; j < res; j++) {
        const p = i * res + j;
        const hit = bruteLocate(emb.uv, model.triangles, j / (res - 1), 1 - i / (res - 1));
        expect(grid.valid[p]).toBe(hit ? 1 : 0);
        if (!hit) continue;
        checked++;
        for (let c = 0; c < 3; c++) {
          let want = 0;
          for (let s = 0; s < 3; s++) want += hit.l[s] * x[3 * model.triangles[3 * hit.t + s] + c];
          let got = grid.mean[3 * p + c];
          for (let k = 0; k < 6; k++) got += alpha[k] * grid.basis[k * np * 3 + 3 * p + c];
          expect(Math.abs(got - want)).toBeLessThan(1e-5);
        }
      }
    }
    expect(checked).toBeGreaterThan(0.9 * res * res);
  });

  it('resampling a linear field of (u, v) is exact', () => {
    const n = model.numVertices;
    const lin = (u: number, v: number) => [3 * u - 2 * v + 1, 0.5 * u + 4 * v - 2, -u + 0.25];
    const mean = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) mean.set(lin(emb.uv[2 * i], emb.uv[2 * i + 1]), 3 * i);
    const g = resampleToGrid({ ...model, mean }, emb.uv, res);
    for (let i = 0; i < res; i++) {
      for (let j = 0; j < res; j++) {
        const p = i * res + j;
        if (!g.valid[p]) continue;
        const want = lin(j / (res - 1), 1 - i / (res - 1));
        for (let c = 0; c < 3; c++) expect(g.mean[3 * p + c]).toBeCloseTo(want[c], 5);
      }
    }
  });

  it('mirror map (i, j) ↔ (i, res−1−j) is the mirror surface point for a symmetric embedding', () => {
    for (let p = 0; p < res * res; p++) {
      expect(grid.mirror[grid.mirror[p]]).toBe(p);
      expect(grid.mirror[p] % res).toBe(res - 1 - (p % res));
      expect(Math.floor(grid.mirror[p] / res)).toBe(Math.floor(p / res));
      const q = grid.mirror[p];
      expect(grid.valid[q]).toBe(grid.valid[p]);
      if (!grid.valid[p]) continue;
      expect(grid.mean[3 * q]).toBeCloseTo(-grid.mean[3 * p], 5);
      expect(grid.mean[3 * q + 1]).toBeCloseTo(grid.mean[3 * p + 1], 5);
      expect(grid.mean[3 * q + 2]).toBeCloseTo(grid.mean[3 * p + 2], 5);
    }
  });

  it('square embedding covers the grid except the filled hole; circle leaves corners invalid, zeroed', () => {
    let covered = 0;
    for (const v of grid.valid) covered += v;
    expect(covered / (res * res)).toBeGreaterThan(0.95);
    const circle = tutteEmbedding(
      { positions: model.mean, triangles: model.triangles },
      { boundary: 'circle' },
    );
    const g = resampleToGrid(model, circle.uv, res);
    expect(g.valid[0]).toBe(0);
    expect(g.valid[res * res - 1]).toBe(0);
    const centre = (res >> 1) * res + (res >> 1);
    expect(g.valid[centre - res * 4]).toBe(1);
    for (let p = 0; p < res * res; p++) {
      if (g.valid[p]) continue;
      for (let c = 0; c < 3; c++) expect(g.mean[3 * p + c]).toBe(0);
      for (let k = 0; k < g.numModes; k++)
        for (let c = 0; c < 3; c++) expect(g.basis[k * res * res * 3 + 3 * p + c]).toBe(0);
    }
  });

  it('grid triangles join valid points, CCW in (u, v) and facing +z like the mesh', () => {
    const t = grid.triangles;
    expect(t.length).toBeGreaterThan(0);
    for (let k = 0; k < t.length; k += 3) {
      const [a, b, c] = [t[k], t[k + 1], t[k + 2]];
      for (const v of [a, b, c]) expect(grid.valid[v]).toBe(1);
      const uvOf = (p: number) => [(p % res) / (res - 1), 1 - Math.floor(p / res) / (res - 1)];
      const [pa, pb, pc] = [uvOf(a), uvOf(b), uvOf(c)];
      expect((pb[0] - pa[0]) * (pc[1] - pa[1]) - (pc[0] - pa[0]) * (pb[1] - pa[1])).toBeGreaterThan(
        0,
      );
      const m = grid.mean;
      const e1 = [0, 1].map((d) => m[3 * b + d] - m[3 * a + d]);
      const e2 = [0, 1].map((d) => m[3 * c + d] - m[3 * a + d]);
      expect(e1[0] * e2[1] - e1[1] * e2[0]).toBeGreaterThan(0);
    }
  });

  it('shapes, mode order and landmark rows', () => {
    const np = res * res;
    expect(grid.numModes).toBe(6);
    expect(grid.numShapeModes).toBe(4);
    expect(grid.mean.length).toBe(np * 3);
    expect(grid.basis.length).toBe(6 * np * 3);
    expect(Array.from(grid.landmarkIds)).toEqual([31, 37, 46]);
    const n = model.numVertices;
    const vertex = [200, 5, 17];
    for (let l = 0; l < 3; l++) {
      for (let c = 0; c < 3; c++) {
        expect(grid.landmarkMean[3 * l + c]).toBe(model.mean[3 * vertex[l] + c]);
        expect(grid.landmarkBasis[1 * 3 * 3 + 3 * l + c]).toBe(
          model.shape.basis[n * 3 + 3 * vertex[l] + c],
        );
        expect(grid.landmarkBasis[5 * 3 * 3 + 3 * l + c]).toBe(
          model.expression!.basis[n * 3 + 3 * vertex[l] + c],
        );
      }
    }
    const d = resampleToGrid(model, emb.uv, 8);
    expect(d.numModes).toBe(8); // default 5 identity + all 3 expression modes
    expect(d.numShapeModes).toBe(5);
  });

  it('locateGridPoints agrees with a linear scan and rejects bad input', () => {
    const loc = locateGridPoints(emb.uv, model.triangles, 11);
    for (let p = 0; p < 121; p++) {
      const hit = bruteLocate(emb.uv, model.triangles, (p % 11) / 10, 1 - Math.floor(p / 11) / 10);
      expect(loc.triangle[p] >= 0).toBe(hit !== null);
      if (hit) {
        const s = loc.bary[3 * p] + loc.bary[3 * p + 1] + loc.bary[3 * p + 2];
        expect(s).toBeCloseTo(1, 12);
        expect(Math.min(loc.bary[3 * p], loc.bary[3 * p + 1], loc.bary[3 * p + 2])).toBeCloseTo(
          hit.min,
          9,
        );
      }
    }
    expect(() => resampleToGrid(model, emb.uv.subarray(2), 8)).toThrow(ShapeError);
    expect(() => resampleToGrid(model, emb.uv, 8, { shapeModes: 8 })).toThrow(
      /shapeModes must be an integer in \[0, 7\]/,
    );
    expect(() => resampleToGrid(model, emb.uv, 1)).toThrow(/res must be an integer/);
  });
});

import { readFileSync } from 'node:fs';
import {
  computeSymmetry,
  estimateSymmetryPlane,
  readEosBlendshapes,
  readEosModel,
  readLandmarkMapping,
  readObj,
  resampleToGrid,
  symmetryReport,
  tutteEmbedding,
  vertexAdjacency,
} from '@3dmm-stn/morphable-model';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';

const N = 3448;
const sfm = readEosModel(
  readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')),
  'sfm_shape_3448.bin',
);
const model = {
  ...sfm,
  expression: readEosBlendshapes(
    readFileSync(fixturePath('sfm', 'expression_blendshapes_3448.bin')),
    'expression_blendshapes_3448.bin',
    N,
  ),
  landmarks: readLandmarkMapping(
    readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
    'ibug_to_sfm.txt',
    N,
  ),
};
/** Line k: 1-based mirror of vertex k (1-based); the first line carries a comment after the number. */
const reference = readFileSync(fixturePath('sfm', 'sfm_reference_symmetry.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => Number.parseInt(l, 10) - 1);
const refMesh = readObj(
  readFileSync(fixturePath('sfm', 'sfm_reference.obj'), 'utf8'),
  'sfm_reference.obj',
);

function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('computeSymmetry on SFM', () => {
  const sym = computeSymmetry(model);

  it('agrees with the 845-line reference file on ≥ 99% (all 845) and is a mesh automorphism', () => {
    expect(reference.length).toBe(845);
    let agree = 0;
    for (let i = 0; i < 845; i++) if (sym[i] === reference[i]) agree++;
    expect(agree / 845).toBeGreaterThanOrEqual(0.99);
    expect(agree).toBe(845);
    // FORMATS.md: an involution mapping triangles to triangles, 84 vertices on the line.
    expect(symmetryReport(sym, model.triangles)).toEqual({
      involutive: N,
      fixedPoints: 84,
      trianglesMapped: 6736,
      numVertices: N,
      numTriangles: 6736,
    });
  });

  it('topology beats nearest-vertex matching on the (not exactly symmetric) SFM mean', () => {
    const geo = computeSymmetry(model, { method: 'geometric' });
    let agree = 0;
    for (let i = 0; i < 845; i++) if (geo[i] === reference[i]) agree++;
    expect(agree).toBeLessThan(845);
    expect(agree / 845).toBeGreaterThan(0.9);
    // The mid-sagittal plane of the SFM mean is x ≈ 0 (millimetres).
    expect(Math.abs(estimateSymmetryPlane(model.mean))).toBeLessThan(0.5);
  });

  it('recovers the same map when the model is shifted off x = 0 (plane estimated)', () => {
    const shifted = model.mean.map((v, k) => (k % 3 === 0 ? v + 12.5 : v));
    expect(estimateSymmetryPlane(shifted)).toBeCloseTo(12.5 + estimateSymmetryPlane(model.mean), 3);
    expect(computeSymmetry({ positions: shifted, triangles: model.triangles })).toEqual(sym);
  });

  it("establishes that the first 845 vertices are the reference level's vertices (by identity, not position)", () => {
    expect(refMesh.positions.length).toBe(845 * 3);
    // The 3,448 mesh refines the reference: every reference edge (a, b) is split by a newer
    // vertex adjacent to both a and b, and no two reference vertices stay adjacent.
    const adj = vertexAdjacency(model.triangles, N);
    const ref = vertexAdjacency(refMesh.triangles, 845);
    const nbrs = (i: number) => new Set(adj.neighbors.subarray(adj.offsets[i], adj.offsets[i + 1]));
    let edges = 0;
    let split = 0;
    for (let a = 0; a < 845; a++) {
      const na = nbrs(a);
      for (let k = ref.offsets[a]; k < ref.offsets[a + 1]; k++) {
        const b = ref.neighbors[k];
        if (b < a) continue;
        edges++;
        expect(na.has(b)).toBe(false);
        const nb = nbrs(b);
        if ([...na].some((v) => v >= 845 && nb.has(v))) split++;
      }
    }
    expect(edges).toBe(2455);
    expect(split).toBe(edges);
    // The reference symmetry file matches the model's own symmetry (test above), but the
    // reference .obj is another shape: positions differ by about a millimetre.
    const d: number[] = [];
    for (let i = 0; i < 845; i++) {
      d.push(
        Math.hypot(...[0, 1, 2].map((c) => refMesh.positions[3 * i + c] - model.mean[3 * i + c])),
      );
    }
    d.sort((a, b) => a - b);
    expect(d[422]).toBeGreaterThan(0.5);
    expect(d[844]).toBeLessThan(10);
  });
});

describe('resampleToGrid on SFM', () => {
  const sym = computeSymmetry(model);
  const emb = tutteEmbedding(
    { positions: model.mean, triangles: model.triangles },
    { symmetric: true, symmetry: sym },
  );

  it('112²: ≥ 95% coverage, 5 + 5 modes, landmark rows, mirror map', () => {
    const g = resampleToGrid(model, emb.uv, 112);
    let covered = 0;
    for (const v of g.valid) covered += v;
    expect(covered / 112 ** 2).toBeGreaterThanOrEqual(0.95);
    expect(g.numModes).toBe(10);
    expect(g.numShapeModes).toBe(5);
    expect(g.landmarkIds.length).toBe(50);
    expect(g.landmarkIds[0]).toBe(9);
    const l37 = Array.from(g.landmarkIds).indexOf(37);
    expect(Array.from(g.landmarkMean.subarray(3 * l37, 3 * l37 + 3))).toEqual(
      Array.from(model.mean.subarray(3 * 177, 3 * 177 + 3)),
    );
    // Mirror grid points are mirror surface points of the (nearly symmetric) SFM mean: |x| equal
    // to within the mean's own asymmetry, y and z close.
    let worst = 0;
    for (let p = 0; p < 112 ** 2; p++) {
      if (!g.valid[p]) continue;
      const q = g.mirror[p];
      expect(g.valid[q]).toBe(1);
      worst = Math.max(
        worst,
        Math.abs(g.mean[3 * p] + g.mean[3 * q]),
        Math.abs(g.mean[3 * p + 1] - g.mean[3 * q + 1]),
      );
    }
    expect(worst).toBeLessThan(5);
  });

  it('for random α, grid points equal direct barycentric evaluation (sampled points, linear-scan reference)', () => {
    const res = 112;
    const g = resampleToGrid(model, emb.uv, res, { shapeModes: 5, expressionModes: 6 });
    const rnd = mulberry32(3);
    const alpha = Array.from({ length: 11 }, () => 2 * rnd() - 1);
    const x = Float64Array.from(model.mean);
    for (let k = 0; k < 11; k++) {
      const src = k < 5 ? model.shape.basis : model.expression.basis;
      const off = (k < 5 ? k : k - 5) * N * 3;
      for (let q = 0; q < N * 3; q++) x[q] += alpha[k] * src[off + q];
    }
    const np = res * res;
    const tri = model.triangles;
    let checked = 0;
    for (let s = 0; s < 200; s++) {
      const p = Math.floor(rnd() * np);
      const u = (p % res) / (res - 1);
      const v = 1 - Math.floor(p / res) / (res - 1);
      let hit: { t: number; l: number[] } | null = null;
      for (let t = 0; t < tri.length / 3 && !hit; t++) {
        const [a, b, c] = [tri[3 * t], tri[3 * t + 1], tri[3 * t + 2]];
        const uv = emb.uv;
        const det =
          (uv[2 * b] - uv[2 * a]) * (uv[2 * c + 1] - uv[2 * a + 1]) -
          (uv[2 * c] - uv[2 * a]) * (uv[2 * b + 1] - uv[2 * a + 1]);
        const l1 =
          ((u - uv[2 * a]) * (uv[2 * c + 1] - uv[2 * a + 1]) -
            (uv[2 * c] - uv[2 * a]) * (v - uv[2 * a + 1])) /
          det;
        const l2 =
          ((uv[2 * b] - uv[2 * a]) * (v - uv[2 * a + 1]) -
            (u - uv[2 * a]) * (uv[2 * b + 1] - uv[2 * a + 1])) /
          det;
        if (Math.min(l1, l2, 1 - l1 - l2) >= -1e-9) hit = { t, l: [1 - l1 - l2, l1, l2] };
      }
      expect(g.valid[p]).toBe(hit ? 1 : 0);
      if (!hit) {
        for (let c = 0; c < 3; c++) expect(g.mean[3 * p + c]).toBe(0);
        continue;
      }
      checked++;
      for (let c = 0; c < 3; c++) {
        let want = 0;
        for (let k = 0; k < 3; k++) want += hit.l[k] * x[3 * tri[3 * hit.t + k] + c];
        let got = g.mean[3 * p + c];
        for (let k = 0; k < 11; k++) got += alpha[k] * g.basis[k * np * 3 + 3 * p + c];
        // float32 storage of values up to ~100 mm
        expect(Math.abs(got - want)).toBeLessThan(1e-3);
      }
    }
    expect(checked).toBeGreaterThan(150);
  });
});

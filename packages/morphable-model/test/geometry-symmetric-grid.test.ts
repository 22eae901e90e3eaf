// symmetricGrid: the STN's UV grid of any model (the one the trainer, CLI and web app call).
import { readFileSync } from 'node:fs';
import {
  computeSymmetry,
  defaultModel,
  type MorphableModel,
  readEosModel,
  readLandmarkMapping,
  resampleToGrid,
  symmetricGrid,
} from '@3dmm-stn/morphable-model';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';

const N = 3448;
const sfm: MorphableModel = {
  ...readEosModel(readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')), 'sfm_shape_3448.bin'),
  landmarks: readLandmarkMapping(
    readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
    'ibug_to_sfm.txt',
    N,
  ),
};

/** The SFM with its mean made exactly mirror-symmetric about x = 0 (x ↦ −x under the map m). */
function symmetrised(model: MorphableModel): MorphableModel {
  const m = computeSymmetry(model);
  const mean = new Float32Array(3 * N);
  for (let v = 0; v < N; v++) {
    const w = m[v];
    mean[3 * v] = (model.mean[3 * v] - model.mean[3 * w]) / 2;
    mean[3 * v + 1] = (model.mean[3 * v + 1] + model.mean[3 * w + 1]) / 2;
    mean[3 * v + 2] = (model.mean[3 * v + 2] + model.mean[3 * w + 2]) / 2;
  }
  return { ...model, mean, symmetry: m };
}

/** Largest |mean(i, j) − mirror(mean(i, res−1−j))| (mm) over grid points valid on both sides. */
function mirrorError(grid: ReturnType<typeof resampleToGrid>): {
  max: number;
  validMismatch: number;
} {
  const R = grid.res;
  let max = 0;
  let validMismatch = 0;
  for (let i = 0; i < R; i++)
    for (let j = 0; j < R; j++) {
      const p = i * R + j;
      const q = i * R + (R - 1 - j);
      if (grid.valid[p] !== grid.valid[q]) validMismatch++;
      if (!grid.valid[p] || !grid.valid[q]) continue;
      max = Math.max(
        max,
        Math.abs(grid.mean[3 * p] + grid.mean[3 * q]),
        Math.abs(grid.mean[3 * p + 1] - grid.mean[3 * q + 1]),
        Math.abs(grid.mean[3 * p + 2] - grid.mean[3 * q + 2]),
      );
    }
  return { max, validMismatch };
}

describe('symmetricGrid', () => {
  it('SFM: the embedding is exactly symmetric, 0 folds, and records itself in the metadata', () => {
    const { grid, uv, embedding, flippedTriangles } = symmetricGrid(sfm, 32);
    expect(embedding).toBe('symmetric Tutte');
    expect(flippedTriangles).toBe(0);
    expect(grid.metadata.extra?.uvEmbedding).toBe('symmetric Tutte');
    const m = computeSymmetry(sfm);
    let worst = 0;
    for (let v = 0; v < N; v++) {
      worst = Math.max(
        worst,
        Math.abs(uv[2 * m[v]] - (1 - uv[2 * v])),
        Math.abs(uv[2 * m[v] + 1] - uv[2 * v + 1]),
      );
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('SFM: a mirror-symmetric face gives a mirror-symmetric grid, whatever texCoords the model carries', () => {
    const face = symmetrised(sfm);
    const { grid, uv } = symmetricGrid(face, 48);
    const sym = mirrorError(grid);
    expect(sym.validMismatch).toBe(0);
    expect(sym.max).toBeLessThan(1e-3); // mm, float32 rounding
    expect(resampleToGrid(face, uv, 48).mean).toEqual(grid.mean);
    // A model whose own texCoords are a valid but asymmetric atlas (u ↦ u², bijective): the
    // grid ignores them. Resampling onto them instead (the trainer's old path) puts the face's
    // mirror points in unrelated columns.
    const tc = sfm.texCoords as Float32Array;
    const warped = Float32Array.from(tc, (x, k) => (k % 2 === 0 ? x * x : x));
    const other = symmetricGrid({ ...face, texCoords: warped }, 48);
    expect(other.grid.mean).toEqual(grid.mean);
    expect(mirrorError(resampleToGrid(face, warped, 48)).max).toBeGreaterThan(10);
  });

  it('SFM: its own texture atlas happens to be symmetric too, but covers less of the grid', () => {
    // Measured fact (recorded in the README): the SFM's texCoords satisfy u(m(v)) = 1 − u(v),
    // v(m(v)) = v to float32 rounding, so the old path was symmetric on the SFM; the Tutte grid
    // covers more grid points.
    const tc = sfm.texCoords as Float32Array;
    const m = computeSymmetry(sfm);
    let worst = 0;
    for (let v = 0; v < N; v++) worst = Math.max(worst, Math.abs(tc[2 * m[v]] - (1 - tc[2 * v])));
    expect(worst).toBeLessThan(1e-6);
    const count = (g: { valid: Uint8Array }) => g.valid.reduce((a, b) => a + b, 0) / g.valid.length;
    const tutte = count(symmetricGrid(sfm, 48).grid);
    const atlas = count(resampleToGrid(sfm, tc, 48));
    console.log(
      `SFM 48² grid coverage: symmetric Tutte ${tutte.toFixed(3)}, texture atlas ${atlas.toFixed(3)}`,
    );
    expect(tutte).toBeGreaterThan(atlas + 0.1);
  });

  it('default model: reusing its texCoords gives the grid of a fresh solve', () => {
    const model = defaultModel();
    const reused = symmetricGrid(model, 24, { shapeModes: 3, expressionModes: 2 });
    const solved = symmetricGrid(model, 24, {
      shapeModes: 3,
      expressionModes: 2,
      reuseDefaultTexCoords: false,
    });
    expect(reused.embedding).toBe('model texCoords (symmetric Tutte of the default model)');
    expect(solved.embedding).toBe('symmetric Tutte');
    expect(reused.grid.valid).toEqual(solved.grid.valid);
    let d = 0;
    for (let k = 0; k < reused.grid.mean.length; k++)
      d = Math.max(d, Math.abs(reused.grid.mean[k] - solved.grid.mean[k]));
    expect(d).toBeLessThan(1e-3);
    expect(mirrorError(reused.grid).validMismatch).toBe(0);
  });
});

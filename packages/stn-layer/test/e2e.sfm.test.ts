// End-to-end: the layer on the real Surrey Face Model, resampled at 112² (symmetric mean-value Tutte).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {
  computeSymmetry,
  type GridModel,
  type MorphableModel,
  readEosBlendshapes,
  readEosModel,
  readLandmarkMapping,
  resampleToGrid,
  tutteEmbedding,
} from '@3dmm-stn/morphable-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import { MorphableModelSTN, morphableModelSTN } from '../src/index';
import { BACKENDS, useBackend } from './layer.backends';
import { gaussian, morph, project, rng } from './layer.helpers';

const RES = 112;
const SIZE = 224;
const N = 3448;

function loadSfm(): MorphableModel {
  const sfm = readEosModel(
    readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')),
    'sfm_shape_3448.bin',
  );
  return {
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
}

const model = loadSfm();
const sym = computeSymmetry(model);
const emb = tutteEmbedding(
  { positions: model.mean, triangles: model.triangles },
  { symmetric: true, symmetry: sym },
);
const grid: GridModel = resampleToGrid(model, emb.uv, RES, { shapeModes: 5, expressionModes: 5 });
const D = grid.numModes;
const NP = RES * RES;

/** Colour = a linear function of the pixel position (bilinear sampling reproduces it exactly). */
const COEF = [
  [0.1, 0.003, -0.002],
  [0.9, -0.001, -0.0025],
  [-0.3, 0.002, 0.004],
];
const colour = (c: number, x: number, y: number) => COEF[c][0] + COEF[c][1] * x + COEF[c][2] * y;
function linearImage(b: number): tf.Tensor4D {
  const data = new Float32Array(b * SIZE * SIZE * 3);
  for (let n = 0; n < b; n++)
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++)
        for (let c = 0; c < 3; c++) data[((n * SIZE + y) * SIZE + x) * 3 + c] = colour(c, x, y);
  return tf.tensor4d(data, [b, SIZE, SIZE, 3]);
}

/** θ with the face (x ±74 mm, y −83…105 mm) inside the 224² image at 0.9 px/mm. */
const pose = (r: number[], alpha: number[] = new Array(D).fill(0)) => [
  ...r,
  SIZE / 2,
  SIZE / 2 + 10,
  Math.log(0.9),
  ...alpha,
];

/** Grid points of a cheek: |x| in [45, 70] mm on the side `sign`, y in [−50, 10] mm (mean shape). */
function cheek(sign: 1 | -1): number[] {
  const out: number[] = [];
  for (let p = 0; p < NP; p++) {
    if (!grid.valid[p]) continue;
    const x = sign * grid.mean[3 * p];
    const y = grid.mean[3 * p + 1];
    if (x >= 45 && x <= 70 && y >= -50 && y <= 10) out.push(p);
  }
  return out;
}

it('the SFM grid follows the UV conventions: row 0 at the top of the face, columns mirrored', () => {
  const rowMeanY = (i: number) => {
    let s = 0;
    let k = 0;
    for (let j = 0; j < RES; j++) {
      if (grid.valid[i * RES + j]) {
        s += grid.mean[3 * (i * RES + j) + 1];
        k++;
      }
    }
    return s / k;
  };
  expect(rowMeanY(5)).toBeGreaterThan(rowMeanY(RES - 6) + 100); // y up: row 0 is the top
  for (let p = 0; p < NP; p++)
    expect(grid.mirror[p]).toBe(Math.floor(p / RES) * RES + (RES - 1 - (p % RES)));
  expect(grid.numModes).toBe(10);
});

describe.each(BACKENDS)('MorphableModelSTN on SFM 112² (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('samples a linear image exactly at every visible grid vertex, for random α and pose', () => {
    const rand = rng(17);
    const thetas = [0, 1].map(() =>
      pose(
        [0.15 * gaussian(rand), 0.3 * gaussian(rand), 0.1 * gaussian(rand)],
        Array.from({ length: D }, () => 0.7 * gaussian(rand)),
      ),
    );
    const layer = morphableModelSTN({ gridModel: grid, outputs: ['uv', 'mask', 'maskedUv'] });
    const [uv, mask, masked] = tf.tidy(() =>
      (layer.apply([linearImage(2), tf.tensor2d(thetas)]) as tf.Tensor[]).map((t) =>
        t.dataSync().slice(),
      ),
    );
    let checked = 0;
    let worst = 0;
    let badMask = 0; // masked where invalid, or maskedUv ≠ uv · mask
    let outside = 0; // visible vertices projected outside the pixel centres
    for (let n = 0; n < 2; n++) {
      const { r, t, logS, alpha } = {
        r: thetas[n].slice(0, 3),
        t: thetas[n].slice(3, 5),
        logS: thetas[n][5],
        alpha: thetas[n].slice(6),
      };
      const p = project(morph(grid.mean, grid.basis, alpha), r, t, logS);
      for (let v = 0; v < NP; v++) {
        const m = mask[n * NP + v];
        if (!grid.valid[v] && m !== 0) badMask++;
        for (let c = 0; c < 3; c++)
          if (masked[(n * NP + v) * 3 + c] !== uv[(n * NP + v) * 3 + c] * m) badMask++;
        if (!grid.valid[v] || !m) continue;
        const [x, y] = [p[2 * v], p[2 * v + 1]];
        if (!(x >= 0 && x <= SIZE - 1 && y >= 0 && y <= SIZE - 1)) outside++;
        for (let c = 0; c < 3; c++)
          worst = Math.max(worst, Math.abs(uv[(n * NP + v) * 3 + c] - colour(c, x, y)));
        checked++;
      }
    }
    expect(badMask).toBe(0);
    expect(outside).toBe(0);
    expect(worst).toBeLessThan(1e-4);
    expect(checked).toBeGreaterThan(0.8 * 2 * grid.valid.reduce((a, b) => a + b, 0));
  });

  it('frontal: the mask covers ≥ 90% of valid grid points; yaw +60°: the far (subject’s left, +x) cheek is masked, the near one is not', () => {
    const layer = morphableModelSTN({ gridModel: grid, outputs: ['mask'] });
    const masks = tf.tidy(() => {
      const theta = tf.tensor2d([pose([0, 0, 0]), pose([0, Math.PI / 3, 0])]);
      return (layer.apply([tf.zeros([2, SIZE, SIZE, 3]), theta]) as tf.Tensor).dataSync().slice();
    });
    const valid = grid.valid.reduce((a, b) => a + b, 0);
    let frontal = 0;
    for (let v = 0; v < NP; v++) frontal += masks[v];
    expect(frontal / valid).toBeGreaterThanOrEqual(0.9);
    // R_y(60°) maps z' = −x sin 60° + z cos 60°: the +x half of the face turns away from the camera.
    const far = cheek(1);
    const near = cheek(-1);
    expect(far.length).toBeGreaterThan(100);
    expect(near.length).toBeGreaterThan(100);
    const visibleFraction = (pts: number[]) =>
      pts.reduce((a, p) => a + masks[NP + p], 0) / pts.length;
    expect(visibleFraction(far)).toBeLessThan(0.1);
    expect(visibleFraction(near)).toBeGreaterThan(0.9);
  });

  it('landmarks equal the float64 projection of the model’s own landmark vertices', () => {
    const rand = rng(5);
    const thetas = [0, 1, 2].map(() =>
      pose(
        [0.3 * gaussian(rand), 0.5 * gaussian(rand), 0.2 * gaussian(rand)],
        Array.from({ length: D }, () => gaussian(rand)),
      ),
    );
    const layer = new MorphableModelSTN({ gridModel: grid, outputs: ['landmarks'] });
    const lm = tf.tidy(() =>
      (layer.apply([tf.zeros([3, 8, 8, 3]), tf.tensor2d(thetas)]) as tf.Tensor).dataSync().slice(),
    );
    // Landmark vertices of the original SFM mesh, α over 5 identity then 5 expression modes.
    const ids = Array.from(grid.landmarkIds);
    expect(ids.length).toBe(50);
    const L = ids.length;
    for (let n = 0; n < 3; n++) {
      const alpha = thetas[n].slice(6);
      const x = Float64Array.from(model.mean);
      for (let k = 0; k < D; k++) {
        const src =
          k < 5
            ? model.shape.basis
            : (model.expression as NonNullable<typeof model.expression>).basis;
        const off = (k < 5 ? k : k - 5) * N * 3;
        for (let q = 0; q < N * 3; q++) x[q] += alpha[k] * src[off + q];
      }
      const pts = new Float64Array(3 * L);
      ids.forEach((id, m) => {
        const vtx = model.landmarks[id - 1];
        pts.set(x.subarray(3 * vtx, 3 * vtx + 3), 3 * m);
      });
      const ref = project(pts, thetas[n].slice(0, 3), thetas[n].slice(3, 5), thetas[n][5]);
      for (let m = 0; m < 2 * L; m++)
        expect(Math.abs(lm[n * 2 * L + m] - ref[m])).toBeLessThan(2e-3);
    }
  });

  it('does not grow the tensor count over 100 calls', () => {
    const layer = morphableModelSTN({ gridModel: grid });
    const image = linearImage(1);
    const theta = tf.tensor2d([pose([0.1, 0.4, 0])]);
    tf.dispose(layer.apply([image, theta]) as tf.Tensor[]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 100; k++) tf.dispose(layer.apply([image, theta]) as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([image, theta]);
    layer.dispose();
  });
});

// The trainer's UV grid on the real SFM: the symmetric Tutte embedding, whatever texCoords the
// model file carries, so that a mirror-symmetric face gives symmetry loss ≈ 0 through the
// trainer's own path (prepareModel → network → STN → loss).
import { readFileSync } from 'node:fs';
import { selectBackend } from '@3dmm-stn/backend/node';
import { symmetryLoss } from '@3dmm-stn/losses';
import {
  computeSymmetry,
  type GridModel,
  type MorphableModel,
  readEosModel,
  readLandmarkMapping,
  render,
  resampleToGrid,
} from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import { parseConfig } from '../src/config';
import { buildTrainable, prepareModel } from '../src/train_setup';

const N = 3448;
const S = 64;
const RES = 32;

/**
 * The SFM with its mean made exactly mirror-symmetric about x = 0, carrying a valid but
 * asymmetric texture atlas (u ↦ u² of the SFM's own, which is symmetric itself).
 */
function symmetricSfmWithAsymmetricAtlas(): MorphableModel {
  const sfm: MorphableModel = {
    ...readEosModel(readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')), 'sfm_shape_3448.bin'),
    landmarks: readLandmarkMapping(
      readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
      'ibug_to_sfm.txt',
      N,
    ),
  };
  const m = computeSymmetry(sfm);
  const mean = new Float32Array(3 * N);
  for (let v = 0; v < N; v++) {
    mean[3 * v] = (sfm.mean[3 * v] - sfm.mean[3 * m[v]]) / 2;
    for (const c of [1, 2]) mean[3 * v + c] = (sfm.mean[3 * v + c] + sfm.mean[3 * m[v] + c]) / 2;
  }
  const tc = sfm.texCoords as Float32Array;
  const texCoords = Float32Array.from(tc, (x, k) => (k % 2 === 0 ? x * x : x));
  return { ...sfm, mean, texCoords, symmetry: m };
}

/** A texture symmetric in u about ½: texel column j and T−1−j hold the same colour. */
function symmetricTexture(T: number) {
  const data = new Float32Array(T * T * 3);
  for (let i = 0; i < T; i++)
    for (let j = 0; j < T; j++) {
      const a = Math.abs((j + 0.5) / T - 0.5);
      const v = 1 - (i + 0.5) / T;
      const o = 3 * (i * T + j);
      data[o] = 128 + 100 * Math.sin(12 * a) * Math.cos(5 * v);
      data[o + 1] = 128 + 90 * Math.cos(17 * a + 3 * v);
      data[o + 2] = 60 + 150 * a * v;
    }
  return { data, width: T, height: T, channels: 3 };
}

const cfg = parseConfig({
  backend: 'wasm',
  model: { res: RES, shapeModes: 5, expressionModes: 0 },
  localiser: { backbone: 'vgg-tiny', inputSize: S },
});

let face: MorphableModel;
beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  face = symmetricSfmWithAsymmetricAtlas();
});

/**
 * The trainer's network on `grid` with its θ head fixed to a frontal pose (kernel 0, bias θ₀),
 * applied to the face rendered at θ₀: the symmetry loss of its UV image and mask (0–255², the
 * loss the trainer weights), and the visible fraction of the grid.
 */
function symmetryThroughNetwork(
  model: MorphableModel,
  grid: GridModel,
): { loss: number; visible: number } {
  const { net, opt } = buildTrainable(cfg, model, grid);
  const D = grid.numModes;
  let lo = Infinity;
  let hi = -Infinity;
  for (let v = 0; v < N; v++) {
    lo = Math.min(lo, face.mean[3 * v]);
    hi = Math.max(hi, face.mean[3 * v]);
  }
  const c = (S - 1) / 2; // the centre column: the image's mirror axis
  const logS = Math.log((0.8 * S) / (hi - lo));
  const theta0 = [0, 0, 0, c, c, logS, ...new Array(D).fill(0)];
  const head = net.localiser.getLayer('theta');
  const fixed = [tf.zerosLike(head.getWeights()[0]), tf.tensor1d(theta0)];
  head.setWeights(fixed);
  tf.dispose(fixed);
  const img = render(
    model,
    new Float32Array(0),
    { r: [0, 0, 0], t: [c, c], logS },
    symmetricTexture(64),
    S,
    S,
    { numShapeModes: 0, numExpressionModes: 0 },
  );
  const out = tf.tidy(() => {
    const [theta, uv, mask] = net.model.predict(
      tf.tensor4d(img.image as Float32Array, [1, S, S, 3]),
    ) as tf.Tensor[];
    return [theta, symmetryLoss(uv, mask), tf.mean(mask)];
  });
  const [theta, loss, visible] = out.map((t) => t.dataSync());
  expect(Array.from(theta)[3]).toBeCloseTo(c, 4); // the head really outputs θ₀
  tf.dispose(out);
  opt.dispose();
  net.model.dispose();
  return { loss: loss[0], visible: visible[0] };
}

describe('trainer UV grid (SFM)', () => {
  it('is the symmetric Tutte grid; a mirror-symmetric face gives symmetry loss ≈ 0, the atlas path would not', async () => {
    const { model, grid } = await prepareModel(cfg, face);
    expect(model).not.toBeNull();
    expect(grid.metadata.extra?.uvEmbedding).toBe('symmetric Tutte');
    const mm = model as MorphableModel;
    // The trainer renders with the embedding too (synthetic textures are symmetric in u).
    expect(mm.texCoords).not.toBe(face.texCoords);
    const trainer = symmetryThroughNetwork(mm, grid);
    // The old path: the model's own texCoords (here an asymmetric atlas) as the UV grid.
    const atlasGrid = resampleToGrid(mm, face.texCoords as Float32Array, RES, {
      shapeModes: 5,
      expressionModes: 0,
    });
    const atlas = symmetryThroughNetwork(mm, atlasGrid);
    console.log(
      `symmetry loss of a symmetric face (0–255²): trainer grid ${trainer.loss.toExponential(2)} (visible ${trainer.visible.toFixed(2)}), atlas grid ${atlas.loss.toExponential(2)} (visible ${atlas.visible.toFixed(2)})`,
    );
    expect(trainer.visible).toBeGreaterThan(0.5);
    expect(atlas.loss).toBeGreaterThan(100);
    expect(trainer.loss).toBeLessThan(atlas.loss * 1e-3);
  });
});

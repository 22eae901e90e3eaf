/**
 * Micro-batches with accumulated gradients (`train.microBatches`): one step on a batch of 8 split
 * in 2 (or 4) gives the same update as the single batch of 8 — on the cpu backend, SGD without
 * momentum (so the update is the gradient itself: a wrong 1/k or a clip of the wrong norm shows),
 * dropout 0 (the network then has no per-batch randomness), pairs split with their partners.
 */
import { selectBackend } from '@3dmm-stn/backend/node';
import { defaultModel, type GridModel, type MorphableModel } from '@3dmm-stn/morphable-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config';
import { ConfigError } from '../src/errors';
import { buildNetwork } from '../src/network';
import { GroupOptimizer } from '../src/optimizer';
import { meanFaceWidth, SyntheticFaces } from '../src/synthetic';
import { prepareModel, trainingLossWeights } from '../src/train_setup';
import { createTrainStep } from '../src/train_step';

const config = parseConfig({
  seed: 5,
  model: { res: 12, shapeModes: 3, expressionModes: 2 },
  localiser: { backbone: 'vgg-tiny', inputSize: 32, dropout: 0 },
  data: { synthetic: { textureSize: 32 } },
});

let model: MorphableModel;
let grid: GridModel;
beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
  model = defaultModel();
  grid = (await prepareModel(config, model)).grid;
});

async function oneStep(microBatches: number, clipNorm: number) {
  const net = buildNetwork({
    backbone: 'vgg-tiny',
    inputSize: 32,
    grid,
    meanFaceWidth: meanFaceWidth(model),
    fill: config.data.synthetic.faceFill,
    dropout: 0,
    seed: 11,
    inputScale: config.localiser.inputScale,
  });
  const vars = [...net.backboneVariables, ...net.headVariables];
  const before = vars.map((v) => v.dataSync().slice());
  const opt = new GroupOptimizer([{ name: 'all', variables: vars, lrMultiplier: 1 }], {
    kind: 'sgd',
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    momentum: 0,
  });
  const step = createTrainStep({
    net,
    grid,
    optimizer: opt,
    lossWeights: trainingLossWeights(config, grid),
    clipNorm,
    microBatches,
  });
  const synth = new SyntheticFaces(model, {
    ...config.data.synthetic,
    inputSize: 32,
    shapeModes: grid.numShapeModes,
    expressionModes: grid.numModes - grid.numShapeModes,
    seed: 3,
    batchSize: 8,
    pairs: true,
  });
  const batch = synth.loadStep(0);
  const r = await step(batch.samples, batch.pairs, 1e-3);
  const updates = vars.map((v, i) => {
    const after = v.dataSync();
    return Float32Array.from(after, (x, j) => x - before[i][j]);
  });
  opt.dispose();
  net.model.dispose();
  return { r, updates, pairs: batch.pairs, n: batch.samples.length };
}

function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let num = 0;
  let den = 0;
  a.forEach((x, i) => {
    for (let j = 0; j < x.length; j++) {
      num = Math.max(num, Math.abs(x[j] - b[i][j]));
      den = Math.max(den, Math.abs(x[j]));
    }
  });
  return num / den;
}

describe('micro-batches (train.microBatches)', () => {
  it('2 and 4 micro-batches of a batch of 8 (4 pairs): the same loss, gradient norm and update as one batch', async () => {
    // With the clip active, a missing 1/k or the norm of the sum instead of the mean would show.
    const clipNorm = 0.05;
    const one = await oneStep(1, clipNorm);
    expect(one.n).toBe(8);
    expect(one.pairs).toBe(4);
    expect(one.r.gradNorm).toBeGreaterThan(clipNorm);
    for (const k of [2, 4]) {
      const split = await oneStep(k, clipNorm);
      expect(split.r.applied).toBe(true);
      expect(split.r.loss.total / one.r.loss.total).toBeCloseTo(1, 5);
      expect(split.r.gradNorm / one.r.gradNorm).toBeCloseTo(1, 4);
      expect(maxRelDiff(one.updates, split.updates)).toBeLessThan(1e-4);
    }
  }, 300_000);

  it('a batch whose pairs do not divide is a ConfigError', async () => {
    await expect(oneStep(3, 0)).rejects.toThrow(ConfigError);
  }, 120_000);
});

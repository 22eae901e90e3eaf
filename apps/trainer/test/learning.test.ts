// CI proves that the network learns: a short deterministic training run on synthetic faces
// (fixed seed, wasm) must at least halve the validation landmark NME, and an ablation must show
// that the symmetry and multi-view terms change what is learned. Timed: see the README.
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModel, type MorphableModel } from '@3dmm-stn/morphable-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type TrainConfigInput } from '../src/config';
import { type TrainResult, train } from '../src/train';

/**
 * vgg-tiny at 32², a 16² UV grid, 4 identities × 2 views per step, 400 steps. Yaw range as the
 * demo's (the bulk of the initial error); narrower nuisances (pitch, roll, expression, jitter) and
 * a face filling 80 % of the crop, so that 400 steps at 32² resolve the landmarks. The NME test
 * runs the default balance (`raw`); the ablation runs the paper's (`train.lossBalance: 'paper'`):
 * with `raw` the UV terms are too weak for it to see them. Measured on the ICT default model
 * (2026-12-07): raw NME 0.322 → 0.156 (2.07×), UV |Δ| 35.1; paper 0.322 → 0.171 (1.88×), UV |Δ|
 * 19.8; paper without the UV terms 0.164, UV |Δ| 30.3.
 */
function learningConfig(over: TrainConfigInput['train'] = {}) {
  return parseConfig({
    seed: 7,
    backend: 'wasm',
    model: { res: 16, shapeModes: 3, expressionModes: 2 },
    localiser: { backbone: 'vgg-tiny', inputSize: 32 },
    data: {
      flip: false,
      workers: 0,
      synthetic: {
        textureSize: 32,
        identities: 64,
        faceFill: 0.8,
        pitch: 20,
        roll: 10,
        expressionScale: 0.3,
        translateJitter: 0.03,
        scaleJitter: 0.08,
      },
    },
    train: {
      steps: STEPS,
      batchSize: 8,
      warmupSteps: 10,
      lr: LR,
      lossBalance: 'paper',
      ...over,
    },
    eval: { samples: 16, every: STEPS },
    checkpoint: { every: STEPS },
    report: { progress: false },
  });
}
const STEPS = 400;
const LR = 0.003;

let model: MorphableModel;
beforeAll(() => {
  model = defaultModel();
});

async function run(name: string, over: TrainConfigInput['train'] = {}) {
  const out = await mkdtemp(join(tmpdir(), 'learning-'));
  const cfg = { ...learningConfig(over), output: { dir: out, name } };
  const load = loadavg()[0];
  const t0 = performance.now();
  const r = await train(cfg, { model, log: () => {}, handleSigint: false, report: false });
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${name}: ${STEPS} steps in ${secs.toFixed(1)} s (load ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)}); NME ${r.initial?.nme.toFixed(4)} → ${r.final?.nme.toFixed(4)}; UV |Δ| ${r.initial?.uvDiff.toFixed(2)} → ${r.final?.uvDiff.toFixed(2)} (overlap ${r.final?.uvOverlap.toFixed(2)})`,
  );
  return r;
}

describe('learning (deterministic, synthetic, wasm)', () => {
  let full: TrainResult;

  it('halves the validation landmark NME at least (the default balance, raw)', async () => {
    const r = await run('raw', { lossBalance: 'raw' });
    const initial = r.initial?.nme ?? Number.NaN;
    const final = r.final?.nme ?? Number.NaN;
    expect(initial).toBeGreaterThan(0.2);
    expect(initial / final).toBeGreaterThanOrEqual(2);
  }, 900_000); // ≈ 25 s of CPU; generous for a loaded CI machine

  it('the symmetry and multi-view terms change what is learned (ablation, paper balance)', async () => {
    full = await run('full');
    const ablated = await run('no-uv-terms', {
      lossWeights: { symmetry: 0, multiview: 0 },
    });
    // Same seed, data and initial weights: the step-0 evaluation is the same network.
    expect(ablated.initial).toEqual(full.initial);
    const withTerms = full.final?.uvDiff ?? Number.NaN;
    const without = ablated.final?.uvDiff ?? Number.NaN;
    // Without them the two views of a pair sample measurably different colours at the same UV
    // pixel (measured: see the README); the overlap must not explain it.
    expect(without).toBeGreaterThan(1.25 * withTerms);
    expect(ablated.final?.uvOverlap).toBeLessThan(1.3 * (full.final?.uvOverlap ?? 0));
  }, 900_000);
});

import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSystemIO } from '@3dmm-stn/backend/node';
import '@3dmm-stn/stn-layer'; // registers the STN layer class for loading
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { defaultModel, type MorphableModel } from '@3dmm-stn/morphable-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type TrainConfigInput } from '../src/config';
import { type StepLog, train } from '../src/train';

/** A tiny, fast configuration: vgg-tiny at 32², a 12² UV grid, 2 pairs per step. */
function tiny(over: TrainConfigInput = {}) {
  return parseConfig({
    seed: 3,
    backend: 'wasm',
    model: { res: 12, shapeModes: 3, expressionModes: 2 },
    localiser: { backbone: 'vgg-tiny', inputSize: 32 },
    data: { synthetic: { textureSize: 32 } },
    train: { steps: 2, batchSize: 4, warmupSteps: 0 },
    eval: { samples: 4, every: 100 },
    checkpoint: { every: 100 },
    report: { samples: 2, progress: false },
    ...over,
  });
}

const quiet = () => {};
let model: MorphableModel;
beforeAll(() => {
  model = defaultModel(); // built once (≈ 1–3 s), shared by the runs below
});

async function readLog(runDir: string): Promise<(StepLog | { type: 'eval'; step: number })[]> {
  return (await readFile(join(runDir, 'log.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

describe('train (synthetic, end to end)', () => {
  it('runs 2 steps and writes the run folder, an exported model that loads, and the report', async () => {
    const out = await mkdtemp(join(tmpdir(), 'trainer-'));
    const cfg = tiny({ output: { dir: out, name: 'two' } });
    const r = await train(cfg, { model, log: quiet, handleSigint: false });
    expect(r.steps).toBe(2);
    expect(r.interrupted).toBe(false);
    expect(r.initial?.nme).toBeGreaterThan(0);
    expect(Number.isFinite(r.final?.nme)).toBe(true);
    const run = join(out, 'two');
    expect(JSON.parse(await readFile(join(run, 'config.json'), 'utf8'))).toEqual(cfg);
    const log = await readLog(run);
    expect(log.filter((l) => l.type === 'step').map((l) => l.step)).toEqual([0, 1]);
    expect(log.filter((l) => l.type === 'eval').map((l) => l.step)).toEqual([0, 2]);
    const step0 = log.find((l) => l.type === 'step') as StepLog;
    expect(step0.images).toBe(8); // 2 pairs × 2 views × flip
    expect(Number.isFinite(step0.loss.total)).toBe(true);
    expect(existsSync(join(run, 'checkpoints', 'latest.json'))).toBe(true);
    // The exported model: θ, maskedUv, mask, landmarks.
    const m = await tf.loadLayersModel(fileSystemIO(join(run, 'model')));
    const outs = m.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor[];
    expect(outs.map((o) => o.shape)).toEqual([
      [1, 11],
      [1, 12, 12, 3],
      [1, 12, 12, 1],
      [1, outs[3].shape[1], 2],
    ]);
    tf.dispose(outs);
    m.dispose();
    for (const f of ['loss.png', 'metrics.png', 'montage.png', 'mean_uv.png']) {
      const meta = await sharp(join(run, 'report', f)).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(100);
    }
    expect(await readFile(join(run, 'report', 'index.html'), 'utf8')).toMatch(/landmark NME/);
    const summary = JSON.parse(await readFile(join(run, 'summary.json'), 'utf8'));
    expect(summary.steps).toBe(2);
  });

  it('resume gives the same loss at step k as a straight run of the same seed', async () => {
    const out = await mkdtemp(join(tmpdir(), 'trainer-'));
    const base = { train: { steps: 4, batchSize: 4, warmupSteps: 0 }, checkpoint: { every: 2 } };
    const straight = await train(tiny({ ...base, output: { dir: out, name: 'straight' } }), {
      model,
      log: quiet,
      handleSigint: false,
      report: false,
    });
    const cfg = tiny({ ...base, output: { dir: out, name: 'resumed' } });
    const first = await train(cfg, {
      model,
      log: quiet,
      handleSigint: false,
      stopAfter: 2,
      report: false,
    });
    expect(first.interrupted).toBe(true);
    expect(first.steps).toBe(2);
    const second = await train(cfg, {
      resume: first.runDir,
      model,
      log: quiet,
      handleSigint: false,
      report: false,
    });
    expect(second.steps).toBe(4);
    const a = straight.losses.filter((l) => l.step >= 2);
    expect(second.losses).toEqual(a); // bit-identical
    expect(first.losses).toEqual(straight.losses.slice(0, 2));
    // the log of the resumed run is the straight run's, step for step
    const la = (await readLog(straight.runDir))
      .filter((l) => l.type === 'step')
      .map((l) => (l as StepLog).loss.total);
    const lb = (await readLog(second.runDir))
      .filter((l) => l.type === 'step')
      .map((l) => (l as StepLog).loss.total);
    expect(lb).toEqual(la);
  });

  it('does not grow the number of tensors over 20 steps', async () => {
    const out = await mkdtemp(join(tmpdir(), 'trainer-'));
    const counts: number[] = [];
    await train(
      tiny({
        train: { steps: 20, batchSize: 2, warmupSteps: 0 },
        eval: { samples: 2, every: 7 },
        checkpoint: { every: 5 },
        output: { dir: out, name: 'mem' },
      }),
      {
        model,
        log: quiet,
        handleSigint: false,
        report: false,
        onStep: () => counts.push(tf.memory().numTensors),
      },
    );
    expect(counts).toHaveLength(20);
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('Ctrl-C writes a checkpoint and stops cleanly', async () => {
    const out = await mkdtemp(join(tmpdir(), 'trainer-'));
    const listeners = process.listenerCount('SIGINT');
    const r = await train(
      tiny({ train: { steps: 50, batchSize: 2 }, output: { dir: out, name: 'sigint' } }),
      {
        model,
        log: quiet,
        report: false,
        onStep: (rec) => {
          if (rec.step === 2) process.emit('SIGINT');
        },
      },
    );
    expect(r.interrupted).toBe(true);
    expect(r.steps).toBe(3);
    const latest = JSON.parse(await readFile(join(r.runDir, 'checkpoints', 'latest.json'), 'utf8'));
    expect(latest.step).toBe(3);
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});

describe('train (folder dataset)', () => {
  it('trains on images + .pts, skipping and reporting a corrupt image', async () => {
    const { SyntheticFaces } = await import('../src/synthetic');
    const { formatPts } = await import('@3dmm-stn/datasets');
    const { mkdir, writeFile } = await import('node:fs/promises');
    const root = await mkdtemp(join(tmpdir(), 'folder-train-'));
    const faces = new SyntheticFaces(model, {
      ...parseConfig({}).data.synthetic,
      textureSize: 32,
      inputSize: 48,
      shapeModes: 3,
      expressionModes: 2,
      seed: 5,
      batchSize: 4,
      pairs: true,
    });
    for (let k = 0; k < 3; k++) {
      await mkdir(join(root, `id${k}`));
      const views = faces.identityViews(3, 2)[k];
      for (let v = 0; v < 2; v++) {
        const s = views[v];
        const png = await sharp(Buffer.from(s.image.map((x) => Math.round(x))), {
          raw: { width: 48, height: 48, channels: 3 },
        })
          .png()
          .toBuffer();
        await writeFile(join(root, `id${k}`, `${v}.png`), png);
        await writeFile(join(root, `id${k}`, `${v}.pts`), formatPts(s.landmarks));
      }
    }
    await writeFile(join(root, 'id0', 'bad.jpg'), Buffer.from('not an image'));
    await writeFile(join(root, 'id0', 'bad.pts'), formatPts(new Float32Array(136).fill(10)));
    const out = await mkdtemp(join(tmpdir(), 'trainer-'));
    const r = await train(
      tiny({
        data: { source: 'folder', root, valFraction: 0, margin: 0.1 },
        train: { steps: 3, batchSize: 4, warmupSteps: 0 },
        output: { dir: out, name: 'folder' },
      }),
      { model, log: quiet, handleSigint: false, report: false },
    );
    expect(r.steps).toBe(3);
    expect(
      r.data.problems.some(
        (p) => p.path === join(root, 'id0', 'bad.jpg') && /unreadable image/.test(p.reason),
      ),
    ).toBe(true);
    const steps = (await readLog(r.runDir)).filter((l) => l.type === 'step') as StepLog[];
    expect(steps.every((s) => Number.isFinite(s.loss.total))).toBe(true);
  });
});

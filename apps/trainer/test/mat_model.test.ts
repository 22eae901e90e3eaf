/** The trainer on a MATLAB model file (a BFM 2009 derivative written by morphable-model's test writer). */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { face, frontVars } from '../../../packages/morphable-model/test/mat-models';
import { writeMat } from '../../../packages/morphable-model/test/mat-writer';
import { parseConfig } from '../src/config';
import { train } from '../src/train';

describe('train --model <.mat>', () => {
  it('trains 2 synthetic steps on a Deep3DFaceRecon BFM_model_front.mat', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trainer-mat-'));
    const mat = join(dir, 'BFM_model_front.mat');
    await writeFile(mat, writeMat(frontVars(face(15, 20)), { compress: true }));
    const cfg = parseConfig({
      seed: 3,
      backend: 'wasm',
      model: { path: mat, res: 12, shapeModes: 3, expressionModes: 2 },
      localiser: { backbone: 'vgg-tiny', inputSize: 32 },
      data: { synthetic: { textureSize: 32 } },
      train: { steps: 2, batchSize: 4, warmupSteps: 0 },
      eval: { samples: 4, every: 100 },
      checkpoint: { every: 100 },
      report: { samples: 2, progress: false },
      output: { dir, name: 'mat' },
    });
    const said: string[] = [];
    const r = await train(cfg, { log: (l) => said.push(l), handleSigint: false });
    expect(r.steps).toBe(2);
    expect(Number.isFinite(r.final?.nme)).toBe(true);
    const log = (await readFile(join(dir, 'mat', 'log.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
    const steps = log.filter((l) => l.type === 'step');
    expect(steps.map((l) => l.step)).toEqual([0, 1]);
    for (const s of steps) expect(Number.isFinite(s.loss.total)).toBe(true);
    // The .mat file's 300-vertex face was trained on, not the embedded default (4,615 vertices).
    expect(said.join('\n')).toMatch(
      /model: .*\(mat, 300 vertices, 3 shape \+ 2 expression modes\) → UV grid 12²/,
    );
  });
});

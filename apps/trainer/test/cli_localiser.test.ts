import { join } from 'node:path';
import { selectBackend } from '@3dmm-stn/backend/node';
import { DEFAULT_FILL } from '@3dmm-stn/localiser';
import { defaultModel, resampleToGrid } from '@3dmm-stn/morphable-model';
import { buildNetwork } from '../src/network';
import { meanFaceWidth } from '../src/synthetic';
import { exportModel } from '../src/train';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import type { FitRecord } from '@3dmm-stn/fit';
import { cli, samplePhoto, tempDir } from './cli_helpers';

describe('fit --localiser', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await selectBackend({ backend: 'wasm' });
  });

  it('takes θ from an exported network (untrained: its initial θ) and writes the same outputs', async () => {
    const model = defaultModel();
    const grid = resampleToGrid(model, model.texCoords as Float32Array, 32);
    const net = buildNetwork({
      backbone: 'vgg-tiny',
      inputSize: 32,
      grid,
      meanFaceWidth: meanFaceWidth(model),
      fill: DEFAULT_FILL,
      dropout: 0,
      seed: 1,
      inputScale: 1,
    });
    const modelDir = join(dir, 'net');
    await exportModel(net.model, modelDir, { test: true });
    net.model.dispose();
    const out = join(dir, 'fit');
    const r = await cli(
      'fit',
      samplePhoto(1),
      '--out',
      out,
      '--localiser',
      modelDir,
      '--res',
      '32',
      '--max-faces',
      '1',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const rec = r.json().records[0] as FitRecord;
    expect(rec.method).toBe('localiser');
    expect(rec.optimisation).toBeUndefined();
    expect(rec.crop.size).toBe(32);
    expect(rec.thetaCrop).toHaveLength(6 + grid.numModes);
    // An untrained head outputs ≈ its bias: the face centred in the 32-px crop.
    expect(Math.abs(rec.thetaCrop[3] - 15.5)).toBeLessThan(3);
    const m = await sharp(rec.files.uv).metadata();
    expect([m.width, m.height]).toEqual([32, 32]);

    // θ does not depend on res, but on the model's modes: the network's STN layer names the
    // default model's blendshapes, which the SFM does not have — a usage error naming them.
    const bad = await cli(
      'fit',
      samplePhoto(1),
      '--out',
      out,
      '--localiser',
      modelDir,
      '--max-faces',
      '1',
      '--model',
      fixturePath('sfm', 'sfm_shape_3448.bin'),
      '--landmarks',
      fixturePath('sfm', 'ibug_to_sfm.txt'),
      '--res',
      '32',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expression "browDown_L" is not in the model/);
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });
});

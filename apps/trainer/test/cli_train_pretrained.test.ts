import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { selectBackend } from '@3dmm-stn/backend/node';
import { exportPretrained, loadPretrained } from '@3dmm-stn/pretrained/node';
import { runTrainCli } from '../src/cli';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../testing/fixtures';
import { cli, samplePhoto, tempDir } from './cli_helpers';

/**
 * The smoke version of `npm run train:pretrained`: the same steps (pseudo-label with an
 * evaluation XML excluded and UV textures → train the committed config, whose batches are half
 * synthetic faces with those textures → export → loadPretrained) on three of
 * face-api's sample photos, for 2 steps.
 */
describe('train:pretrained, smoke', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm' });
  });

  it('pseudo-labels, trains the committed config, exports and loads the network', async () => {
    const dir = await tempDir();
    const xml = join(dir, 'eval.xml');
    await writeFile(
      xml,
      `<dataset><images>\n<image file='${samplePhoto(2)}'>\n<box top='1' left='1' width='9' height='9'/>\n</image>\n</images></dataset>\n`,
    );
    const data = join(dir, 'data');
    const p = await cli(
      'pseudo-label',
      samplePhoto(1),
      samplePhoto(2),
      samplePhoto(3),
      '--exclude',
      xml,
      '--out',
      data,
      '--textures',
      '--texture-res',
      '48',
      '--json',
    );
    expect(p.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(data, 'manifest.json'), 'utf8'));
    expect(manifest.excluded).toEqual([samplePhoto(2)]);
    expect(manifest.samples.length).toBeGreaterThanOrEqual(3);
    expect(manifest.samples.every((s: { image: string }) => !s.image.endsWith('sample2.jpg'))).toBe(
      true,
    );
    for (const s of manifest.samples) {
      expect(s.box).toHaveLength(4);
      expect(s.confidence).toBeGreaterThan(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
      // --textures: the face's fitted UV texture, a 48² RGBA grid image, alpha = the mask.
      const tex = await sharp(join(data, s.texture)).raw().toBuffer({ resolveWithObject: true });
      expect([tex.info.width, tex.info.height, tex.info.channels]).toEqual([48, 48, 4]);
      const alpha = new Set<number>();
      for (let p = 3; p < tex.data.length; p += 4) alpha.add(tex.data[p]);
      expect([...alpha].sort((a, b) => a - b)).toEqual([0, 255]);
    }
    const code = await runTrainCli([
      '--config',
      resolve(REPO_ROOT, 'packages/pretrained/train/pretrained.yaml'),
      '--manifest',
      join(data, 'manifest.json'),
      '--out',
      dir,
      '--name',
      'run',
      '--steps',
      '2',
      '--eval-every',
      '2',
      '--set',
      'train.maxMinutes=0',
      '--set',
      'data.valFraction=0.3',
      // face-api's sample photos have no person names: no identity column
      '--set',
      'data.identity=auto',
      '--no-progress',
    ]);
    expect(code).toBe(0);
    const summary = JSON.parse(await readFile(join(dir, 'run', 'summary.json'), 'utf8'));
    expect(summary.steps).toBe(2);
    const out = join(dir, 'weights');
    const r = await exportPretrained(join(dir, 'run'), out);
    expect(r.step).toBeGreaterThanOrEqual(0);
    const net = await loadPretrained({ dir: out });
    expect(net.crop).toEqual({ rule: 'box', margin: 0.2 });
    const x = tf.randomUniform([1, net.inputSize, net.inputSize, 3], 0, 255);
    const ys = net.model.predict(x) as tf.Tensor[];
    expect(ys[0].shape).toEqual([1, 16]);
    expect(ys[0].dataSync().every(Number.isFinite)).toBe(true);
    tf.dispose([x, ...ys]);
    net.model.dispose();
  });
});

import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pretrainedDir } from '@3dmm-stn/pretrained/node';
import { selectBackend } from '@3dmm-stn/backend/node';
import type { FitRecord } from '@3dmm-stn/fit';
import { squareAroundBox } from '@3dmm-stn/localiser';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, samplePhoto, tempDir } from './helpers';

describe('fit --localiser pretrained', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await selectBackend({ backend: 'wasm' });
  });

  it("crops the detector box by the network's rule, θ in one pass, --refine polishes from it", async () => {
    const r = await cli(
      'fit',
      samplePhoto(1),
      '--out',
      join(dir, 'a'),
      '--localiser',
      'pretrained',
      '--res',
      '32',
      '--max-faces',
      '1',
      '--json',
    );
    expect(r.code).toBe(0);
    const rec = r.json().records[0] as FitRecord;
    expect(rec.method).toBe('localiser');
    expect(rec.optimisation).toBeUndefined();
    const [x0, y0, side] = squareAroundBox(rec.detection.box, 0.2);
    expect(rec.crop).toEqual({ x0, y0, side, size: 112 });
    const refined = await cli(
      'fit',
      samplePhoto(1),
      '--out',
      join(dir, 'b'),
      '--localiser',
      'pretrained',
      '--refine',
      '5',
      '--res',
      '32',
      '--max-faces',
      '1',
      '--json',
    );
    const rr = refined.json().records[0] as FitRecord;
    expect(rr.optimisation?.init).toBe('localiser');
    expect(rr.optimisation?.steps).toBe(5);
    // refining against the detected landmarks lowers the landmark error of the one-pass θ
    expect(rr.error.rmsPx).toBeLessThan(rec.error.rmsPx);
  });

  it('uses the centre square when the detector finds no face, and says so', async () => {
    const blank = join(dir, 'blank.png');
    await sharp({
      create: { width: 120, height: 90, channels: 3, background: { r: 128, g: 128, b: 128 } },
    })
      .png()
      .toFile(blank);
    const r = await cli(
      'fit',
      blank,
      '--out',
      join(dir, 'c'),
      '--localiser',
      'pretrained',
      '--res',
      '32',
      '--json',
    );
    expect(r.code).toBe(0);
    const s = r.json();
    const rec = s.records[0] as FitRecord;
    expect(rec.detection.detector).toBe('none');
    expect(rec.crop.side).toBe(90);
    expect(rec.crop.x0).toBe(15);
    expect(s.detections[0].attempts.join(' ')).toMatch(/centre square/);
    // without a localiser a face-less image is still an error
    const f = await cli('fit', blank, '--out', join(dir, 'd'), '--json');
    expect(f.code).toBe(1);
  });

  it('rejects --refine without --localiser', async () => {
    const r = await cli('fit', samplePhoto(1), '--out', join(dir, 'e'), '--refine', '3');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--refine N needs --localiser/);
  });

  it('a model.json whose graph tfjs cannot build is a one-line error, not a hang (found by the fuzzer)', async () => {
    const net = join(dir, 'broken-net');
    await (await import('node:fs/promises')).mkdir(net, { recursive: true });
    for (const f of ['weights.bin']) await copyFile(join(pretrainedDir(), f), join(net, f));
    const json = await readFile(join(pretrainedDir(), 'model.json'), 'utf8');
    // The fuzz input: the input layer renamed, so no layer is called "image" any more.
    await writeFile(
      join(net, 'model.json'),
      json.replace('"layers":[{"name":"image"', '"layers":[{"name":"0x10"'),
    );
    const r = await cli('fit', samplePhoto(1), '--out', join(dir, 'b'), '--localiser', net);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /model\.json: cannot build the network: layer "preprocess" takes its input/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);
});

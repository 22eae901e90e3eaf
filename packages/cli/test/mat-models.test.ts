/** Model commands on MATLAB files (BFM 2009 derivatives), written by morphable-model's test writer. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readModel } from '@3dmm-stn/morphable-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { face, frontVars } from '../../morphable-model/test/mat-models';
import { writeMat } from '../../morphable-model/test/mat-writer';
import { cli, samplePhoto, tempDir } from './helpers';

let dir: string;
let mat: string;
beforeAll(async () => {
  dir = await tempDir();
  mat = join(dir, 'BFM_model_front.mat');
  await writeFile(mat, writeMat(frontVars(face(15, 20)), { compress: true }));
});

describe('.mat models in the CLI', () => {
  it('inspect reads a Deep3DFaceRecon BFM_model_front.mat (keypoints as landmarks)', async () => {
    const r = await cli('inspect', mat, '--json');
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      kind: 'MorphableModel',
      format: 'mat',
      vertices: 300,
      triangles: 532,
      modes: { shape: 3, expression: 2, color: 1 },
    });
    expect(r.json().landmarks.defined).toBe(68);
  });

  it('convert writes it as .3dmm; resample makes a grid', async () => {
    const out = join(dir, 'front.3dmm');
    expect((await cli('convert', mat, out)).code).toBe(0);
    const m = readModel(new Uint8Array(await readFile(out)));
    expect(m.metadata.format).toBe('mat');
    const grid = join(dir, 'front16.3dmm');
    const r = await cli('resample', mat, '--res', '16', '--out', grid, '--json');
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ res: 16 });
  });

  it('fit --model fits a photo with it (its keypoints as the landmark map)', async () => {
    const out = join(dir, 'fit-mat');
    const r = await cli(
      'fit',
      samplePhoto(4),
      '--out',
      out,
      '--model',
      mat,
      '--res',
      '16',
      '--steps',
      '5',
      '--max-faces',
      '1',
      '--json',
    );
    expect(r.code).toBe(0);
    const rec = r.json().records[0];
    expect(rec.modes).toEqual({ shape: 3, expression: 2 });
    expect(rec.landmarks.fitted.filter((p: unknown) => p !== null)).toHaveLength(68);
    expect(Number.isFinite(rec.error.rmsNormalised)).toBe(true);
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readModel, readObj } from '@3dmm-stn/morphable-model';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, ictModelDir } from '../../../testing/fixtures';
import { cli, tempDir } from './helpers';

const ictFaceFolder = () => join(ictModelDir(), 'face');

const SFM = fixturePath('sfm', 'sfm_shape_3448.bin');
const SFM_LM = fixturePath('sfm', 'ibug_to_sfm.txt');

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});

describe('inspect', () => {
  it('reports the SFM fixture as FORMATS.md describes it', async () => {
    const r = await cli('inspect', SFM, '--landmarks', SFM_LM, '--json');
    expect(r.code).toBe(0);
    const s = r.json();
    expect(s).toMatchObject({
      kind: 'MorphableModel',
      format: 'eos',
      vertices: 3448,
      triangles: 6736,
    });
    expect(s.modes).toEqual({ shape: 63, expression: 0, color: 0 });
    expect(s.landmarks.defined).toBe(50);
    expect(s.landmarks.missing).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 61, 65,
    ]);
    expect(s.boundaryLoops).toEqual([112, 48]);
    expect(s.holes).toBe(1);
    expect(s.symmetry).toMatchObject({
      source: 'computed',
      involutive: 3448,
      fixedPoints: 84,
      trianglesMapped: 6736,
    });
  });

  it('prints a human report for the default model', async () => {
    const r = await cli('inspect', 'default');
    expect(r.code).toBe(0);
    // the ICT Face Model, narrow face area: a disc with three holes (eyes, mouth)
    expect(r.stdout).toMatch(/vertices\s+6706/);
    expect(r.stdout).toMatch(/ICT Face Model/);
    expect(r.stdout).toMatch(/68 of 68 ibug points/);
    expect(r.stdout).toMatch(/3 hole\(s\)/);
  });

  it('inspects the generated stand-in (--model stand-in) and an ICT-FaceKit folder', async () => {
    const a = await cli('inspect', 'stand-in');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/vertices\s+4615/);
    const b = await cli('inspect', ictFaceFolder(), '--json');
    expect(b.code).toBe(0);
    expect(b.json()).toMatchObject({
      vertices: 9409,
      modes: { shape: 100, expression: 53 },
      holes: 3,
    });
  });
});

describe('resample, convert, render', () => {
  it('resamples SFM to a grid, converts it to OBJ, renders it', async () => {
    const grid = join(dir, 'sfm32.3dmm');
    const r = await cli(
      'resample',
      SFM,
      '--landmarks',
      SFM_LM,
      '--res',
      '32',
      '--out',
      grid,
      '--json',
    );
    expect(r.code).toBe(0);
    const s = r.json();
    expect(s).toMatchObject({ res: 32, flippedTriangles: 0, embedding: 'symmetric Tutte' });
    expect(s.landmarks).toHaveLength(50);
    const g = readModel(new Uint8Array(await readFile(grid)), grid);
    expect('res' in g && g.res).toBe(32);

    const obj = join(dir, 'sfm32.obj');
    const c = await cli('convert', grid, obj, '--json');
    expect(c.code).toBe(0);
    const mesh = readObj(await readFile(obj, 'utf8'), obj);
    expect(mesh.positions.length / 3).toBe(32 * 32);
    expect(mesh.triangles.length / 3).toBe(s.triangles);

    const png = join(dir, 'sfm32.png');
    const rr = await cli('render', grid, '--out', png, '--size', '96', '--json');
    expect(rr.code).toBe(0);
    expect(rr.json().coveredPixels).toBeGreaterThan(0.3 * 96 * 96);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([96, 96, 'png']);
  });

  it('renders with a θ file (a turned head differs from the frontal default)', async () => {
    const theta = join(dir, 'theta.json');
    const a = join(dir, 'front.png');
    const b = join(dir, 'turned.png');
    await writeFile(theta, JSON.stringify({ theta: [0, 0.6, 0, 64, 64, Math.log(0.5)] }));
    expect((await cli('render', '--out', a, '--size', '128')).code).toBe(0);
    const t = await cli(
      'render',
      'default',
      '--theta',
      theta,
      '--out',
      b,
      '--size',
      '128',
      '--json',
    );
    expect(t.code).toBe(0);
    expect(t.json().modes).toEqual({ shape: 0, expression: 0 });
    const [ia, ib] = await Promise.all([a, b].map((f) => sharp(f).raw().toBuffer()));
    expect(Buffer.compare(ia, ib)).not.toBe(0);
  });

  it('converts the default model to .3dmm and back exactly', async () => {
    const out = join(dir, 'default.3dmm');
    expect((await cli('convert', 'default', out)).code).toBe(0);
    const r = await cli('inspect', out, '--json');
    expect(r.json()).toMatchObject({
      vertices: 6706,
      triangles: 13120,
      modes: { shape: 40, expression: 53 },
    });
  });
});

describe('tutte', () => {
  it('writes UVs as JSON with the fold count', async () => {
    const out = join(dir, 'uv.json');
    const r = await cli('tutte', SFM, '--out', out, '--symmetric', '--json');
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      vertices: 3448,
      flippedTriangles: 0,
      symmetric: true,
      holes: [48],
    });
    const f = JSON.parse(await readFile(out, 'utf8'));
    expect(f.uv).toHaveLength(3448);
    for (const p of f.uv) {
      expect(p[0]).toBeGreaterThanOrEqual(0);
      expect(p[1]).toBeLessThanOrEqual(1);
    }
  });

  it('draws the layout as a PNG of --size', async () => {
    const out = join(dir, 'uv.png');
    const r = await cli('tutte', 'default', '--out', out, '--size', '200', '--boundary', 'circle');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/0 flipped/);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([200, 200]);
  });
});

describe('train', () => {
  it('delegates to the trainer with the same flags and exit codes', async () => {
    expect((await cli('train', '--print-config', '--steps', '3', '--backend', 'cpu')).code).toBe(0);
    expect((await cli('train', '--steps', 'abc')).code).toBe(2);
  });
});

describe('exit codes', () => {
  it('0 for --help, 2 for bad usage, 1 for unreadable inputs', async () => {
    expect((await cli('--help')).code).toBe(0);
    expect((await cli('fit', '--help')).code).toBe(0);
    expect((await cli()).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('inspect', SFM, '--bogus')).code).toBe(2);
    expect((await cli('tutte', SFM)).code).toBe(2);
    const w = await cli('tutte', SFM, '--out', join(dir, 'x.json'), '--weights', 'harmonic');
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--weights must be one of uniform, meanValue, cotangent/);
    expect((await cli('resample', SFM, '--res', '1', '--out', join(dir, 'x.3dmm'))).code).toBe(2);
    expect((await cli('convert', SFM, join(dir, 'x.ply'))).code).toBe(2);
    expect((await cli('fit', join(dir, 'whatever.jpg'))).code).toBe(2);
    const missing = await cli('inspect', join(dir, 'nope.bin'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.bin/);
    const junk = join(dir, 'junk.bin');
    await writeFile(junk, 'hello');
    const bad = await cli('inspect', junk);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/junk\.bin/);
  });
});

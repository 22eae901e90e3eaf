import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModel } from '@3dmm-stn/morphable-model';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../src/errors';
import type { Batch, FolderEntry } from '../src/folder_dataset';
import { readManifest } from '../src/folder_dataset';
import { mixBatches, MixedSource } from '../src/mixed_source';
import { cutBackgrounds, readFitTexture, textureFromFit } from '../src/real_assets';
import type { FaceSample } from '../src/sample';
import { meanLandmarkCentre, SyntheticFaces } from '../src/synthetic';
import { parseConfig } from '../src/config';
import { prepareModel } from '../src/train_setup';
import { formatPts } from '@3dmm-stn/datasets';

/** A res × res RGBA grid image from a per-texel function. */
function grid(
  res: number,
  f: (i: number, j: number) => [number, number, number, number],
): Uint8Array {
  const out = new Uint8Array(res * res * 4);
  for (let i = 0; i < res; i++) for (let j = 0; j < res; j++) out.set(f(i, j), 4 * (i * res + j));
  return out;
}

describe('textureFromFit', () => {
  it('resamples the corner-aligned grid to texel centres: a linear ramp is reproduced exactly', () => {
    const res = 9;
    const size = 16;
    // red = 240·u, green = 240·v (grid point (i, j) at u = j/(res−1), v = 1 − i/(res−1)).
    const rgba = grid(res, (i, j) => [(240 * j) / (res - 1), 240 * (1 - i / (res - 1)), 7, 255]);
    const { texture, coverage } = textureFromFit(rgba, res, size);
    expect(coverage).toBe(1);
    expect(texture.width).toBe(size);
    for (let r = 0; r < size; r++)
      for (let k = 0; k < size; k++) {
        const u = (k + 0.5) / size;
        const v = 1 - (r + 0.5) / size;
        const p = 3 * (r * size + k);
        expect(texture.data[p]).toBeCloseTo(240 * u, 3);
        expect(texture.data[p + 1]).toBeCloseTo(240 * v, 3);
        expect(texture.data[p + 2]).toBeCloseTo(7, 4);
      }
  });

  it('fills unseen texels from the mirror texel, then with the mean seen colour', () => {
    const res = 8;
    // Rows 0–1: nothing seen. Other rows: the left half seen (red 10·j + i), the right half not.
    const rgba = grid(res, (i, j) =>
      i > 1 && j < res / 2 ? [10 * j + i, 100, 50, 255] : [255, 255, 255, 0],
    );
    const S = 2 * res;
    const { texture, coverage } = textureFromFit(rgba, res, S);
    expect(coverage).toBeCloseTo((res - 2) / res, 10);
    // The right half is the mirror of the left: the texture is left–right symmetric.
    for (let r = 0; r < S; r++)
      for (let k = 0; k < S; k++) {
        const a = texture.data[3 * (r * S + k)];
        const b = texture.data[3 * (r * S + (S - 1 - k))];
        expect(Math.abs(a - b)).toBeLessThan(1e-3);
      }
    // Texel row 0 lies between grid rows 0 and 1, neither seen nor mirrored: the mean seen
    // colour, red = mean(10·j + i) over i = 2…7, j = 0…3 = 15 + 4.5.
    for (const k of [0, S / 2, S - 1]) {
      expect(texture.data[3 * k]).toBeCloseTo(19.5, 3);
      expect(texture.data[3 * k + 1]).toBeCloseTo(100, 3);
    }
  });

  it('reads an RGBA PNG and rejects a non-square image with a DatasetError naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tex-'));
    const ok = join(dir, 'ok.png');
    await sharp(Buffer.from(grid(4, () => [10, 20, 30, 255])), {
      raw: { width: 4, height: 4, channels: 4 },
    })
      .png()
      .toFile(ok);
    const r = await readFitTexture(ok, 8);
    expect(r.coverage).toBe(1);
    expect(r.texture.data[0]).toBeCloseTo(10, 3);
    const bad = join(dir, 'bad.png');
    await sharp(Buffer.alloc(4 * 3 * 4, 9), { raw: { width: 4, height: 3, channels: 4 } })
      .png()
      .toFile(bad);
    await expect(readFitTexture(bad, 8)).rejects.toThrow(DatasetError);
    await expect(readFitTexture(bad, 8)).rejects.toThrow(/bad\.png.*square RGBA/);
  });
});

describe('cutBackgrounds', () => {
  it('cuts squares that stay clear of every face (box grown by half, and the body below)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bg-'));
    const W = 400;
    const H = 300;
    const box: [number, number, number, number] = [180, 60, 40, 40];
    // The exclusion rectangle [x − w/2, y − h/2, x + 1.5w, y + 2h] painted pure red, the rest grey.
    const raw = Buffer.alloc(W * H * 3, 90);
    for (let y = 40; y < 140; y++)
      for (let x = 160; x < 240; x++) raw.set([255, 0, 0], 3 * (y * W + x));
    const image = join(dir, 'photo.png');
    await sharp(raw, { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toFile(image);
    const entry: FolderEntry = { image, pts: join(dir, 'none.pts'), identity: null, box };
    const squares = await cutBackgrounds([entry], 32, 8, 3);
    expect(squares.length).toBeGreaterThan(0);
    for (const sq of squares) {
      expect(sq.length).toBe(32 * 32 * 3);
      let red = 0;
      for (let p = 0; p < 32 * 32; p++) if (sq[3 * p] > 120 && sq[3 * p + 1] < 60) red++;
      expect(red).toBe(0);
    }
    // Deterministic in the seed.
    expect(await cutBackgrounds([entry], 32, 8, 3)).toEqual(squares);
  });
});

function sample(tag: string): FaceSample {
  return {
    image: new Float32Array(3),
    size: 1,
    landmarks: new Float32Array(136),
    confidence: new Float32Array(68).fill(1),
    visible: new Uint8Array(68).fill(1),
    identity: tag,
    source: tag,
  };
}

describe('mixBatches', () => {
  it('keeps each source’s pairs aligned: [A real, A synth, B real, B synth]', () => {
    const real: Batch = { step: 4, samples: ['ra0', 'ra1', 'rb0', 'rb1'].map(sample), pairs: 2 };
    const synth: Batch = { step: 4, samples: ['sa0', 'sb0'].map(sample), pairs: 1 };
    const m = mixBatches(real, synth);
    expect(m.pairs).toBe(3);
    expect(m.samples.map((s) => s.source)).toEqual(['ra0', 'ra1', 'sa0', 'rb0', 'rb1', 'sb0']);
    // Pair i is (i, pairs + i) in every consumer: both views of one source and one identity.
    for (let i = 0; i < m.pairs; i++)
      expect(m.samples[i].source.slice(0, 1)).toBe(m.samples[m.pairs + i].source.slice(0, 1));
  });

  it('concatenates unpaired batches and refuses batches of different steps', () => {
    const m = mixBatches(
      { step: 1, samples: ['r0', 'r1'].map(sample), pairs: 0 },
      { step: 1, samples: ['sa', 'sb'].map(sample), pairs: 1 },
    );
    expect(m.pairs).toBe(0);
    expect(m.samples.map((s) => s.source)).toEqual(['r0', 'r1', 'sa', 'sb']);
    expect(() =>
      mixBatches({ step: 1, samples: [], pairs: 0 }, { step: 2, samples: [], pairs: 0 }),
    ).toThrow(/steps differ/);
  });

  it('MixedSource zips two step-indexed streams from any start step', async () => {
    const src = (tag: string) => ({
      async *batches(start: number) {
        for (let k = start; ; k++) yield { step: k, samples: [sample(`${tag}${k}`)], pairs: 0 };
      },
    });
    const it = new MixedSource(src('r'), src('s')).batches(5)[Symbol.asyncIterator]();
    const a = (await it.next()).value as Batch;
    const b = (await it.next()).value as Batch;
    expect(a.samples.map((s) => s.source)).toEqual(['r5', 's5']);
    expect(b.samples.map((s) => s.source)).toEqual(['r6', 's6']);
    await it.return?.(undefined);
  });
});

describe('SyntheticFaces with real assets', () => {
  const S = 64;
  const options = (extra: object) => ({
    ...parseConfig({}).data.synthetic,
    inputSize: S,
    shapeModes: 0,
    expressionModes: 0,
    seed: 2,
    batchSize: 2,
    pairs: false,
    yaw: 0,
    pitch: 0,
    roll: 0,
    scaleJitter: 0,
    translateJitter: 0,
    ...extra,
  });

  it('paints the face with the given texture over the given background', async () => {
    const { model } = await prepareModel(parseConfig({ model: { res: 16 } }));
    const green = new Float32Array(32 * 32 * 3);
    for (let p = 0; p < 32 * 32; p++) green.set([10, 220, 30], 3 * p);
    const magenta = new Uint8Array(S * S * 3);
    for (let p = 0; p < S * S; p++) magenta.set([200, 0, 200], 3 * p);
    const synth = new SyntheticFaces(model!, options({}), {
      textures: [{ data: green, width: 32, height: 32, channels: 3 }],
      backgrounds: [magenta],
    });
    const s = synth.loadStep(0).samples[0];
    const c = 3 * ((S / 2) * S + S / 2); // the face covers the centre
    expect(s.image[c + 1]).toBeGreaterThan(3 * s.image[c]);
    expect(s.image[c + 1]).toBeGreaterThan(3 * s.image[c + 2]);
    expect(Array.from(s.image.subarray(0, 3))).toEqual([200, 0, 200]); // a corner: background
    // Without assets: the procedural texture and background (not magenta, not this green).
    const plain = new SyntheticFaces(model!, options({})).loadStep(0).samples[0];
    expect(Array.from(plain.image.subarray(0, 3))).not.toEqual([200, 0, 200]);
  });

  it('places the mean face’s landmark box centre at landmarkCentre', async () => {
    const { model } = await prepareModel(parseConfig({ model: { res: 16 } }));
    const synth = new SyntheticFaces(model!, options({ landmarkCentre: [0.5, 0.6] }));
    const s = synth.loadStep(0).samples[0];
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let k = 0; k < 68; k++) {
      x0 = Math.min(x0, s.landmarks[2 * k]);
      x1 = Math.max(x1, s.landmarks[2 * k]);
      y0 = Math.min(y0, s.landmarks[2 * k + 1]);
      y1 = Math.max(y1, s.landmarks[2 * k + 1]);
    }
    expect((x0 + x1) / 2).toBeCloseTo(0.5 * S, 3);
    expect((y0 + y1) / 2).toBeCloseTo(0.6 * S, 3);
    const [mx, my] = meanLandmarkCentre(defaultModel());
    expect(Number.isFinite(mx) && Number.isFinite(my)).toBe(true);
  });

  it('rejects a background of the wrong size', async () => {
    const { model } = await prepareModel(parseConfig({ model: { res: 16 } }));
    expect(
      () =>
        new SyntheticFaces(model!, options({}), { textures: [], backgrounds: [new Uint8Array(5)] }),
    ).toThrow(/background 0 must be \[64, 64, 3\]/);
  });
});

describe('manifest "texture"', () => {
  it('is read as a path relative to the manifest, and must be a string', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'man-'));
    await writeFile(join(dir, 'a.pts'), formatPts(new Float32Array(136).fill(5)));
    await writeFile(
      join(dir, 'm.json'),
      JSON.stringify({ samples: [{ image: 'a.png', pts: 'a.pts', texture: 'tex/a_0.png' }] }),
    );
    const [e] = await readManifest(join(dir, 'm.json'));
    expect(e.texture).toBe(join(dir, 'tex/a_0.png'));
    await writeFile(
      join(dir, 'bad.json'),
      JSON.stringify({ samples: [{ image: 'a.png', texture: 3 }] }),
    );
    await expect(readManifest(join(dir, 'bad.json'))).rejects.toThrow(
      /\[0\]: "texture" must be a path/,
    );
  });
});

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cropAroundLandmarks, squareAroundBox } from '../src/crop';
import { DataReport } from '../src/data_report';
import { DatasetError } from '../src/errors';
import { FolderDataset, listFolderDataset, readManifest } from '../src/folder_dataset';
import { formatPts } from '@3dmm-stn/datasets';

/** A 100×80 image with a bright 3×3 dot at each landmark; landmarks on a face-like ring. */
function makeFace(seed: number): { png: Promise<Buffer>; lm: Float32Array } {
  const W = 100;
  const H = 80;
  const lm = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    const a = (2 * Math.PI * i) / 68 + seed;
    lm[2 * i] = 50 + 22 * Math.cos(a);
    lm[2 * i + 1] = 40 + 18 * Math.sin(a);
  }
  const raw = Buffer.alloc(W * H * 3, 20);
  const dot = (x: number, y: number) => {
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const o = ((Math.round(y) + dy) * W + Math.round(x) + dx) * 3;
        raw[o] = 255;
      }
  };
  dot(lm[0], lm[1]);
  return {
    png: sharp(raw, { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toBuffer(),
    lm,
  };
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'folder-ds-'));
  for (const id of ['alice', 'bob', 'carol']) {
    await mkdir(join(root, id));
    for (let k = 0; k < 3; k++) {
      const { png, lm } = makeFace(k + id.length);
      await writeFile(join(root, id, `${k}.png`), await png);
      await writeFile(join(root, id, `${k}.pts`), formatPts(lm));
    }
  }
  // a corrupt image with valid landmarks, an image without .pts, a malformed .pts
  await writeFile(join(root, 'bob', 'corrupt.jpg'), Buffer.from('this is not a jpeg'));
  await writeFile(join(root, 'bob', 'corrupt.pts'), formatPts(makeFace(1).lm));
  await writeFile(join(root, 'carol', 'nolm.png'), await makeFace(2).png);
  await writeFile(join(root, 'carol', 'broken.png'), await makeFace(3).png);
  await writeFile(join(root, 'carol', 'broken.pts'), 'version: 1\nn_points: 68\n{\n1 2\n}\n');
});

describe('folder dataset', () => {
  it('lists images with their .pts and identities from sub-folders', async () => {
    const report = new DataReport();
    const entries = await listFolderDataset(root, { report });
    expect(entries.length).toBe(11);
    expect(new Set(entries.map((e) => e.identity))).toEqual(new Set(['alice', 'bob', 'carol']));
    expect(report.problems.map((p) => p.path)).toEqual([join(root, 'carol', 'nolm.png')]);
    expect(
      (await listFolderDataset(root, { identity: 'none' })).every((e) => e.identity === null),
    ).toBe(true);
    await expect(listFolderDataset(join(root, 'missing'))).rejects.toBeInstanceOf(DatasetError);
  });

  it('skips and reports a corrupt image and a malformed .pts, and trains on the rest', async () => {
    const problems: string[] = [];
    const report = new DataReport((p) => problems.push(`${p.path}: ${p.reason}`));
    const entries = await listFolderDataset(root, { report });
    const ds = new FolderDataset(entries, {
      inputSize: 32,
      margin: 0.2,
      seed: 3,
      batchSize: 4,
      pairs: true,
      valFraction: 0,
      report,
    });
    expect(ds.usesPairs).toBe(true);
    const seenSources = new Set<string>();
    for (let step = 0; step < 12; step++) {
      const b = await ds.loadStep(step);
      expect(b.pairs).toBe(2);
      expect(b.samples.length).toBe(4);
      for (let i = 0; i < b.pairs; i++)
        expect(b.samples[i].identity).toBe(b.samples[b.pairs + i].identity);
      for (const s of b.samples) {
        seenSources.add(s.source);
        expect(s.image.length).toBe(32 * 32 * 3);
        expect(s.image.every(Number.isFinite)).toBe(true);
      }
    }
    expect(seenSources.has(join(root, 'bob', 'corrupt.jpg'))).toBe(false);
    expect(
      problems.some(
        (p) => p.startsWith(join(root, 'bob', 'corrupt.jpg')) && /unreadable image/.test(p),
      ),
    ).toBe(true);
    expect(
      problems.some(
        (p) => p.startsWith(join(root, 'carol', 'broken.pts')) && /expected 68 points/.test(p),
      ),
    ).toBe(true);
    expect(report.skipped).toBeGreaterThanOrEqual(2);
  });

  it('gives the same batch for the same (seed, step) and another for another step', async () => {
    const entries = await listFolderDataset(root);
    const mk = () =>
      new FolderDataset(entries, {
        inputSize: 16,
        margin: 0.2,
        seed: 9,
        batchSize: 4,
        pairs: false,
        valFraction: 0,
      });
    const a = mk();
    const b = mk();
    expect(b.planStep(5)).toEqual(a.planStep(5));
    expect(a.planStep(5)).not.toEqual(a.planStep(6));
    // one epoch visits every image once
    const seen = new Set<number>();
    const n = a.train.length;
    for (let k = 0; k < n; k++)
      seen.add(
        a.planStep(0).indices.length === 4
          ? (a as unknown as { order: { at(p: number): number } }).order.at(k)
          : -1,
      );
    expect(seen.size).toBe(n);
  });

  it('reads CSV and JSON manifests with an identity column', async () => {
    const csv = join(root, 'm.csv');
    await writeFile(csv, 'image,identity\nalice/0.png,A\n"bob/1.png",B\n');
    const e = await readManifest(csv);
    expect(e.map((x) => x.identity)).toEqual(['A', 'B']);
    expect(e[1].pts).toBe(join(root, 'bob', '1.pts'));
    const json = join(root, 'm.json');
    await writeFile(
      json,
      JSON.stringify({ samples: [{ image: 'carol/0.png', pts: 'carol/0.pts' }] }),
    );
    const j = await readManifest(json, { identity: 'subfolder' });
    expect(j[0].identity).toBe('carol');
    await writeFile(csv, 'path\nx.png\n');
    await expect(readManifest(csv)).rejects.toThrow(/"image" column/);
  });

  it('crops so that landmarks land on their pixels', async () => {
    const { png, lm } = makeFace(0);
    const buf = await png;
    for (const margin of [0.1, 0.6]) {
      const c = await cropAroundLandmarks(buf, lm, 64, margin);
      // the red dot of landmark 1 is brightest in the red channel around the mapped point
      const x = Math.round(c.landmarks[0]);
      const y = Math.round(c.landmarks[1]);
      let best = -1;
      let bx = 0;
      let by = 0;
      for (let yy = 0; yy < 64; yy++)
        for (let xx = 0; xx < 64; xx++) {
          const r = c.image[(yy * 64 + xx) * 3] - c.image[(yy * 64 + xx) * 3 + 1];
          if (r > best) {
            best = r;
            bx = xx;
            by = yy;
          }
        }
      expect(Math.hypot(bx - x, by - y)).toBeLessThanOrEqual(1.5);
    }
  });
  it('reads a detector box and confidence from a JSON manifest and crops around the box', async () => {
    const json = join(root, 'boxes.json');
    await writeFile(
      json,
      JSON.stringify({
        samples: [
          { image: 'alice/0.png', pts: 'alice/0.pts', box: [30, 25, 40, 30], confidence: 0.8 },
          { image: 'bob/0.png', pts: 'bob/0.pts' },
        ],
      }),
    );
    const e = await readManifest(json, { identity: 'none' });
    expect(e[0].box).toEqual([30, 25, 40, 30]);
    expect(e[0].confidence).toBe(0.8);
    expect(e[1].box).toBeUndefined();
    // square: centre (50, 40), side 40·1.5 = 60
    expect(squareAroundBox([30, 25, 40, 30], 0.25)).toEqual([20, 10, 60]);
    const ds = new FolderDataset(e, {
      inputSize: 30,
      margin: 0.25,
      seed: 1,
      batchSize: 2,
      pairs: false,
      valFraction: 0,
    });
    const s0 = await ds.load(e[0]);
    // the crop maps photo x to (x − 20 + ½)·30/60 − ½, and every confidence is the face's score
    const { lm } = makeFace(0 + 'alice'.length);
    expect(s0?.landmarks[0]).toBeCloseTo((lm[0] - 20 + 0.5) * 0.5 - 0.5, 4);
    expect(s0?.confidence.every((c) => Math.abs(c - 0.8) < 1e-6)).toBe(true);
    for (const [bad, re] of [
      [{ image: 'a.png', box: [1, 2, 3] }, /"box" must be \[x, y, width, height\]/],
      [{ image: 'a.png', box: [1, 2, 0, 4] }, /"box"/],
      [{ image: 'a.png', confidence: 1.5 }, /"confidence" must be a number in \(0, 1\]/],
    ] as const) {
      await writeFile(json, JSON.stringify([bad]));
      await expect(readManifest(json)).rejects.toThrow(re);
    }
  });

  it('jitters training crops reproducibly, never validation crops, and pairs single faces with themselves', async () => {
    const entries = (await listFolderDataset(root, { identity: 'none' })).filter(
      (x) => !/corrupt|broken/.test(x.image),
    );
    const mk = (jitter?: { scale: number; translate: number }) =>
      new FolderDataset(entries, {
        inputSize: 24,
        margin: 0.2,
        seed: 4,
        batchSize: 4,
        pairs: true,
        pairSingles: true,
        valFraction: 0,
        jitter,
      });
    const plain = mk();
    expect(plain.usesPairs).toBe(true);
    const a = await mk({ scale: 0.2, translate: 0.1 }).loadStep(3);
    const b = await mk({ scale: 0.2, translate: 0.1 }).loadStep(3);
    const c = await plain.loadStep(3);
    expect(a.pairs).toBe(2);
    // a single face pairs with itself: the two views are the same image file, cropped differently
    expect(a.samples[0].source).toBe(a.samples[2].source);
    expect(a.samples[0].landmarks).not.toEqual(a.samples[2].landmarks);
    expect(c.samples[0].landmarks).toEqual(c.samples[2].landmarks);
    expect(b.samples.map((s) => s.landmarks)).toEqual(a.samples.map((s) => s.landmarks));
    expect(a.samples[0].landmarks).not.toEqual(c.samples[0].landmarks);
    const val = mk({ scale: 0.2, translate: 0.1 });
    const v = await val.load(entries[0]);
    expect(v?.landmarks).toEqual((await plain.load(entries[0]))?.landmarks);
  });
});

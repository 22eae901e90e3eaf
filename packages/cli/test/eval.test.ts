import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend } from '@3dmm-stn/backend/node';
import { formatPts } from '@3dmm-stn/datasets';
import { extractTexture, FitStn } from '@3dmm-stn/fit';
import { defaultModel, resampleToGrid } from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { iou, matchFaces } from '../src/eval/labels';
import { modelLandmarks, summarise } from '../src/eval/run';
import { readRgb } from '../src/image';
import { faceDetector } from '../src/fit/run';
import { cli, samplePhoto, tempDir } from './helpers';

const part = (k: number, x: number, y: number) =>
  `      <part name='${String(k).padStart(2, '0')}' x='${x}' y='${y}'/>`;

function xmlFace(lm: Float32Array, dx: number, dy: number): string {
  const rows: string[] = [];
  for (let k = 0; k < 68; k++) rows.push(part(k, lm[2 * k] + dx, lm[2 * k + 1] + dy));
  return `    <box top='0' left='0' width='1' height='1'>\n${rows.join('\n')}\n    </box>`;
}

describe('eval', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm' });
  });

  it('matches by overlap, one to one, best first', () => {
    expect(iou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150);
    expect(
      matchFaces(
        [
          [0, 0, 10, 10],
          [100, 100, 10, 10],
          [1, 0, 10, 10],
        ],
        [
          [1, 0, 10, 10],
          [50, 50, 5, 5],
        ],
      ),
    ).toEqual([-1, -1, 0]);
  });

  it('projects the model landmarks on the host as the STN layer does', () => {
    const model = defaultModel();
    const grid = resampleToGrid(model, model.texCoords as Float32Array, 16);
    const g = new FitStn(grid);
    const theta = [
      0.1,
      -0.4,
      0.05,
      60,
      70,
      Math.log(0.5),
      0.5,
      -1,
      0.3,
      0,
      0.2,
      1,
      -0.5,
      0,
      0.1,
      0.3,
    ];
    const img = tf.zeros([1, 128, 128, 3]) as tf.Tensor4D;
    const fwd = extractTexture(g, img, theta);
    img.dispose();
    const host = modelLandmarks(grid, theta);
    expect(host.length).toBe(fwd.landmarks.length);
    for (let i = 0; i < host.length; i++) expect(host[i]).toBeCloseTo(fwd.landmarks[i], 2);
  });

  it('scores a labelled case it writes itself: exact detector NME, a missed face, unlabelled images', async () => {
    const dir = await tempDir();
    const photo = samplePhoto(1);
    const det = await (await faceDetector()).detect(await readRgb(photo));
    expect(det.faces.length).toBeGreaterThanOrEqual(2);
    const [a, b] = det.faces;
    // Labels: face a = the detector's landmarks shifted by (3, 4) px (error 5 px at every point),
    // face b = exactly the detector's, and a face where there is none (top-left corner).
    const ghost = new Float32Array(136);
    for (let k = 0; k < 68; k++) {
      ghost[2 * k] = 2 + (k % 10);
      ghost[2 * k + 1] = 2 + Math.floor(k / 10);
    }
    const xml = join(dir, 'labels.xml');
    await writeFile(
      xml,
      `<?xml version='1.0'?>\n<dataset><images>\n  <image file='${photo}'>\n${xmlFace(a.landmarks, 3, 4)}\n${xmlFace(b.landmarks, 0, 0)}\n${xmlFace(ghost, 0, 0)}\n  </image>\n  <image file='${join(dir, 'not-given.jpg')}'>\n${xmlFace(b.landmarks, 0, 0)}\n  </image>\n</images></dataset>\n`,
    );
    const r = await cli(
      'eval',
      photo,
      samplePhoto(2),
      '--labels',
      xml,
      '--method',
      'fit',
      '--steps',
      '30',
      '--json',
    );
    expect(r.code).toBe(0);
    const s = r.json();
    expect(s.labelledFaces).toBe(3);
    expect(s.matchedFaces).toBe(2);
    expect(s.missed).toHaveLength(1);
    expect(s.missed[0].label).toMatch(/labels\.xml:\d+$/);
    expect(s.unlabelledImages).toEqual([samplePhoto(2)]);
    expect(s.labelledImagesNotGiven).toEqual([join(dir, 'not-given.jpg')]);
    const eye = Math.hypot(a.landmarks[72] - a.landmarks[90], a.landmarks[73] - a.landmarks[91]);
    const [fa, fb, fg] = s.faces;
    expect(fa.methods.detector.nme).toBeCloseTo(5 / eye, 6);
    expect(fb.methods.detector.nme).toBeCloseTo(0, 6);
    expect(fg.matched).toBe(false);
    expect(fg.methods).toEqual({});
    // the fit is scored on the same faces; it fits the detector's points, so it lands near them
    expect(fb.methods.fit.nme).toBeGreaterThan(0);
    expect(fb.methods.fit.nme).toBeLessThan(0.15);
    expect(fa.methods.fit.nme).toBeGreaterThan(fb.methods.fit.nme);
    // means over the matched faces only; the miss is counted, not averaged
    expect(s.methods.detector.faces).toBe(2);
    expect(s.methods.detector.missed).toBe(1);
    expect(s.methods.detector.nme).toBeCloseTo((5 / eye + 0) / 2, 6);
    const inBuckets = s.methods.fit.byYaw.reduce(
      (n: number, y: { faces: number }) => n + y.faces,
      0,
    );
    expect(inBuckets).toBe(2);
    // the human report lists the miss
    const h = await cli('eval', photo, '--labels', xml, '--method', 'fit', '--steps', '5');
    expect(h.stdout).toMatch(/\| detector \| 2 \(\+1 missed\)/);
    expect(h.stdout).toMatch(/missed \(no detected face/);
  });

  it('reads a folder of .pts labels (one face per photo, matched by file stem)', async () => {
    const dir = await tempDir();
    const photo = samplePhoto(3);
    const det = await (await faceDetector()).detect(await readRgb(photo));
    const face = det.faces[0];
    await mkdir(join(dir, 'pts'));
    await writeFile(join(dir, 'pts', 'sample3.pts'), formatPts(face.landmarks));
    const r = await cli('eval', photo, '--labels', join(dir, 'pts'), '--method', 'fit', '--json');
    expect(r.code).toBe(0);
    const s = r.json();
    expect(s.labelledFaces).toBe(1);
    expect(s.matchedFaces).toBe(1);
    // .pts is 1-based on disk: read back to the detector's own 0-based points, error ≈ 0
    expect(s.faces[0].methods.detector.nme).toBeLessThan(1e-5);
  });

  it('puts faces in yaw buckets [0, 30), [30, 60), [60, 90]', () => {
    const face = (yaw: number, nme: number) => ({
      image: 'x',
      label: 'l',
      box: [0, 0, 1, 1] as [number, number, number, number],
      matched: true,
      iou: 1,
      yaw,
      yawFrom: 'fit' as const,
      truePose: null,
      methods: { fit: { nme, nmeBox: nme / 2, nme68: null, seconds: 1 } },
    });
    const s = summarise([face(10, 0.1), face(45, 0.2), face(80, 0.4), face(30, 0.3)], 'fit');
    expect(s.byYaw.map((b) => b.faces)).toEqual([1, 2, 1]);
    expect(s.byYaw[1].nme).toBeCloseTo(0.25);
    expect(s.nme).toBeCloseTo(0.25);
  });

  it('names the line of a label file that does not parse', async () => {
    const dir = await tempDir();
    const xml = join(dir, 'bad.xml');
    await writeFile(
      xml,
      `<dataset><images>\n<image file='a.jpg'>\n<box top='1' left='x' width='2' height='3'/>\n</image></images></dataset>\n`,
    );
    const r = await cli('eval', samplePhoto(1), '--labels', xml);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.xml:3: <box> attribute left='x' must be a finite number/);
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fitImages } from '@3dmm-stn/cli';
import {
  ARKIT_FIT_EXPRESSIONS,
  defaultModel,
  fittingModes,
  readObj,
  resampleToGrid,
  projectScaledOrthographic,
} from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import { type FitRecord, fitPose } from '@3dmm-stn/fit';
import { cli, samplePhoto, tempDir } from './helpers';

let dir: string;
let cropped: string;
let blank: string;
let broken: string;

beforeAll(async () => {
  dir = await tempDir();
  // A face filling a small image, as face datasets ship them (the largest face of sample1,
  // cropped so tightly that neither detector finds it before the image is padded).
  cropped = join(dir, 'cropped.png');
  await sharp(samplePhoto(1))
    .extract({ left: 1500, top: 270, width: 160, height: 160 })
    .resize(112, 112)
    .png()
    .toFile(cropped);
  blank = join(dir, 'blank.png');
  await sharp({ create: { width: 160, height: 120, channels: 3, background: [128, 140, 150] } })
    .png()
    .toFile(blank);
  broken = join(dir, 'broken.jpg');
  await writeFile(broken, 'not a JPEG');
});

const readRecord = async (f: string): Promise<FitRecord> => JSON.parse(await readFile(f, 'utf8'));

describe('fit on the default model', () => {
  let out: string;
  let run: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    out = join(dir, 'fit-default');
    run = await cli(
      'fit',
      samplePhoto(1),
      broken,
      cropped,
      blank,
      '--out',
      out,
      '--max-faces',
      '2',
      '--res',
      '64',
      '--steps',
      '20',
      '--json',
    );
  });

  it('fits the photos, reports each bad file with its path, exits 1', () => {
    expect(run.code).toBe(1);
    const s = run.json();
    expect(s.images).toBe(4);
    expect(s.faces).toBe(3); // two of sample1 (--max-faces 2) and the cropped one
    expect(s.failed.map((f: { image: string }) => f.image)).toEqual([broken, blank]);
    expect(s.failed[0].error).toMatch(/broken\.jpg: cannot read image/);
    expect(s.failed[1].error).toMatch(/blank\.png: no face found/);
    expect(run.stderr).toMatch(/broken\.jpg/);
    expect(run.stderr).not.toMatch(/\[=|░/); // no progress bar with --json
    expect(s.detections).toHaveLength(2);
    for (const d of s.detections) expect(d.cpuSeconds).toBeGreaterThan(0);
  });

  it('finds the already-cropped face by padding; a face-less image goes through every detector and the padding', () => {
    const s = run.json();
    const rec = s.records.find((r: FitRecord) => r.image === cropped) as FitRecord;
    expect(rec).toBeDefined();
    expect(rec.detection.padded).toBe(true);
    const attempts: string[] = s.detections.find(
      (d: { image: string }) => d.image === cropped,
    ).attempts;
    expect(attempts.slice(0, 2)).toEqual(['ssd: 0 face(s)', 'tiny: 0 face(s)']);
    expect(attempts[2]).toMatch(/^ssd padded 56px: 1 face/);
    // Landmarks are in the pixels of the unpadded 112 × 112 image (the crop cuts the chin, so
    // some lie a little outside it; the padding would shift them by 56).
    let cx = 0;
    let cy = 0;
    for (const [x, y] of rec.landmarks.detected) {
      cx += x / 68;
      cy += y / 68;
      expect(x).toBeGreaterThan(-25);
      expect(x).toBeLessThan(137);
      expect(y).toBeGreaterThan(-25);
      expect(y).toBeLessThan(137);
    }
    expect(Math.abs(cx - 55.5)).toBeLessThan(20);
    expect(Math.abs(cy - 55.5)).toBeLessThan(20);
    expect(rec.error.rmsNormalised).toBeLessThan(0.15);
    const blankFailure = s.failed.find((f: { image: string }) => f.image === blank).error;
    expect(blankFailure).toMatch(
      /tried ssd: 0 face\(s\); tiny: 0 face\(s\); ssd padded 80px: 0 face\(s\); tiny padded 80px: 0 face\(s\)/,
    );
  });

  it('writes the UV, mask, masked UV, preview PNGs at their sizes', async () => {
    const s = run.json();
    for (const r of s.records as FitRecord[]) {
      for (const [f, w, c] of [
        [r.files.uv, 64, 3],
        [r.files.mask, 64, 1],
        [r.files.maskedUv, 64, 3],
        [r.files.preview, 512, 3],
      ] as const) {
        const m = await sharp(f).metadata();
        expect([m.format, m.width, m.height, m.channels]).toEqual(['png', w, w, c]);
      }
    }
    // The whole-photo preview: sample1 (1920 × 1280) at 1280 × 853; the cropped face at its size.
    const o1 = await sharp(join(out, 'sample1.preview.png')).metadata();
    expect([o1.width, o1.height]).toEqual([1280, 853]);
    const o2 = await sharp(join(out, 'cropped.preview.png')).metadata();
    expect([o2.width, o2.height]).toEqual([112, 112]);
  });

  it('writes a JSON record whose θ reproduces its fitted landmarks in photo pixels', async () => {
    const s = run.json();
    const rec = await readRecord((s.records[0] as FitRecord).files.json);
    // the default ICT model's fitting modes: 40 identity + 36 ARKit blendshapes
    expect(rec.theta).toHaveLength(6 + 40 + 36);
    // the head pose of θ, in both conventions (fit's `fitPose`)
    const pose = fitPose(rec.theta);
    expect(rec.pose.yaw).toBeCloseTo(pose.yaw, 10);
    expect(rec.pose.rotation).toEqual(pose.rotation);
    expect(rec.pose.posePara.yaw).toBeCloseTo(pose.posePara.yaw, 10);
    expect(rec.modes).toEqual({ shape: 40, expression: 36 });
    // the blendshape weights by name, in θ's order, inside [0, 1]
    expect(Object.keys(rec.expressions ?? {})).toEqual([...ARKIT_FIT_EXPRESSIONS]);
    Object.values(rec.expressions ?? {}).forEach((w, k) => {
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThanOrEqual(1);
      expect(w).toBeCloseTo(rec.theta[46 + k], 3);
    });
    expect(rec.optimisation?.contour).toBe(false); // off by default (measured, README)
    expect(rec.landmarks.detected).toHaveLength(68);
    expect(rec.landmarks.fitted).toHaveLength(68);
    expect(rec.landmarks.fitted.every((p) => p !== null)).toBe(true);
    // Independent re-projection (float64) of the model's landmark rows with the record's θ.
    const model = defaultModel();
    const grid = resampleToGrid(model, model.texCoords as Float32Array, 64, fittingModes(model));
    const D = grid.numModes;
    const L = grid.landmarkIds.length;
    const X = new Float64Array(3 * L);
    for (let i = 0; i < 3 * L; i++) {
      X[i] = grid.landmarkMean[i];
      for (let d = 0; d < D; d++) X[i] += rec.theta[6 + d] * grid.landmarkBasis[d * 3 * L + i];
    }
    const p = projectScaledOrthographic(
      X,
      rec.theta.slice(0, 3),
      rec.theta.slice(3, 5),
      rec.theta[5],
    );
    grid.landmarkIds.forEach((id, l) => {
      const f = rec.landmarks.fitted[id - 1] as [number, number];
      expect(Math.abs(f[0] - p[2 * l])).toBeLessThan(0.05);
      expect(Math.abs(f[1] - p[2 * l + 1])).toBeLessThan(0.05);
    });
    // RMS recomputed from the two landmark sets; the fit is good (< 10 % of the eye-corner distance).
    let sq = 0;
    for (let i = 0; i < 68; i++) {
      const f = rec.landmarks.fitted[i] as [number, number];
      sq += (f[0] - rec.landmarks.detected[i][0]) ** 2 + (f[1] - rec.landmarks.detected[i][1]) ** 2;
    }
    expect(rec.error.rmsPx).toBeCloseTo(Math.sqrt(sq / 68), 4);
    expect(rec.error.rmsNormalised).toBeLessThan(0.1);
    // The fitted face lies inside the detection box (± a quarter of its size).
    const [bx, by, bw, bh] = rec.detection.box;
    expect(rec.theta[3]).toBeGreaterThan(bx - bw / 4);
    expect(rec.theta[3]).toBeLessThan(bx + bw * 1.25);
    expect(rec.theta[4]).toBeGreaterThan(by - bh / 4);
    expect(rec.theta[4]).toBeLessThan(by + bh * 1.25);
  });

  it('the UV image is upright and centred: detected eyes, nose and mouth land where the UV grid has them', async () => {
    const rec = run.json().records[0] as FitRecord;
    const res = 64;
    const grid = resampleToGrid(defaultModel(), defaultModel().texCoords as Float32Array, res);
    const D = grid.numModes;
    const np = res * res;
    const X = new Float64Array(3 * np);
    for (let i = 0; i < 3 * np; i++) {
      X[i] = grid.mean[i];
      for (let d = 0; d < D; d++) X[i] += rec.theta[6 + d] * grid.basis[d * 3 * np + i];
    }
    const px = projectScaledOrthographic(
      X,
      rec.theta.slice(0, 3),
      rec.theta.slice(3, 5),
      rec.theta[5],
    );
    // UV (row, column) of the grid point whose projection is nearest to the mean of detected points.
    const uvOf = (ids: number[]): [number, number] => {
      const x = ids.reduce((a, id) => a + rec.landmarks.detected[id - 1][0], 0) / ids.length;
      const y = ids.reduce((a, id) => a + rec.landmarks.detected[id - 1][1], 0) / ids.length;
      let best = -1;
      let bd = Infinity;
      for (let p = 0; p < np; p++) {
        if (!grid.valid[p]) continue;
        const d = (px[2 * p] - x) ** 2 + (px[2 * p + 1] - y) ** 2;
        if (d < bd) {
          bd = d;
          best = p;
        }
      }
      return [Math.floor(best / res), best % res];
    };
    const rightEye = uvOf([37, 38, 39, 40, 41, 42]); // the subject's right: image left
    const leftEye = uvOf([43, 44, 45, 46, 47, 48]);
    const nose = uvOf([31]);
    const mouth = uvOf([49, 55, 52, 58]);
    expect(rightEye[1]).toBeLessThan(res / 2);
    expect(leftEye[1]).toBeGreaterThan(res / 2);
    expect(Math.abs(rightEye[0] - leftEye[0])).toBeLessThanOrEqual(3); // level: upright
    expect(Math.abs(rightEye[1] + leftEye[1] - (res - 1))).toBeLessThanOrEqual(4); // mirror pair: centred
    expect(Math.abs(nose[1] - (res - 1) / 2)).toBeLessThanOrEqual(3);
    expect(rightEye[0]).toBeLessThan(nose[0]);
    expect(nose[0]).toBeLessThan(mouth[0]);
    expect(Math.abs(mouth[1] - (res - 1) / 2)).toBeLessThanOrEqual(3);
  });

  it('writes an OBJ (+ MTL) that reads back with grid UVs and the UV texture', async () => {
    const rec = run.json().records[0] as FitRecord;
    const mesh = readObj(await readFile(rec.files.obj, 'utf8'), rec.files.obj);
    const model = defaultModel();
    const grid = resampleToGrid(model, model.texCoords as Float32Array, 64, fittingModes(model));
    let valid = 0;
    for (const v of grid.valid) valid += v;
    expect(mesh.positions.length / 3).toBe(valid);
    expect(mesh.triangles.length).toBe(grid.triangles.length);
    expect(mesh.texCoords?.length).toBe(2 * valid);
    expect(mesh.materialLibraries).toEqual([rec.files.mtl.split('/').pop()]);
    expect(await readFile(rec.files.mtl, 'utf8')).toMatch(/map_Kd .*\.uv\.png/);
  });

  it('render with the record and its uv.png puts the face back where it was in the photo', async () => {
    const rec = run.json().records[0] as FitRecord;
    const out = join(dir, 'rerender.png');
    const r = await cli(
      'render',
      'default',
      '--theta',
      rec.files.json,
      '--texture',
      rec.files.uv,
      '--out',
      out,
      '--json',
    );
    expect(r.code).toBe(0);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual(rec.imageSize);
    const [W] = rec.imageSize;
    const [a, b] = await Promise.all(
      [out, samplePhoto(1)].map((f) => sharp(f).removeAlpha().raw().toBuffer()),
    );
    // Around the nose, eyes and mouth (detected landmarks 31, 37, 46, 52) the re-rendered face
    // has the photo's colours (the texture is right way up and not mirrored).
    for (const id of [31, 37, 46, 52]) {
      const [x, y] = rec.landmarks.detected[id - 1].map(Math.round);
      let diff = 0;
      let n = 0;
      for (let dy = -3; dy <= 3; dy++)
        for (let dx = -3; dx <= 3; dx++)
          for (let c = 0; c < 3; c++) {
            const o = 3 * ((y + dy) * W + x + dx) + c;
            diff += Math.abs(a[o] - b[o]);
            n++;
          }
      expect(diff / n).toBeLessThan(40);
    }
  });

  it('sample with the record reproduces the fit UV image', async () => {
    const rec = run.json().records[0] as FitRecord;
    const uv = join(dir, 'resampled.png');
    const mask = join(dir, 'resampled-mask.png');
    const r = await cli(
      'sample',
      '--image',
      samplePhoto(1),
      '--theta',
      rec.files.json,
      '--res',
      '64',
      '--out',
      uv,
      '--mask',
      mask,
      '--json',
    );
    expect(r.code).toBe(0);
    const [a, b] = await Promise.all([uv, rec.files.uv].map((f) => sharp(f).raw().toBuffer()));
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThanOrEqual(1);
    const [m1, m2] = await Promise.all(
      [mask, rec.files.mask].map((f) => sharp(f).raw().toBuffer()),
    );
    expect(Buffer.compare(m1, m2)).toBe(0);
  });
});

describe('fit on the SFM fixture', () => {
  it('fits with --model/--landmarks; points the SFM lacks are null', async () => {
    const out = join(dir, 'fit-sfm');
    const r = await cli(
      'fit',
      samplePhoto(4),
      '--out',
      out,
      '--model',
      fixturePath('sfm', 'sfm_shape_3448.bin'),
      '--landmarks',
      fixturePath('sfm', 'ibug_to_sfm.txt'),
      '--res',
      '48',
      '--steps',
      '20',
      '--max-faces',
      '1',
      '--json',
    );
    expect(r.code).toBe(0);
    const rec = r.json().records[0] as FitRecord;
    const nulls = rec.landmarks.fitted.flatMap((p, i) => (p === null ? [i + 1] : []));
    expect(nulls).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 61, 65]);
    expect(rec.error.points).toBe(50);
    expect(rec.error.rmsNormalised).toBeLessThan(0.12);
    expect(rec.modes).toEqual({ shape: 5, expression: 0 });
    const m = await sharp(rec.files.uv).metadata();
    expect([m.width, m.height]).toEqual([48, 48]);
  });
});

describe('fitImages', () => {
  it('leaves no tensors behind', async () => {
    const out = join(dir, 'leak');
    const model = defaultModel();
    const opts = { outDir: out, model, res: 32, steps: 5, maxFaces: 1, backend: 'wasm' as const };
    await fitImages([cropped], opts);
    const before = tf.memory().numTensors;
    const s = await fitImages([cropped], opts);
    expect(s.faces).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});

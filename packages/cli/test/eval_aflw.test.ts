import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend } from '@3dmm-stn/backend/node';
import { formatPts } from '@3dmm-stn/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { num, writeMat } from '../../morphable-model/test/mat-writer';
import { LabelFormatError } from '../src/errors';
import { parseAflwMat, roiBoxFromLandmarks } from '../src/eval/aflw';
import { readLabels } from '../src/eval/labels';
import { type FaceResult, summarise } from '../src/eval/run';
import { faceDetector } from '../src/fit/run';
import { readRgb } from '../src/image';
import { cli, samplePhoto, tempDir } from './helpers';

/** An AFLW2000-3D-style label: pt3d_68 3 × 68 in MATLAB's 1-based pixels, Pose_Para 1 × 7. */
function aflwMat(lm0: ArrayLike<number>, pose: [number, number, number]): Uint8Array {
  const pt = new Float64Array(3 * 68);
  for (let k = 0; k < 68; k++) {
    pt[3 * k] = lm0[2 * k] + 1;
    pt[3 * k + 1] = lm0[2 * k + 1] + 1;
    pt[3 * k + 2] = 10 * k; // depth: read and ignored
  }
  return writeMat(
    {
      pt3d_68: num('double', [3, 68], pt),
      Pose_Para: num('single', [1, 7], [...pose, 200, 210, 0, 0.0015]),
      pt2d: num('double', [2, 21], new Float64Array(42)),
    },
    { compress: true },
  );
}

const grid68 = (dx = 0) => {
  const lm = new Float32Array(136);
  for (let k = 0; k < 68; k++) {
    lm[2 * k] = 100 + dx + 3 * (k % 17);
    lm[2 * k + 1] = 120 + 4 * Math.floor(k / 17);
  }
  return lm;
};

describe('AFLW2000-3D .mat labels', () => {
  it('reads pt3d_68 as 0-based pixels (MATLAB minus 1) and Pose_Para as radians', async () => {
    const lm = grid68();
    const l = await parseAflwMat(aflwMat(lm, [0.1, -0.7, 0.2]), 'image00002.mat');
    for (let i = 0; i < 136; i++) expect(l.landmarks[i]).toBeCloseTo(lm[i], 5);
    expect(l.pose.pitch).toBeCloseTo(0.1, 6);
    expect(l.pose.yaw).toBeCloseTo(-0.7, 6);
    expect(l.pose.roll).toBeCloseTo(0.2, 6);
  });

  it('a .mat without pt3d_68, with the wrong shape, or not a MAT file: a typed error naming file and expectation', async () => {
    const noPt = writeMat({ Pose_Para: num('double', [1, 7], [0, 0, 0, 0, 0, 0, 1]) });
    const e1 = await parseAflwMat(noPt, 'a.mat').catch((e) => e);
    expect(e1).toBeInstanceOf(LabelFormatError);
    expect(e1.message).toMatch(/^a\.mat: expected a variable pt3d_68 \(3 × 68\)/);
    const wrong = writeMat({
      pt3d_68: num('double', [2, 68], new Float64Array(136)),
      Pose_Para: num('double', [1, 7], [0, 0, 0, 0, 0, 0, 1]),
    });
    await expect(parseAflwMat(wrong, 'b.mat')).rejects.toThrow(
      /^b\.mat: expected pt3d_68 to be 3 × 68, got 2 × 68/,
    );
    const noPose = writeMat({ pt3d_68: num('double', [3, 68], new Float64Array(204)) });
    await expect(parseAflwMat(noPose, 'c.mat')).rejects.toThrow(
      /^c\.mat: expected a variable Pose_Para \(1 × 7 or 7 × 1\)/,
    );
    await expect(parseAflwMat(new Uint8Array(200), 'd.mat')).rejects.toBeInstanceOf(
      LabelFormatError,
    );
  });

  it('a label folder mixing .pts and .mat is refused, naming the folder', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'image00002.mat'), aflwMat(grid68(), [0, 0, 0]));
    await writeFile(join(dir, 'image00004.pts'), formatPts(grid68()));
    const e = await readLabels(dir).catch((x) => x);
    expect(e).toBeInstanceOf(LabelFormatError);
    expect(e.message).toContain(dir);
    expect(e.message).toMatch(/one label format per folder, found 1 \.pts and 1 \.mat/);
    // and through the CLI: exit 1 with the message
    const r = await cli('eval', samplePhoto(1), '--labels', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/one label format per folder/);
  });

  it("3DDFA's crop: the landmarks' box made square by its larger side, × √2 about its centre", () => {
    const lm = new Float32Array(136).fill(Number.NaN);
    lm.set([10, 20, 50, 40], 0); // box 40 × 20 centred at (30, 30)
    const [x, y, w, h] = roiBoxFromLandmarks(lm);
    expect(w).toBeCloseTo(40 * Math.SQRT2, 10);
    expect(h).toBeCloseTo(w, 10);
    expect(x + w / 2).toBeCloseTo(30, 10);
    expect(y + h / 2).toBeCloseTo(30, 10);
  });

  it('summarises the protocol: 68-point NME by ground-truth |yaw| bucket, mean of bucket means, pose MAE', () => {
    const face = (yaw: number, nme68: number | null, poseError?: number[]): FaceResult => ({
      image: 'x',
      label: 'l',
      box: [0, 0, 1, 1],
      matched: true,
      iou: 1,
      yaw,
      yawFrom: 'labels',
      truePose: { pitch: 0, yaw, roll: 0 },
      methods: {
        fit: {
          nme: 0,
          nmeBox: 0,
          nme68,
          seconds: 1,
          ...(poseError
            ? { poseError: { yaw: poseError[0], pitch: poseError[1], roll: poseError[2] } }
            : {}),
        },
      },
    });
    const s = summarise(
      [
        face(5, 0.02, [1, 2, 3]),
        face(20, 0.04, [3, 2, 1]),
        face(45, 0.06),
        face(95, 0.12, [8, 5, 2]), // past 90°: the last bucket, as 3DDFA's yaw > 60
      ],
      'fit',
    );
    expect(s.nme68?.byYaw.map((b) => b.faces)).toEqual([2, 1, 1]);
    expect(s.nme68?.byYaw[0].nme).toBeCloseTo(0.03, 12);
    // mean of the bucket means (0.03, 0.06, 0.12), not of the faces (0.06)
    expect(s.nme68?.meanOfBuckets).toBeCloseTo(0.07, 12);
    expect(s.poseMae?.faces).toBe(3);
    expect(s.poseMae?.yaw).toBeCloseTo(4, 12);
    expect(s.poseMae?.mean).toBeCloseTo((4 + 3 + 2) / 3, 12);
    // a method with fewer than 68 points has no protocol NME
    expect(summarise([face(5, null)], 'fit').nme68).toBeNull();
  });
});

describe('eval --labels <folder of .mat>', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm' });
  });

  it('scores 68 points against pt3d_68, pose against Pose_Para, lists unlabelled photos; --crop labels crops from them', async () => {
    const dir = await tempDir();
    const photo = samplePhoto(3);
    const det = await (await faceDetector()).detect(await readRgb(photo));
    const face = det.faces[0];
    await mkdir(join(dir, 'labels'));
    const pose: [number, number, number] = [0.1, -0.6, 0.05];
    await writeFile(join(dir, 'labels', 'sample3.mat'), aflwMat(face.landmarks, pose));
    const r = await cli(
      'eval',
      photo,
      samplePhoto(2),
      '--labels',
      join(dir, 'labels'),
      '--method',
      'fit',
      '--steps',
      '20',
      '--json',
    );
    expect(r.code).toBe(0);
    const s = r.json();
    expect(s.crop).toBe('detector');
    expect(s.unlabelledImages).toEqual([samplePhoto(2)]);
    expect(s.matchedFaces).toBe(1);
    const f = s.faces[0];
    // the yaw bucket is the ground truth's (34°), not the fitted one
    expect(f.yawFrom).toBe('labels');
    expect(f.yaw).toBeCloseTo((0.6 * 180) / Math.PI, 4);
    expect(f.truePose.pitch).toBeCloseTo((0.1 * 180) / Math.PI, 4);
    // the labels are the detector's own points (1-based on disk): its 68-point NME is 0
    expect(f.methods.detector.nme68).toBeLessThan(1e-5);
    expect(f.methods.detector.pose).toBeUndefined();
    // the fit carries its pose, and its error is measured in Pose_Para's convention
    const fit = f.methods.fit;
    expect(fit.pose.rotation).toHaveLength(3);
    const dYaw = Math.abs((fit.pose.posePara.yaw * 180) / Math.PI - f.truePose.yaw);
    expect(fit.poseError.yaw).toBeCloseTo(dYaw, 6);
    expect(fit.nme68).toBeGreaterThan(0);
    expect(s.methods.fit.nme68.byYaw.map((b: { faces: number }) => b.faces)).toEqual([0, 1, 0]);
    expect(s.methods.fit.poseMae.faces).toBe(1);
    expect(s.methods.fit.poseMae.yaw).toBeCloseTo(fit.poseError.yaw, 6);
    // the human report has the protocol table
    const h = await cli(
      'eval',
      photo,
      '--labels',
      join(dir, 'labels'),
      '--method',
      'fit',
      '--steps',
      '5',
    );
    expect(h.stdout).toMatch(
      /AFLW2000-3D protocol \(3DDFA\).*by ground-truth \|yaw\|; crop: detector/,
    );
    expect(h.stdout).toMatch(
      /\| fit \| – \| [\d.]+ % \(1\) \| – \| n\/a \(empty bucket\) \| [\d.]+° \/ /,
    );

    // --crop labels: no detection, the square from pt3d_68, face-api's landmarks inside it
    const c = await cli(
      'eval',
      photo,
      '--labels',
      join(dir, 'labels'),
      '--crop',
      'labels',
      '--method',
      'fit',
      '--steps',
      '20',
      '--json',
    );
    expect(c.code).toBe(0);
    const cs = c.json();
    expect(cs.crop).toBe('labels');
    expect(cs.matchedFaces).toBe(1);
    // the landmark net sees the face in a tighter square than the detector's: close, not equal
    expect(cs.faces[0].methods.detector.nme68).toBeLessThan(0.05);
    expect(cs.faces[0].methods.fit.poseError).toBeDefined();
    const bad = await cli('eval', photo, '--labels', join(dir, 'labels'), '--crop', 'box');
    expect(bad.code).toBe(2);
  });
});

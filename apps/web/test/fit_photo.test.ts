/**
 * The page's fitting path in Node (no browser): a photo whose 68 landmarks are the default
 * model's own landmarks projected with a known pose, given as the page holds it (RGBA canvas
 * bytes), through `fitPhoto` → the CLI's record, the downloads' OBJ/MTL, and no tensor leaks.
 */
import { selectBackend } from '@3dmm-stn/backend/node';
import { type DetectedFace, FitStn, faceFileNames, meshFiles, photoStem } from '@3dmm-stn/fit';
import {
  defaultModel,
  eulerDegreesFromAxisAngle,
  fittingModes,
  type GridModel,
  projectScaledOrthographic,
  readObj,
  symmetricGrid,
} from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitPhoto } from '../src/fit_photo';

const W = 320;
const H = 240;
// Yaw ≈ 11°: below the contour step's 15°, so the model-consistent jaw points keep their vertices.
const truth = { r: [0.05, 0.2, -0.1], t: [165, 118], logS: Math.log(1.1) };

let grid: GridModel;
let stn: FitStn;

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  const model = defaultModel();
  grid = symmetricGrid(model, 64, fittingModes(model)).grid;
  stn = new FitStn(grid);
});
afterAll(() => stn?.dispose());

/** A smooth RGBA photo and the face whose landmarks are the model's, projected with `truth`. */
function scene(): { rgba: Uint8ClampedArray; face: DetectedFace } {
  const rgba = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const o = 4 * (y * W + x);
      rgba.set(
        [(x * 255) / W, (y * 255) / H, 128 + 60 * Math.sin(x / 9), x % 7 === 0 ? 0 : 255],
        o,
      );
    }
  const p = projectScaledOrthographic(grid.landmarkMean, truth.r, truth.t, truth.logS);
  const landmarks = new Float32Array(136).fill(Number.NaN);
  grid.landmarkIds.forEach((id, l) => {
    landmarks[2 * (id - 1)] = p[2 * l];
    landmarks[2 * (id - 1) + 1] = p[2 * l + 1];
  });
  return {
    rgba,
    face: { box: [110, 60, 110, 120], score: 0.9, detector: 'ssd', padded: false, landmarks },
  };
}

describe('fitPhoto (the page’s CLI-equivalent fit)', () => {
  it('recovers the pose of model-consistent landmarks and fills the CLI record', () => {
    const { rgba, face } = scene();
    const photo = { data: rgba, width: W, height: H, channels: 4 as const };
    const before = tf.memory().numTensors;
    const { records, fits } = fitPhoto('dir/sample.photo.jpg', photo, [face], stn, {
      decodeSeconds: 0.01,
      detectSeconds: 0.02,
    });
    const again = fitPhoto('dir/sample.photo.jpg', photo, [face], stn);
    expect(tf.memory().numTensors).toBe(before);
    expect(records).toHaveLength(1);
    const r = records[0];
    expect(r.image).toBe('dir/sample.photo.jpg');
    expect(r.imageSize).toEqual([W, H]);
    expect(r.method).toBe('optimisation');
    // ARKit blendshape weights by name, inside [0, 1] (the neutral face: near 0)
    expect(Object.keys(r.expressions ?? {})).toEqual(grid.expressionNames);
    expect(r.expressions?.jawOpen).toBeGreaterThanOrEqual(0);
    for (const w of Object.values(r.expressions ?? {})) expect(w).toBeLessThanOrEqual(1);
    expect(r.files).toEqual(faceFileNames('sample.photo', 0));
    expect(r.files.obj).toBe('sample.photo.face0.obj');
    // Landmarks the model can reproduce exactly: the fit lands on them and on the pose.
    expect(r.error.rmsPx).toBeLessThan(1);
    const got = eulerDegreesFromAxisAngle(r.theta);
    const want = eulerDegreesFromAxisAngle(truth.r);
    expect(Math.abs(got.yaw - want.yaw)).toBeLessThan(2);
    expect(Math.abs(got.pitch - want.pitch)).toBeLessThan(2);
    expect(Math.abs(got.roll - want.roll)).toBeLessThan(2);
    // The record carries the pose itself (the page shows and downloads it): θ's, in degrees.
    expect(r.pose.yaw).toBeCloseTo(got.yaw, 10);
    expect(r.pose.pitch).toBeCloseTo(got.pitch, 10);
    expect(r.pose.roll).toBeCloseTo(got.roll, 10);
    expect(r.pose.rotation).toHaveLength(3);
    expect(JSON.parse(JSON.stringify(r)).pose.posePara.yaw).toBeCloseTo(r.pose.posePara.yaw, 12);
    expect(r.theta[3]).toBeCloseTo(truth.t[0], -0.5);
    expect(r.seconds.stages?.detect).toBe(0.02);
    // No CPU clock in a page: NaN, written as null.
    expect(JSON.parse(JSON.stringify(r)).seconds.fitCpu).toBeNull();
    // Deterministic: the same photo gives the same θ.
    expect(again.records[0].theta).toEqual(r.theta);
    expect(fits[0].forward.uv).toHaveLength(64 * 64 * 3);
  });

  it('reads RGBA pixels as the RGB photo (alpha ignored): same θ and texture', () => {
    const { rgba, face } = scene();
    const rgb = new Uint8Array(W * H * 3);
    for (let p = 0; p < W * H; p++) rgb.set(rgba.subarray(4 * p, 4 * p + 3), 3 * p);
    const a = fitPhoto('a.png', { data: rgba, width: W, height: H, channels: 4 }, [face], stn);
    const b = fitPhoto('a.png', { data: rgb, width: W, height: H, channels: 3 }, [face], stn);
    expect(a.records[0].theta).toEqual(b.records[0].theta);
    expect(Array.from(a.fits[0].forward.uv)).toEqual(Array.from(b.fits[0].forward.uv));
  });

  it('the OBJ download is the fitted mesh: valid grid points, grid UVs, the MTL names the UV PNG', () => {
    const { rgba, face } = scene();
    const { records, fits } = fitPhoto(
      'x.jpg',
      { data: rgba, width: W, height: H, channels: 4 },
      [face],
      stn,
    );
    const files = records[0].files;
    const { obj, mtl } = meshFiles(fits[0].forward, grid, files, 'test');
    const mesh = readObj(obj);
    let valid = 0;
    for (const v of grid.valid) valid += v;
    expect(mesh.positions.length / 3).toBe(valid);
    expect(mesh.triangles.length).toBe(grid.triangles.length);
    expect(obj).toContain(`mtllib ${files.mtl}`);
    expect(mtl).toContain(`map_Kd ${files.uv}`);
    // The first valid point's position is the morphed vertex (mm), not its pixel.
    const p0 = grid.valid.indexOf(1);
    for (let c = 0; c < 3; c++)
      expect(mesh.positions[c]).toBeCloseTo(fits[0].forward.vertices[3 * p0 + c], 3);
  });

  it('names files by the photo stem, as the CLI', () => {
    expect(photoStem('C:\\x\\IMG_1.JPG')).toBe('IMG_1');
    expect(photoStem('.hidden')).toBe('.hidden');
    expect(photoStem('')).toBe('photo');
    expect(faceFileNames('s', 2)).toMatchObject({
      uv: 's.face2.uv.png',
      overview: 's.preview.png',
      json: 's.face2.json',
    });
  });
});

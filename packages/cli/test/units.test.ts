import { selectBackend } from '@3dmm-stn/backend';
import { defaultModel, resampleToGrid, rotationFromAxisAngle } from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cropFrame, cropImage, fromCrop, thetaToPhoto, toCrop } from '../src/fit/crop';
import { mostlyInside, padImage } from '../src/fit/faces';
import { axisAngleFromMatrix, initialPose, projectPoints, weightedRms } from '../src/fit/init';
import { optimiseTheta, symmetrySubgrid } from '../src/fit/optimise';
import { uniqueStems } from '../src/fit/run';
import { gridTensors } from '../src/fit/stn';

const grid = resampleToGrid(defaultModel(), defaultModel().texCoords as Float32Array, 40);
const L = grid.landmarkIds.length;

/** Landmarks of the grid model for θ (float64, independent of tfjs). */
function landmarksFor(theta: number[]): Float64Array {
  const D = grid.numModes;
  const X = new Float64Array(3 * L);
  for (let i = 0; i < 3 * L; i++) {
    X[i] = grid.landmarkMean[i];
    for (let d = 0; d < D; d++) X[i] += theta[6 + d] * grid.landmarkBasis[d * 3 * L + i];
  }
  return projectPoints(X, theta.slice(0, 3), theta.slice(3, 5), theta[5]);
}

describe('axisAngleFromMatrix', () => {
  it('inverts rotationFromAxisAngle, including tiny and near-π angles', () => {
    for (const r of [
      [0.3, -0.2, 0.1],
      [1e-8, 0, -2e-8],
      [0, 0, 0],
      [0, 3.1, 0],
      [-1.2, 0.4, 2.2],
    ]) {
      const back = axisAngleFromMatrix(rotationFromAxisAngle(r));
      for (let k = 0; k < 3; k++) expect(back[k]).toBeCloseTo(r[k], 5);
    }
  });
});

describe('initialPose', () => {
  it('recovers a known pose exactly from noiseless landmarks (affine camera)', () => {
    const theta = [0.15, -0.45, 0.2, 120, 95, Math.log(0.9), ...new Array(grid.numModes).fill(0)];
    const p = landmarksFor(theta);
    const w = new Float32Array(L).fill(1);
    const pose = initialPose(grid.landmarkMean, p, w);
    expect(pose.method).toBe('affine');
    expect(pose.rms).toBeLessThan(1e-3);
    for (let k = 0; k < 3; k++) expect(pose.r[k]).toBeCloseTo(theta[k], 4);
    expect(pose.t[0]).toBeCloseTo(120, 2);
    expect(pose.logS).toBeCloseTo(Math.log(0.9), 5);
  });

  it('ignores points with weight 0 (NaN targets)', () => {
    const theta = [0, 0.2, -0.1, 50, 60, Math.log(0.5), ...new Array(grid.numModes).fill(0)];
    const p = landmarksFor(theta);
    const w = new Float32Array(L).fill(1);
    for (let l = 0; l < 17; l++) {
      w[l] = 0;
      p[2 * l] = Number.NaN;
    }
    expect(initialPose(grid.landmarkMean, p, w).rms).toBeLessThan(1e-3);
    expect(weightedRms(p, p, w)).toBe(0);
  });
});

describe('crop frame', () => {
  const lm = new Float32Array([100, 200, 180, 260, 140, 300]);
  const f = cropFrame(lm, 224);

  it('is the square around the landmarks with a 25 % margin on each side', () => {
    expect(f.side).toBe(Math.round(100 * 1.5));
    expect(f.x0 + f.side / 2).toBeCloseTo(140, 0);
    expect(f.y0 + f.side / 2).toBeCloseTo(250, 0);
  });

  it('maps points both ways, and θ so that projections commute', () => {
    const [x, y] = fromCrop(f, ...toCrop(f, 123.4, 210.5));
    expect(x).toBeCloseTo(123.4, 9);
    expect(y).toBeCloseTo(210.5, 9);
    const thetaCrop = [
      0.1,
      0.3,
      -0.05,
      110,
      100,
      Math.log(1.2),
      0.5,
      -0.3,
      0,
      0,
      0,
      0.2,
      0,
      0,
      0,
      0,
    ];
    const inCrop = landmarksFor(thetaCrop);
    const inPhoto = landmarksFor(thetaToPhoto(f, thetaCrop));
    for (let l = 0; l < L; l++) {
      const [px, py] = fromCrop(f, inCrop[2 * l], inCrop[2 * l + 1]);
      expect(inPhoto[2 * l]).toBeCloseTo(px, 6);
      expect(inPhoto[2 * l + 1]).toBeCloseTo(py, 6);
    }
  });

  it('crops a linear image exactly (bilinear, pixel centres aligned)', () => {
    const W = 250;
    const H = 250;
    const data = new Uint8Array(W * H * 3);
    for (let yy = 0; yy < H; yy++)
      for (let xx = 0; xx < W; xx++) {
        data[3 * (yy * W + xx)] = xx;
        data[3 * (yy * W + xx) + 1] = yy;
      }
    const g = { x0: 20, y0: 30, side: 200, size: 100 };
    const c = cropImage({ data, width: W, height: H }, g);
    for (const [i, j] of [
      [0, 0],
      [10, 10],
      [50, 20],
      [80, 90],
    ]) {
      const [x, y] = fromCrop(g, j, i);
      expect(c[3 * (i * 100 + j)]).toBeCloseTo(x, 4);
      expect(c[3 * (i * 100 + j) + 1]).toBeCloseTo(y, 4);
    }
  });
});

describe('face boxes and padding', () => {
  it('rejects boxes mostly outside the image', () => {
    expect(mostlyInside([10, 10, 50, 50], 100, 100)).toBe(true);
    expect(mostlyInside([80, 80, 50, 50], 100, 100)).toBe(false); // 20 % inside
    expect(mostlyInside([-20, 0, 50, 50], 100, 100)).toBe(true); // 60 % inside
    expect(mostlyInside([-200, -200, 50, 50], 100, 100)).toBe(false);
    expect(mostlyInside([0, 0, 0, 50], 100, 100)).toBe(false);
  });

  it('pads with grey and keeps the image at (pad, pad)', () => {
    const img = { data: new Uint8Array([1, 2, 3, 4, 5, 6]), width: 2, height: 1 };
    const p = padImage(img, 2);
    expect([p.width, p.height]).toEqual([6, 5]);
    expect(Array.from(p.data.subarray(3 * (2 * 6 + 2), 3 * (2 * 6 + 4)))).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(p.data[0]).toBe(128);
  });
});

describe('symmetrySubgrid', () => {
  it('is square and mirror-closed: reversing columns mirrors the grid points', () => {
    for (const res of [112, 37, 8]) {
      const g = { ...grid, res };
      const { index, side } = symmetrySubgrid(g);
      expect(index.length).toBe(side * side);
      for (let a = 0; a < side; a++)
        for (let b = 0; b < side; b++) {
          const p = index[a * side + b];
          const q = index[a * side + (side - 1 - b)];
          expect(Math.floor(q / res)).toBe(Math.floor(p / res));
          expect(q % res).toBe(res - 1 - (p % res));
        }
    }
  });
});

describe('uniqueStems', () => {
  it('disambiguates equal base names', () => {
    expect(uniqueStems(['a/x.jpg', 'b/x.png', 'y.webp', 'c/x.jpeg'])).toEqual([
      'x',
      'x-2',
      'y',
      'x-3',
    ]);
  });
});

describe('optimiseTheta', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm' });
  });

  it('recovers pose and shape from landmarks of a known θ, batch = independent faces, no leaks', () => {
    const truths = [
      [0.1, -0.35, 0.12, 112, 118, Math.log(1.1), 1.2, -0.8, 0.5, 0, 0, 0.9, 0, 0, 0, 0],
      [-0.05, 0.3, -0.2, 100, 105, Math.log(0.9), -0.5, 0.6, 0, 0.7, 0, 0, 0.4, 0, 0, 0],
    ];
    const target = new Float32Array(2 * 2 * L);
    truths.forEach((t, b) => {
      target.set(landmarksFor(t), 2 * b * L);
    });
    const conf = new Float32Array(2 * L).fill(1);
    const g = gridTensors(grid);
    const images = tf.randomUniform([2, 224, 224, 3], 0, 255, 'float32', 7) as tf.Tensor4D;
    const first = tf.slice(images, [0, 0, 0, 0], [1, 224, 224, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const r = optimiseTheta(g, target, conf, images, { steps: 80 });
    const alone = optimiseTheta(g, target.subarray(0, 2 * L), conf.subarray(0, L), first, {
      steps: 80,
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([images, first]);
    g.dispose();
    truths.forEach((truth, b) => {
      const rmsInit = r.initial[b].rms;
      const rmsFinal = weightedRms(
        landmarksFor(Array.from(r.theta[b])),
        target.subarray(2 * b * L),
        conf.subarray(0, L),
      );
      expect(rmsInit).toBeGreaterThan(1); // the shape (α ≠ 0) is not in the initial pose
      expect(rmsFinal).toBeLessThan(0.5 * rmsInit);
      expect(r.loss[b].final).toBeLessThan(r.loss[b].initial);
      for (let k = 0; k < 3; k++) expect(Math.abs(r.theta[b][k] - truth[k])).toBeLessThan(0.08);
    });
    // A face's θ does not depend on the other faces of the batch.
    for (let k = 0; k < r.theta[0].length; k++)
      expect(alone.theta[0][k]).toBeCloseTo(r.theta[0][k], 3);
  });
});

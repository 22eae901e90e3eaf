import { defaultModel, resampleToGrid } from '@3dmm-stn/morphable-model';
import { describe, expect, it } from 'vitest';
import { cropFrame, cropImage, fromCrop, thetaToPhoto, toCrop } from '../src/fit/crop';
import { mostlyInside, padImage } from '../src/fit/faces';
import { uniqueStems } from '../src/fit/run';
import { projectPoints } from '@3dmm-stn/fit';

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

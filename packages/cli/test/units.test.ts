import { defaultModel, resampleToGrid, projectScaledOrthographic } from '@3dmm-stn/morphable-model';
import { describe, expect, it } from 'vitest';
import { cropBoxAround, fromCrop, thetaToPhoto, toCrop } from '@3dmm-stn/localiser';
import { mostlyInside, padImage } from '../src/fit/faces';
import { uniqueStems } from '../src/fit/run';

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
  return projectScaledOrthographic(X, theta.slice(0, 3), theta.slice(3, 5), theta[5]);
}

describe('crop frame (localiser cropFace transform) with the model', () => {
  const f = { ...cropBoxAround(new Float32Array([100, 200, 180, 260, 140, 300])), size: 224 };

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

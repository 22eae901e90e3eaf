import { defaultModel, resampleToGrid, projectScaledOrthographic } from '@3dmm-stn/morphable-model';
import { describe, expect, it } from 'vitest';
import { cropBoxAround, fromCrop, thetaToPhoto, toCrop } from '@3dmm-stn/localiser';
import { mostlyInside, padImage, rotated, upscaled } from '../src/fit/faces';
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

describe('detector retries: rotated and enlarged copies map back to photo pixels', () => {
  // A linear photo: value 0.4·x + 0.3·y + 20 (uint8 range), so a copy's pixel says where it came from.
  const W = 120;
  const H = 90;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      data.fill(Math.round(0.4 * x + 0.3 * y + 20), 3 * (y * W + x), 3 * (y * W + x) + 3);
  const photo = { data, width: W, height: H };

  for (const attempt of [
    rotated(photo, 25, 0.5),
    rotated(photo, -25, 0.5),
    upscaled(photo, 2, 0.5),
  ]) {
    it(`${attempt.label.trim()}: every copy pixel inside the photo shows the photo at toPhoto(u, v)`, () => {
      const { image } = attempt;
      let checked = 0;
      for (let v = 0; v < image.height; v += 3)
        for (let u = 0; u < image.width; u += 3) {
          const [x, y] = attempt.toPhoto(u, v);
          if (x < 1 || y < 1 || x > W - 2 || y > H - 2) continue;
          checked++;
          expect(
            Math.abs(image.data[3 * (v * image.width + u)] - (0.4 * x + 0.3 * y + 20)),
          ).toBeLessThan(1.5);
        }
      expect(checked).toBeGreaterThan(200);
      expect(attempt.retry).toBe(attempt.label.trim());
    });
  }
});

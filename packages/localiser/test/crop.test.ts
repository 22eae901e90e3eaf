import { describe, expect, it } from 'vitest';
import {
  cropBoxAround,
  cropFace,
  fromCrop,
  landmarksToCrop,
  thetaToCrop,
  thetaToPhoto,
  toCrop,
} from '../src/index';

/** [H, W, 3] image with value f(x, y) in every channel. */
function image(W: number, H: number, f: (x: number, y: number) => number) {
  const data = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) data.fill(f(x, y), 3 * (y * W + x), 3 * (y * W + x) + 3);
  return { data, width: W, height: H };
}

describe('cropBoxAround', () => {
  it('is the square around the landmarks with a 25 % margin on each side, NaN ignored', () => {
    const box = cropBoxAround(new Float32Array([100, 200, 180, 260, Number.NaN, 0, 140, 300]));
    expect(box.side).toBe(150);
    expect(box.x0 + box.side / 2).toBeCloseTo(140, 0);
    expect(box.y0 + box.side / 2).toBeCloseTo(250, 0);
    expect(() => cropBoxAround([Number.NaN, 1])).toThrow(/no finite landmark/);
  });
});

describe('crop ↔ photo transform', () => {
  const t = { x0: 37, y0: -12, side: 173, size: 112 };

  it('maps points both ways (round trip) and pixel centres to pixel centres', () => {
    for (const [x, y] of [
      [0, 0],
      [123.4, 210.5],
      [-7, 400],
    ]) {
      const [cx, cy] = toCrop(t, x, y);
      const [px, py] = fromCrop(t, cx, cy);
      expect(px).toBeCloseTo(x, 10);
      expect(py).toBeCloseTo(y, 10);
    }
    // Analytic: the square's outer edges x0 − ½ and x0 + side − ½ map to the crop's edges.
    expect(toCrop(t, t.x0 - 0.5, 0)[0]).toBeCloseTo(-0.5, 12);
    expect(toCrop(t, t.x0 + t.side - 0.5, 0)[0]).toBeCloseTo(t.size - 0.5, 12);
    const lm = landmarksToCrop(t, [t.x0 - 0.5, t.y0 - 0.5, Number.NaN, 5]);
    expect(lm[0]).toBeCloseTo(-0.5, 5);
    expect(lm[1]).toBeCloseTo(-0.5, 5);
    expect(lm[2]).toBeNaN();
  });

  it('maps θ so that projected points commute with the transform, and back', () => {
    const thetaCrop = [0.1, 0.3, -0.05, 50, 60, Math.log(0.7), 0.5, -0.3];
    const thetaPhoto = thetaToPhoto(t, thetaCrop);
    // A projected point p = s·q + t (q the rotated model point) in both frames.
    for (const [qx, qy] of [
      [10, -20],
      [-33, 4],
    ]) {
      const sc = Math.exp(thetaCrop[5]);
      const sp = Math.exp(thetaPhoto[5]);
      const [px, py] = fromCrop(t, sc * qx + thetaCrop[3], sc * qy + thetaCrop[4]);
      expect(sp * qx + thetaPhoto[3]).toBeCloseTo(px, 9);
      expect(sp * qy + thetaPhoto[4]).toBeCloseTo(py, 9);
    }
    const back = thetaToCrop(t, thetaPhoto);
    back.forEach((v, i) => {
      expect(v).toBeCloseTo(thetaCrop[i], 10);
    });
  });
});

describe('cropFace', () => {
  const linear = (x: number, y: number) => 0.5 * x + 0.25 * y + 10;
  const photo = image(300, 260, linear);

  for (const [name, box, size] of [
    ['enlarging (bilinear)', { x0: 40, y0: 30, side: 100 }, 150],
    ['shrinking by 2 (antialiased)', { x0: 40, y0: 30, side: 200 }, 100],
    ['shrinking by 4', { x0: 20, y0: 10, side: 224 }, 56],
    ['same size', { x0: 7, y0: 9, side: 64 }, 64],
  ] as const) {
    it(`reproduces a linear image exactly inside the photo: ${name}`, () => {
      const { image: crop, transform } = cropFace(photo, box, size);
      expect(transform).toEqual({ ...box, size });
      expect(crop.length).toBe(size * size * 3);
      const k = size / box.side;
      const r = Math.max(1, 1 / k) + 1;
      let checked = 0;
      for (let i = 0; i < size; i++)
        for (let j = 0; j < size; j++) {
          const [x, y] = fromCrop(transform, j, i);
          if (x < r || y < r || x > photo.width - 1 - r || y > photo.height - 1 - r) continue;
          checked++;
          for (let c = 0; c < 3; c++)
            expect(crop[3 * (i * size + j) + c]).toBeCloseTo(linear(x, y), 3);
        }
      expect(checked).toBeGreaterThan(size * size * 0.8);
    });
  }

  it('is black outside the photo, and blends to black across the border', () => {
    const grey = image(50, 50, () => 200);
    // k = ½: crop pixel j is photo x = −50 + 2j + ½, the tent reaches 2 pixels either side.
    const { image: crop } = cropFace(grey, { x0: -50, y0: 0, side: 100 }, 50);
    const at = (j: number) => crop[3 * (12 * 50 + j)];
    expect(at(5)).toBe(0); // x = −39.5: outside
    expect(at(40)).toBeCloseTo(200, 4); // x = 30.5: inside
    // x = 0.5: weights ¼ ¾ ¾ ¼ on x = −1, 0, 1, 2; the ¼ of 2 on x = −1 is black.
    expect(at(25)).toBeCloseTo(175, 4);
  });

  it('does not alias when shrinking: a one-pixel checkerboard becomes flat grey', () => {
    const checker = image(256, 256, (x, y) => ((x + y) % 2) * 255);
    const { image: crop } = cropFace(checker, { x0: 0, y0: 0, side: 256 }, 64);
    for (let i = 4; i < 60; i++)
      for (let j = 4; j < 60; j++) expect(Math.abs(crop[3 * (i * 64 + j)] - 127.5)).toBeLessThan(2);
  });

  it('reads RGBA (alpha ignored) like RGB, and uint8 like float', () => {
    const rgb = new Uint8Array(20 * 10 * 3);
    const rgba = new Uint8Array(20 * 10 * 4);
    for (let p = 0; p < 200; p++)
      for (let c = 0; c < 3; c++) {
        rgb[3 * p + c] = (p * 7 + c * 50) % 256;
        rgba[4 * p + c] = rgb[3 * p + c];
        rgba[4 * p + 3] = 13;
      }
    const box = { x0: 2, y0: 1, side: 8 };
    const a = cropFace({ data: rgb, width: 20, height: 10 }, box, 12).image;
    const b = cropFace({ data: rgba, width: 20, height: 10, channels: 4 }, box, 12).image;
    const c = cropFace({ data: Float32Array.from(rgb), width: 20, height: 10 }, box, 12).image;
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a));
  });

  it('rejects malformed input with what was expected', () => {
    expect(() =>
      cropFace({ data: new Uint8Array(5), width: 2, height: 2 }, { x0: 0, y0: 0, side: 2 }, 4),
    ).toThrow(/2·2·3 = 12 values, got 5/);
    expect(() => cropFace(photo, { x0: 0, y0: 0, side: 0 }, 4)).toThrow(/side > 0/);
    expect(() => cropFace(photo, { x0: 0, y0: 0, side: 10 }, 2.5)).toThrow(
      /size must be a positive integer/,
    );
  });
});

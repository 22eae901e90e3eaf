/**
 * The pure parts shared by the CLI and the web page: file names, UV bytes, the detection
 * attempts' images and their maps back to the photo, and the drawings' sizes (no face-api).
 */
import { describe, expect, it } from 'vitest';
import {
  detectionAttempts,
  drawOverview,
  faceFileNames,
  meshComment,
  overviewSize,
  padImage,
  photoStem,
  rgbaToRgb,
  rotated,
  uvImages,
} from '../src/index';

describe('output names', () => {
  it('names a face’s files by the photo stem, a folder kept when given', () => {
    expect(photoStem('C:\\x\\IMG_1.JPG')).toBe('IMG_1');
    expect(photoStem('')).toBe('photo');
    expect(faceFileNames('out/s', 2)).toEqual({
      uv: 'out/s.face2.uv.png',
      mask: 'out/s.face2.mask.png',
      maskedUv: 'out/s.face2.uv_masked.png',
      preview: 'out/s.face2.preview.png',
      overview: 'out/s.preview.png',
      obj: 'out/s.face2.obj',
      mtl: 'out/s.face2.mtl',
      json: 'out/s.face2.json',
    });
    expect(meshComment({ image: 'a.jpg', face: 1 }, { metadata: { name: 'm' } } as never)).toBe(
      '3dmm-stn fit of a.jpg face 1 (m), mm',
    );
  });
});

describe('uvImages', () => {
  it('rounds and clamps the texture, the mask is 0/255, the masked texture black where hidden', () => {
    const { uv, mask, maskedUv } = uvImages(
      {
        uv: Float32Array.from([1.5, 300, -2, 10, 20, 30, 0.49, Number.NaN, 254.6, 1, 2, 3]),
        mask: Float32Array.from([1, 0, 0.7, 0.5]),
      },
      2,
    );
    expect(Array.from(uv)).toEqual([2, 255, 0, 10, 20, 30, 0, 0, 255, 1, 2, 3]);
    expect(Array.from(mask)).toEqual([255, 0, 255, 0]);
    expect(Array.from(maskedUv)).toEqual([2, 255, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0]);
  });
});

describe('detection attempts', () => {
  const img = { data: new Uint8Array(4 * 2 * 3).fill(200), width: 4, height: 2 };
  it('are the photo, padded, upscaled 2×, rotated ±25°, then threshold 0.3 twice', () => {
    const labels = detectionAttempts(img, 0.5).map((make) => make().label);
    expect(labels).toEqual([
      '',
      ' padded 2px',
      ' upscaled 2×',
      ' rotated 25°',
      ' rotated -25°',
      ' threshold 0.3',
      ' padded 2px threshold 0.3',
    ]);
    expect(detectionAttempts(img, 0.3)).toHaveLength(5);
  });
  it('map their pixels back to the photo', () => {
    const [, padded, up] = detectionAttempts(img, 0.5).map((make) => make());
    expect(padded.toPhoto(2, 2)).toEqual([0, 0]);
    expect(padded.image.width).toBe(8);
    expect(padImage(img, 1).data[0]).toBe(128);
    expect(up.image.width).toBe(8);
    const r = rotated(img, 25, 0.5);
    const c = [(r.image.width - 1) / 2, (r.image.height - 1) / 2];
    const [x, y] = r.toPhoto(c[0], c[1]);
    expect(x).toBeCloseTo(1.5, 12);
    expect(y).toBeCloseTo(0.5, 12);
  });
  it('rgbaToRgb drops alpha', () => {
    expect(Array.from(rgbaToRgb([1, 2, 3, 4, 5, 6, 7, 8], 2, 1).data)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(() => rgbaToRgb([1, 2, 3], 1, 1)).toThrow(/1×1×4 = 4 values, got 3/);
  });
});

describe('drawings', () => {
  it('the overview is at most 1280 px and keeps the photo where no fit is drawn', () => {
    expect(overviewSize(2560, 1000)).toEqual({ width: 1280, height: 500 });
    expect(overviewSize(640, 480)).toEqual({ width: 640, height: 480 });
    const small = { data: new Uint8Array(3 * 4).fill(7), width: 2, height: 2 };
    const c = drawOverview(small, { width: 2, height: 2 }, [], {
      res: 2,
      valid: new Uint8Array(4),
    });
    expect(Array.from(c.data)).toEqual(Array.from(small.data));
  });
});

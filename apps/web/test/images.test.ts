import { describe, expect, it } from 'vitest';
import { heatmapRgba, toRgbFloat, rgbToRgba } from '../src/images';

describe('pixel conversions', () => {
  it('RGBA → RGB float drops alpha and keeps the pixel order', () => {
    const rgba = Uint8ClampedArray.from([1, 2, 3, 255, 4, 5, 6, 0, 7, 8, 9, 128]);
    expect(Array.from(toRgbFloat(rgba, 3, 1))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(toRgbFloat(rgba, 2, 2, 3))).toEqual(Array.from(rgba));
    expect(() => toRgbFloat(rgba, 2, 2)).toThrow(/2×2×4 = 16 values, got 12/);
  });

  it('RGB float → RGBA rounds, clamps, and blacks out the masked-off pixels', () => {
    const rgb = Float32Array.from([10.4, 10.6, 300, -5, 128, 255]);
    expect(Array.from(rgbToRgba(rgb))).toEqual([10, 11, 255, 255, 0, 128, 255, 255]);
    expect(Array.from(rgbToRgba(rgb, [1, 0]))).toEqual([10, 11, 255, 255, 0, 0, 0, 255]);
    expect(() => rgbToRgba(rgb, [1])).toThrow(/mask must have 2 values/);
  });

  it('the heat map is black at 0, brighter for larger values, white at the scale', () => {
    const v = [0, 1, 2, 3, 4];
    const h = heatmapRgba(v, 1);
    const brightness = v.map((_, p) => h[4 * p] + h[4 * p + 1] + h[4 * p + 2]);
    expect(brightness[0]).toBe(0);
    for (let p = 1; p < v.length; p++) expect(brightness[p]).toBeGreaterThan(brightness[p - 1]);
    expect(Array.from(h.subarray(16, 20))).toEqual([255, 255, 255, 255]);
  });
});

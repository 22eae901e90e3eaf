import { describe, expect, it } from 'vitest';
import { lowRes } from '../src/low_res';

describe('low-resolution augmentation', () => {
  const S = 32;
  const make = (f: (x: number, y: number) => number) => {
    const a = new Float32Array(S * S * 3);
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) a.fill(f(x, y), 3 * (y * S + x), 3 * (y * S + x) + 3);
    return a;
  };
  it('keeps a constant image and the identity at full size', () => {
    const c = make(() => 77);
    expect(lowRes(c, S, 8).every((v) => Math.abs(v - 77) < 1e-4)).toBe(true);
    expect(lowRes(c, S, S)).toBe(c);
  });
  it('keeps geometry: a linear ramp stays the same ramp away from the border', () => {
    const ramp = make((x) => 10 * x);
    const out = lowRes(ramp, S, 8);
    for (let x = 4; x < S - 4; x++) expect(out[3 * (10 * S + x)]).toBeCloseTo(10 * x, 3);
  });
  it('removes detail finer than the small size (a 1-px checkerboard goes flat)', () => {
    const cb = make((x, y) => ((x + y) % 2 ? 255 : 0));
    const out = lowRes(cb, S, 8);
    const spread = Math.max(...out) - Math.min(...out);
    expect(spread).toBeLessThan(1);
    expect(out[0]).toBeCloseTo(127.5, 3);
  });
  it('stays finite and in range for every small size, including non-divisors of S', () => {
    for (const S2 of [112, 97]) {
      const img = new Float32Array(S2 * S2 * 3).map((_, i) => (i * 37) % 256);
      for (let s = 4; s <= S2; s++) {
        const out = lowRes(img, S2, s);
        for (const v of out)
          if (!(v >= 0 && v <= 255)) throw new Error(`S ${S2}, s ${s}: value ${v}`);
      }
    }
  });
});

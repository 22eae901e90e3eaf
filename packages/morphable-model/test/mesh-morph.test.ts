import { describe, expect, it } from 'vitest';
import { morphRows } from '../src/index';

/** mean + Σ α_k basis_k by the definition, float64, one vertex coordinate at a time. */
function reference(mean: number[], basis: number[], alpha: number[]): number[] {
  const n3 = mean.length;
  return mean.map((m, i) => m + alpha.reduce((s, a, k) => s + a * basis[k * n3 + i], 0));
}

describe('morphRows', () => {
  const mean = [1, 2, 3, -1, 0.5, 4];
  const basis = [0.1, 0, -0.2, 1, 2, 3, 5, -5, 0.25, 0, 0, 1];
  it('is mean + Σ α·basis (mode-major basis)', () => {
    const out = morphRows(mean, basis, [2, -0.5]);
    expect(out).toBeInstanceOf(Float64Array);
    const ref = reference(mean, basis, [2, -0.5]);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(ref[i], 12);
  });
  it('reads α from θ with offset 6 and takes `modes` modes', () => {
    const theta = [9, 9, 9, 9, 9, 9, 2, -0.5, 7];
    const a = morphRows(mean, basis, theta, { offset: 6, modes: 2 });
    expect(Array.from(a)).toEqual(Array.from(morphRows(mean, basis, [2, -0.5])));
  });
  it('accumulates in the given array, in place on the mean too', () => {
    const f32 = morphRows(mean, basis, [2, -0.5], { out: new Float32Array(6) });
    expect(f32).toBeInstanceOf(Float32Array);
    const X = Float64Array.from(mean);
    morphRows(X, basis, [2], { out: X });
    morphRows(X, basis.slice(6), [-0.5], { out: X });
    expect(Array.from(X)).toEqual(Array.from(morphRows(mean, basis, [2, -0.5])));
  });
  it('throws on a basis with too few modes', () => {
    expect(() => morphRows(mean, basis, [1, 2, 3])).toThrow(/basis must hold 3 modes/);
  });
});

import * as tf from '@tensorflow/tfjs';

/** mulberry32: a small seeded PRNG so test inputs are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

export function binaryArray(n: number, rand: () => number, pOne = 0.6): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rand() < pOne ? 1 : 0;
  return out;
}

/**
 * Central differences of the scalar `f` at `x` (float32 tensors; the losses are quadratic in
 * their differentiable argument, so central differences are exact up to rounding and a
 * large step keeps float32 cancellation small).
 */
export function centralDifferences(
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  eps = 0.25,
): Float64Array {
  const base = x.dataSync().slice();
  const out = new Float64Array(base.length);
  for (let k = 0; k < base.length; k++) {
    const eval_ = (delta: number) =>
      tf.tidy(() => {
        const v = base.slice();
        v[k] += delta;
        return f(tf.tensor(v, x.shape)).dataSync()[0];
      });
    out[k] = (eval_(eps) - eval_(-eps)) / (2 * eps);
  }
  return out;
}

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
): void {
  if (actual.length !== expected.length) {
    throw new Error(`length ${actual.length} !== ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol * scale)) {
      throw new Error(`element ${i}: ${actual[i]} vs expected ${expected[i]} (tol ${tol})`);
    }
  }
}

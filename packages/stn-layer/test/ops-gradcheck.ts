/**
 * Central-difference gradient checking against float64 references (kornia `gradcheck` style),
 * shared by the ops and layer tests.
 */

/** Seeded PRNG (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform samples in [lo, hi) from a seeded PRNG, as a Float64Array. */
export function uniform(rand: () => number, n: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/**
 * ∂f/∂x by central differences, (f(x + h eᵢ) − f(x − h eᵢ)) / 2h, evaluated in float64.
 * `f` must not keep or modify its argument.
 */
export function centralDifference(
  f: (x: Float64Array) => number,
  x: ArrayLike<number>,
  h = 1e-6,
): Float64Array {
  const xs = Float64Array.from(x);
  const g = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const xi = xs[i];
    xs[i] = xi + h;
    const fp = f(xs);
    xs[i] = xi - h;
    const fm = f(xs);
    xs[i] = xi;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/**
 * Largest |a − e| / (atol + rtol·|e|) over the elements: ≤ 1 means every element is within
 * tolerance. Also reports where the worst element is, for failure messages.
 */
export function gradientError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol = 1e-5, rtol = 1e-3 }: { atol?: number; rtol?: number } = {},
): { ratio: number; index: number; actual: number; expected: number } {
  if (actual.length !== expected.length) {
    throw new Error(`gradientError: lengths differ (${actual.length} vs ${expected.length})`);
  }
  let worst = { ratio: 0, index: -1, actual: 0, expected: 0 };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ratio = Number.isFinite(a) ? Math.abs(a - e) / (atol + rtol * Math.abs(e)) : Infinity;
    if (!(ratio <= worst.ratio)) worst = { ratio, index: i, actual: a, expected: e };
  }
  return worst;
}

/**
 * Throws unless `actual` (e.g. a tfjs float32 gradient) matches the central-difference
 * gradient of the float64 reference `f` at `x` within tolerance. Returns the worst ratio.
 */
export function checkGradient(
  name: string,
  f: (x: Float64Array) => number,
  x: ArrayLike<number>,
  actual: ArrayLike<number>,
  options: { h?: number; atol?: number; rtol?: number } = {},
): number {
  const expected = centralDifference(f, x, options.h ?? 1e-6);
  const worst = gradientError(actual, expected, options);
  if (!(worst.ratio <= 1)) {
    throw new Error(
      `${name}: gradient element ${worst.index} is ${worst.actual}, central difference ${worst.expected} (error ratio ${worst.ratio.toFixed(2)})`,
    );
  }
  return worst.ratio;
}

/** Largest absolute difference between two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

/** float32 copy for tensor construction (tfjs rejects Float64Array). */
export function f32(a: ArrayLike<number>): Float32Array {
  return Float32Array.from(a);
}

/**
 * Smooth 1-D profiles and 2-D bumps for the generated face: the building blocks of its mean
 * shape and of its modes.
 */

/**
 * A C¹ monotone piecewise-cubic through `(x, y)` control points (Fritsch–Carlson), constant
 * beyond the ends: no overshoot between control points, so a profile never bulges past them.
 * @param points [[x0, y0], [x1, y1], …] in any order of x (sorted here), distinct x.
 */
export function monotoneCubic(
  unsorted: readonly (readonly [number, number])[],
): (x: number) => number {
  const points = [...unsorted].sort((p, q) => p[0] - q[0]);
  const n = points.length;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const d: number[] = [];
  for (let k = 0; k < n - 1; k++) d.push((ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]));
  const m: number[] = new Array(n);
  m[0] = d[0];
  m[n - 1] = d[n - 2];
  for (let k = 1; k < n - 1; k++) m[k] = d[k - 1] * d[k] <= 0 ? 0 : (d[k - 1] + d[k]) / 2;
  for (let k = 0; k < n - 1; k++) {
    if (d[k] === 0) {
      m[k] = 0;
      m[k + 1] = 0;
      continue;
    }
    const a = m[k] / d[k];
    const b = m[k + 1] / d[k];
    const h = a * a + b * b;
    if (h > 9) {
      const t = 3 / Math.sqrt(h);
      m[k] = t * a * d[k];
      m[k + 1] = t * b * d[k];
    }
  }
  return (x: number) => {
    if (x <= xs[0]) return ys[0];
    if (x >= xs[n - 1]) return ys[n - 1];
    let k = 0;
    while (x > xs[k + 1]) k++;
    const h = xs[k + 1] - xs[k];
    const t = (x - xs[k]) / h;
    const t2 = t * t;
    const t3 = t2 * t;
    return (
      (2 * t3 - 3 * t2 + 1) * ys[k] +
      (t3 - 2 * t2 + t) * h * m[k] +
      (-2 * t3 + 3 * t2) * ys[k + 1] +
      (t3 - t2) * h * m[k + 1]
    );
  };
}

/** Compact C² kernel: (1 − r²)³ for r < 1, else 0; 1 at r = 0. */
export function kernel(r2: number): number {
  if (r2 >= 1) return 0;
  const q = 1 - r2;
  return q * q * q;
}

/** Elliptical bump of height 1 at (cx, cy) with radii (rx, ry), compact support. */
export function bump(x: number, y: number, cx: number, cy: number, rx: number, ry: number): number {
  const u = (x - cx) / rx;
  const v = (y - cy) / ry;
  return kernel(u * u + v * v);
}

/** A bump mirrored to both sides of the face: bump at (±cx, cy). */
export function bumpPair(x: number, y: number, cx: number, cy: number, rx: number, ry: number) {
  return bump(x, y, cx, cy, rx, ry) + bump(x, y, -cx, cy, rx, ry);
}

/** Smooth step 0 → 1 as t goes from 0 to 1 (C¹), clamped outside. */
export function smoothstep(t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
}

/**
 * Flat-topped elliptical bump: 1 within half the radii of (cx, cy), falling smoothly (C¹) to 0
 * at the radii — moves a region rigidly where `bump` would stretch it.
 */
export function plateau(x: number, y: number, cx: number, cy: number, rx: number, ry: number) {
  const u = (x - cx) / rx;
  const v = (y - cy) / ry;
  return 1 - smoothstep(2 * Math.sqrt(u * u + v * v) - 1);
}

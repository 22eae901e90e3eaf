/**
 * The jitter of a landmark track: the mean over frames t (with both neighbours present) and
 * points of |p_t − (p_{t−1} + p_{t+1})/2|, each divided by that frame's normaliser (the
 * outer-eye-corner distance, 300-W's normalisation). Zero for a still or uniformly moving
 * point; a constant acceleration a (per frame²) gives |a|/2; independent noise of standard deviation σ per
 * coordinate gives √(3/2)·σ·√(π/2) ≈ 1.53·σ (the mean of a Rayleigh norm). Browser-safe.
 */

/**
 * @param frames per frame `[P, 2]` points (NaN = missing) or null (no points in that frame).
 * @param norm per frame the normaliser (e.g. eye-corner distance, pixels); non-finite or ≤ 0
 *   leaves the frame out.
 * @returns `{ jitter, terms }`: the mean and the number of (frame, point) terms; NaN when none.
 */
export function landmarkJitter(
  frames: readonly (ArrayLike<number> | null | undefined)[],
  norm: readonly number[],
): { jitter: number; terms: number } {
  let sum = 0;
  let terms = 0;
  for (let t = 1; t + 1 < frames.length; t++) {
    const a = frames[t - 1];
    const b = frames[t];
    const c = frames[t + 1];
    const n = norm[t];
    if (!a || !b || !c || !(n > 0) || !Number.isFinite(n)) continue;
    const P = Math.min(a.length, b.length, c.length) >> 1;
    for (let i = 0; i < P; i++) {
      const dx = b[2 * i] - (a[2 * i] + c[2 * i]) / 2;
      const dy = b[2 * i + 1] - (a[2 * i + 1] + c[2 * i + 1]) / 2;
      const d = Math.hypot(dx, dy);
      if (!Number.isFinite(d)) continue;
      sum += d / n;
      terms++;
    }
  }
  return { jitter: terms > 0 ? sum / terms : Number.NaN, terms };
}

/** The outer-eye-corner distance (ibug 37 and 46, 1-based) of 68 points `[68, 2]`. */
export function eyeCornerDistance(points: ArrayLike<number>): number {
  return Math.hypot(points[72] - points[90], points[73] - points[91]);
}

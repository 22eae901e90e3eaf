/**
 * Axis-angle → rotation matrix (Rodrigues).
 *
 * Convention: `r` is an axis-angle vector in model space (angle = |r| radians, right-handed:
 * counter-clockwise looking down the axis towards the origin); the matrix is row-major and
 * acts on column vectors, X' = R·X. The same convention as the STN layer's θ[0..2].
 */
export function rotationFromAxisAngle(r: ArrayLike<number>): Float64Array {
  if (r.length !== 3) {
    throw new RangeError(
      `Error in rotationFromAxisAngle: r must have 3 entries, but got ${r.length}.`,
    );
  }
  const x = r[0];
  const y = r[1];
  const z = r[2];
  const t2 = x * x + y * y + z * z;
  // R = I + a·K + b·K², K = [r]×, a = sin θ / θ, b = (1 − cos θ) / θ². Both ratios lose all
  // precision as θ → 0 (0/0), so small angles use their Taylor series (error < θ⁶/5040).
  let a: number;
  let b: number;
  if (t2 < 1e-6) {
    a = 1 - t2 / 6 + (t2 * t2) / 120;
    b = 0.5 - t2 / 24 + (t2 * t2) / 720;
  } else {
    const t = Math.sqrt(t2);
    a = Math.sin(t) / t;
    b = (1 - Math.cos(t)) / t2;
  }
  const R = new Float64Array(9);
  R[0] = 1 - b * (y * y + z * z);
  R[1] = -a * z + b * x * y;
  R[2] = a * y + b * x * z;
  R[3] = a * z + b * x * y;
  R[4] = 1 - b * (x * x + z * z);
  R[5] = -a * x + b * y * z;
  R[6] = -a * y + b * x * z;
  R[7] = a * x + b * y * z;
  R[8] = 1 - b * (x * x + y * y);
  return R;
}

/**
 * Slow, obvious float64 references for the ops (plain loops on Float64Array), computed
 * independently of the ops' formulas: R by the power series of exp([r]×), bilinear
 * sampling by explicitly reading the padded image at the 4 neighbours.
 */

/** [3, 3] row-major cross-product matrix [r]× of r = (r0, r1, r2). */
function crossMatrix(r0: number, r1: number, r2: number): Float64Array {
  return Float64Array.from([0, -r2, r1, r2, 0, -r0, -r1, r0, 0]);
}

function matMul3(a: Float64Array, b: Float64Array): Float64Array {
  const c = new Float64Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[3 * i + k] * b[3 * k + j];
      c[3 * i + j] = s;
    }
  return c;
}

/** R = exp([r]×) by its power series (60 terms: converges to float64 precision for |r| ≤ 4). */
export function rotation64(r0: number, r1: number, r2: number): Float64Array {
  const k = crossMatrix(r0, r1, r2);
  const out = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  let term = Float64Array.from(out);
  for (let n = 1; n <= 60; n++) {
    term = matMul3(term, k).map((v) => v / n);
    for (let i = 0; i < 9; i++) out[i] += term[i];
  }
  return out;
}

/** [B, 3] → [B, 3, 3] rotations. */
export function axisAngleToRotation64(r: ArrayLike<number>, B: number): Float64Array {
  const out = new Float64Array(B * 9);
  for (let b = 0; b < B; b++) out.set(rotation64(r[3 * b], r[3 * b + 1], r[3 * b + 2]), 9 * b);
  return out;
}

/** X[b, n, c] = mean[n, c] + Σₖ alpha[b, k] basis[k, 3n + c]. */
export function morphShape64(
  alpha: ArrayLike<number>,
  mean: ArrayLike<number>,
  basis: ArrayLike<number>,
  B: number,
  D: number,
  N: number,
): Float64Array {
  const out = new Float64Array(B * N * 3);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < 3 * N; i++) {
      let s = mean[i];
      for (let k = 0; k < D; k++) s += alpha[b * D + k] * basis[k * 3 * N + i];
      out[b * 3 * N + i] = s;
    }
  return out;
}

/** p = exp(logS) · [x', −y'] + t with X' = R(r) X per vertex. */
export function projectVertices64(
  X: ArrayLike<number>,
  r: ArrayLike<number>,
  t: ArrayLike<number>,
  logS: ArrayLike<number>,
  B: number,
  N: number,
): Float64Array {
  const out = new Float64Array(B * N * 2);
  for (let b = 0; b < B; b++) {
    const R = rotation64(r[3 * b], r[3 * b + 1], r[3 * b + 2]);
    const s = Math.exp(logS[b]);
    for (let n = 0; n < N; n++) {
      const o = (b * N + n) * 3;
      const xr = R[0] * X[o] + R[1] * X[o + 1] + R[2] * X[o + 2];
      const yr = R[3] * X[o] + R[4] * X[o + 1] + R[5] * X[o + 2];
      out[(b * N + n) * 2] = s * xr + t[2 * b];
      out[(b * N + n) * 2 + 1] = -s * yr + t[2 * b + 1];
    }
  }
  return out;
}

/**
 * Bilinear sampling in pixel coordinates (pixel (row i, col j) centred at (x = j, y = i)) of
 * the image extended by zeros or by its border.
 */
export function gridSample64(
  image: ArrayLike<number>,
  coords: ArrayLike<number>,
  [B, H, W, C]: readonly number[],
  [Ho, Wo]: readonly number[],
  padding: 'zeros' | 'border' = 'zeros',
): Float64Array {
  const pixel = (b: number, i: number, j: number, c: number): number => {
    if (padding === 'border') {
      i = Math.min(Math.max(i, 0), H - 1);
      j = Math.min(Math.max(j, 0), W - 1);
    } else if (i < 0 || i >= H || j < 0 || j >= W) {
      return 0;
    }
    return image[((b * H + i) * W + j) * C + c];
  };
  const out = new Float64Array(B * Ho * Wo * C);
  for (let b = 0; b < B; b++)
    for (let p = 0; p < Ho * Wo; p++) {
      // Beyond one pixel outside, every point reads the same (0, or the border pixel); the
      // clamp keeps floor(x) + 1 > floor(x) for huge |x|.
      const x = Math.min(Math.max(coords[(b * Ho * Wo + p) * 2], -3), W + 2);
      const y = Math.min(Math.max(coords[(b * Ho * Wo + p) * 2 + 1], -3), H + 2);
      const j0 = Math.floor(x);
      const i0 = Math.floor(y);
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (const i of [i0, i0 + 1])
          for (const j of [j0, j0 + 1]) {
            s += (1 - Math.abs(x - j)) * (1 - Math.abs(y - i)) * pixel(b, i, j, c);
          }
        out[(b * Ho * Wo + p) * C + c] = s;
      }
    }
  return out;
}

/**
 * affineGrid with align-corners: output pixel (i, j) → normalised (u, v) → θ → input pixels.
 */
export function affineGrid64(
  theta: ArrayLike<number>,
  [B, Ho, Wo]: readonly number[],
  [H, W]: readonly number[],
  alignCorners = true,
): Float64Array {
  const toNorm = (k: number, n: number) =>
    alignCorners ? (n === 1 ? 0 : -1 + (2 * k) / (n - 1)) : -1 + (2 * k + 1) / n;
  const toPix = (u: number, n: number) =>
    alignCorners ? ((u + 1) / 2) * (n - 1) : ((u + 1) * n - 1) / 2;
  const out = new Float64Array(B * Ho * Wo * 2);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++) {
        const u = toNorm(j, Wo);
        const v = toNorm(i, Ho);
        const T = (r: number, c: number) => theta[b * 6 + r * 3 + c];
        const o = ((b * Ho + i) * Wo + j) * 2;
        out[o] = toPix(T(0, 0) * u + T(0, 1) * v + T(0, 2), W);
        out[o + 1] = toPix(T(1, 0) * u + T(1, 1) * v + T(1, 2), H);
      }
  return out;
}

/** Σ out · weight, the scalar whose gradient the tests check. */
export function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

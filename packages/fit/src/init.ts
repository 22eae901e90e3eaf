/**
 * A closed-form starting pose: the model's mean landmarks aligned to the detected ones, by an
 * affine camera (least squares, then the nearest scaled rotation) or a 2D similarity, whichever
 * fits better. Plain Float64 arithmetic on ≤ 68 points.
 *
 * Convention: the STN's projection p = s·[R₀·X, −R₁·X] + t (pixels, y down), R = R(r) with r an
 * axis-angle vector (radians).
 */
import { axisAngleFromRotation, projectScaledOrthographic } from '@3dmm-stn/morphable-model';

/** RMS distance over the points with weight > 0. */
export function weightedRms(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  w: ArrayLike<number>,
): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    if (!(w[i] > 0)) continue;
    s += (p[2 * i] - q[2 * i]) ** 2 + (p[2 * i + 1] - q[2 * i + 1]) ** 2;
    n++;
  }
  return n > 0 ? Math.sqrt(s / n) : Number.NaN;
}

export interface InitialPose {
  r: [number, number, number];
  t: [number, number];
  logS: number;
  method: 'affine' | 'similarity';
  rms: number;
}

/**
 * @param X [L, 3] model landmarks (mm).
 * @param p [L, 2] detected landmarks (pixels).
 * @param w [L] 1 where both exist, 0 to ignore.
 */
export function initialPose(
  X: ArrayLike<number>,
  p: ArrayLike<number>,
  w: ArrayLike<number>,
): InitialPose {
  const cands = [similarityPose(X, p, w)];
  const a = affinePose(X, p, w);
  if (a) cands.push(a);
  let best = cands[0];
  for (const c of cands) {
    c.rms = weightedRms(projectScaledOrthographic(X, c.r, c.t, c.logS), p, w);
    if (c.rms < best.rms) best = c;
  }
  return best;
}

function similarityPose(
  X: ArrayLike<number>,
  p: ArrayLike<number>,
  w: ArrayLike<number>,
): InitialPose {
  // Umeyama in 2D between q = (X, −Y) and p.
  let n = 0;
  let qx = 0;
  let qy = 0;
  let px = 0;
  let py = 0;
  for (let i = 0; i < w.length; i++) {
    if (!(w[i] > 0)) continue;
    n++;
    qx += X[3 * i];
    qy -= X[3 * i + 1];
    px += p[2 * i];
    py += p[2 * i + 1];
  }
  qx /= n;
  qy /= n;
  px /= n;
  py /= n;
  let a = 0;
  let b = 0;
  let vq = 0;
  for (let i = 0; i < w.length; i++) {
    if (!(w[i] > 0)) continue;
    const ux = X[3 * i] - qx;
    const uy = -X[3 * i + 1] - qy;
    const vx = p[2 * i] - px;
    const vy = p[2 * i + 1] - py;
    a += ux * vx + uy * vy;
    b += ux * vy - uy * vx;
    vq += ux * ux + uy * uy;
  }
  const phi = Math.atan2(b, a); // p ≈ s·R(φ)·q + t
  const s = Math.hypot(a, b) / vq;
  const c = Math.cos(phi);
  const sn = Math.sin(phi);
  // In the STN, a rotation ψ about z maps q by R(−ψ).
  return {
    r: [0, 0, -phi],
    t: [px - s * (c * qx - sn * qy), py - s * (sn * qx + c * qy)],
    logS: Math.log(s),
    method: 'similarity',
    rms: Number.NaN,
  };
}

function affinePose(
  X: ArrayLike<number>,
  p: ArrayLike<number>,
  w: ArrayLike<number>,
): InitialPose | null {
  // Least squares [X Y Z 1]·P = [x y] through the 4×4 normal equations.
  const A = new Float64Array(16);
  const bx = new Float64Array(4);
  const by = new Float64Array(4);
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    if (!(w[i] > 0)) continue;
    n++;
    const row = [X[3 * i], X[3 * i + 1], X[3 * i + 2], 1];
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) A[4 * r + c] += row[r] * row[c];
      bx[r] += row[r] * p[2 * i];
      by[r] += row[r] * p[2 * i + 1];
    }
  }
  if (n < 6) return null;
  const px = solve4(A, bx);
  const py = solve4(A, by);
  if (!px || !py) return null;
  const a = [px[0], px[1], px[2]];
  const b = [-py[0], -py[1], -py[2]];
  const na = Math.hypot(...a);
  const nb = Math.hypot(...b);
  if (!(na > 0 && nb > 0) || Math.max(na, nb) / Math.min(na, nb) > 2) return null;
  const u = a.map((v) => v / na);
  const v = b.map((x) => x / nb);
  // The nearest orthonormal pair, symmetric in u and v.
  const c = normalise(u.map((x, k) => x + v[k]));
  const d = normalise(u.map((x, k) => x - v[k]));
  const r0 = c.map((x, k) => (x + d[k]) / Math.SQRT2);
  const r1 = c.map((x, k) => (x - d[k]) / Math.SQRT2);
  const r2 = [
    r0[1] * r1[2] - r0[2] * r1[1],
    r0[2] * r1[0] - r0[0] * r1[2],
    r0[0] * r1[1] - r0[1] * r1[0],
  ];
  return {
    r: Array.from(axisAngleFromRotation([...r0, ...r1, ...r2])) as [number, number, number],
    t: [px[3], py[3]],
    logS: Math.log((na + nb) / 2),
    method: 'affine',
    rms: Number.NaN,
  };
}

function normalise(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Gaussian elimination with partial pivoting; null if singular. */
function solve4(A: Float64Array, b: Float64Array): Float64Array | null {
  const m = Array.from({ length: 4 }, (_, r) => [...A.subarray(4 * r, 4 * r + 4), b[r]]);
  for (let col = 0; col < 4; col++) {
    let piv = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
    if (Math.abs(m[piv][col]) < 1e-12) return null;
    [m[col], m[piv]] = [m[piv], m[col]];
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c < 5; c++) m[r][c] -= f * m[col][c];
    }
  }
  return Float64Array.from({ length: 4 }, (_, r) => m[r][4] / m[r][r]);
}

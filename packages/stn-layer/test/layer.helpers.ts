// Test helpers for visibility and the layer: analytic GridModels and float64 references.
import { type GridModel, rotationFromAxisAngle } from '@3dmm-stn/morphable-model';

/** Seeded PRNG (mulberry32) → uniform [0, 1). */
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

export function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * Grid triangles over cells whose four corners are valid, counter-clockwise seen from +z for a
 * grid laid out with column j along +x and row i along −y (row 0 at the top).
 */
export function gridTriangles(res: number, valid: Uint8Array): Uint32Array {
  const t: number[] = [];
  for (let i = 0; i + 1 < res; i++) {
    for (let j = 0; j + 1 < res; j++) {
      const a = i * res + j;
      const b = a + 1;
      const c = a + res;
      const d = c + 1;
      if (valid[a] && valid[b] && valid[c] && valid[d]) t.push(a, c, b, b, c, d);
    }
  }
  return Uint32Array.from(t);
}

/** u (column → x) and v (row → y, row 0 at the top) of grid point (i, j), in [−1, 1]. */
export const gridUV = (res: number, i: number, j: number): [number, number] => [
  -1 + (2 * j) / (res - 1),
  1 - (2 * i) / (res - 1),
];

export interface CapOptions {
  /** Sphere radius, mm. */
  radius?: number;
  /** Valid where u² + v² ≤ capFraction². */
  capFraction?: number;
  numShapeModes?: number;
  numExpressionModes?: number;
  /** Landmark positions are random points on the sphere cap (not grid points). */
  numLandmarks?: number;
  seed?: number;
}

/**
 * A spherical cap facing +z as a GridModel: point (i, j) at (R u, R v, √(R² − R²u² − R²v²)),
 * valid inside the disc u² + v² ≤ capFraction². The basis holds seeded random smooth offsets.
 */
export function capGridModel(res: number, opts: CapOptions = {}): GridModel {
  const R = opts.radius ?? 80;
  const cap = opts.capFraction ?? 0.9;
  const ds = opts.numShapeModes ?? 2;
  const de = opts.numExpressionModes ?? 1;
  const d = ds + de;
  const l = opts.numLandmarks ?? 5;
  const rand = rng(opts.seed ?? 1);
  const n = res * res;
  const valid = new Uint8Array(n);
  const mean = new Float32Array(3 * n);
  const surface = (u: number, v: number): [number, number, number] => [
    R * u,
    R * v,
    R * Math.sqrt(Math.max(0, 1 - u * u - v * v)),
  ];
  for (let i = 0; i < res; i++) {
    for (let j = 0; j < res; j++) {
      const [u, v] = gridUV(res, i, j);
      if (u * u + v * v > cap * cap) continue;
      const p = i * res + j;
      valid[p] = 1;
      mean.set(surface(u, v), 3 * p);
    }
  }
  // Smooth modes: each a random low-order polynomial displacement field.
  const coef = Array.from({ length: d }, () => Array.from({ length: 9 }, () => 2 * gaussian(rand)));
  const field = (k: number, u: number, v: number): [number, number, number] => {
    const c = coef[k];
    return [
      c[0] * u + c[1] * v + c[2],
      c[3] * u * v + c[4],
      c[5] * u * u + c[6] * v + c[7] * v * v + c[8],
    ];
  };
  const basis = new Float32Array(d * 3 * n);
  for (let k = 0; k < d; k++) {
    for (let p = 0; p < n; p++) {
      if (!valid[p]) continue;
      const [u, v] = gridUV(res, Math.floor(p / res), p % res);
      basis.set(field(k, u, v), k * 3 * n + 3 * p);
    }
  }
  const landmarkMean = new Float32Array(3 * l);
  const landmarkBasis = new Float32Array(d * 3 * l);
  for (let m = 0; m < l; m++) {
    const ang = 2 * Math.PI * rand();
    const rad = 0.8 * cap * Math.sqrt(rand());
    const u = rad * Math.cos(ang);
    const v = rad * Math.sin(ang);
    landmarkMean.set(surface(u, v), 3 * m);
    for (let k = 0; k < d; k++) landmarkBasis.set(field(k, u, v), k * 3 * l + 3 * m);
  }
  const mirror = new Uint32Array(n);
  for (let i = 0; i < res; i++)
    for (let j = 0; j < res; j++) mirror[i * res + j] = i * res + (res - 1 - j);
  return {
    res,
    numModes: d,
    numShapeModes: ds,
    mean,
    basis,
    valid,
    triangles: gridTriangles(res, valid),
    landmarkIds: Int32Array.from({ length: l }, (_, m) => 18 + m),
    landmarkMean,
    landmarkBasis,
    mirror,
    metadata: { name: 'analytic cap', source: 'test', format: 'generated' },
  };
}

/** A flat square with a tall ridge along the middle column (x = 0): z = h·exp(−x²/2σ²). */
export function ridgeGrid(res: number, half = 50, h = 60, sigma = 6) {
  const n = res * res;
  const valid = new Uint8Array(n).fill(1);
  const xyz = new Float64Array(3 * n);
  for (let i = 0; i < res; i++) {
    for (let j = 0; j < res; j++) {
      const [u, v] = gridUV(res, i, j);
      const x = half * u;
      xyz.set([x, half * v, h * Math.exp(-(x * x) / (2 * sigma * sigma))], 3 * (i * res + j));
    }
  }
  return { res, valid, triangles: gridTriangles(res, valid), xyz };
}

/** X R(r)ᵀ for interleaved [N,3] vertices (column-vector convention X' = R X), float64. */
export function rotate(xyz: ArrayLike<number>, r: readonly number[]): Float64Array {
  const R = rotationFromAxisAngle(r);
  const out = new Float64Array(xyz.length);
  for (let p = 0; p < xyz.length; p += 3) {
    for (let a = 0; a < 3; a++) {
      out[p + a] = R[3 * a] * xyz[p] + R[3 * a + 1] * xyz[p + 1] + R[3 * a + 2] * xyz[p + 2];
    }
  }
  return out;
}

/**
 * Float64 reference: angle-weighted vertex normals with corner angles from acos of unit edge
 * vectors (a different formula from the library's atan2), unit face normals. Returns n_z per vertex.
 */
export function referenceNormalZ(
  xyz: ArrayLike<number>,
  triangles: ArrayLike<number>,
  n: number,
): Float64Array {
  const nz = new Float64Array(n);
  const sub = (a: number, b: number) => [
    xyz[3 * a] - xyz[3 * b],
    xyz[3 * a + 1] - xyz[3 * b + 1],
    xyz[3 * a + 2] - xyz[3 * b + 2],
  ];
  const norm = (u: number[]) => Math.hypot(u[0], u[1], u[2]);
  const angle = (u: number[], w: number[]) => {
    const c = (u[0] * w[0] + u[1] * w[1] + u[2] * w[2]) / (norm(u) * norm(w));
    return Math.acos(Math.min(1, Math.max(-1, c)));
  };
  for (let t = 0; t < triangles.length; t += 3) {
    const [a, b, c] = [triangles[t], triangles[t + 1], triangles[t + 2]];
    const e1 = sub(b, a);
    const e2 = sub(c, a);
    const cr = [
      e1[1] * e2[2] - e1[2] * e2[1],
      e1[2] * e2[0] - e1[0] * e2[2],
      e1[0] * e2[1] - e1[1] * e2[0],
    ];
    const len = norm(cr);
    if (len === 0) continue;
    const z = cr[2] / len;
    nz[a] += angle(e1, e2) * z;
    nz[b] += angle(sub(a, b), sub(c, b)) * z;
    nz[c] += angle(sub(a, c), sub(b, c)) * z;
  }
  return nz;
}

/** Float64 brute force: 1 where no non-incident triangle covers the vertex's (x, y) higher in z. */
export function referenceUnoccluded(
  xyz: ArrayLike<number>,
  triangles: ArrayLike<number>,
  valid: ArrayLike<number>,
  epsZ: number,
): Float64Array {
  const n = valid.length;
  const out = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    if (!valid[v]) continue;
    const [px, py, pz] = [xyz[3 * v], xyz[3 * v + 1], xyz[3 * v + 2]];
    let hidden = false;
    for (let t = 0; t < triangles.length && !hidden; t += 3) {
      const [a, b, c] = [triangles[t], triangles[t + 1], triangles[t + 2]];
      if (a === v || b === v || c === v) continue;
      const [ax, ay, bx, by, cx, cy] = [
        xyz[3 * a],
        xyz[3 * a + 1],
        xyz[3 * b],
        xyz[3 * b + 1],
        xyz[3 * c],
        xyz[3 * c + 1],
      ];
      const d = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy);
      if (d === 0) continue;
      const la = ((by - cy) * (px - cx) + (cx - bx) * (py - cy)) / d;
      const lb = ((cy - ay) * (px - cx) + (ax - cx) * (py - cy)) / d;
      const lc = 1 - la - lb;
      if (la < 0 || lb < 0 || lc < 0) continue;
      if (la * xyz[3 * a + 2] + lb * xyz[3 * b + 2] + lc * xyz[3 * c + 2] > pz + epsZ)
        hidden = true;
    }
    out[v] = hidden ? 0 : 1;
  }
  return out;
}

/** Float64 model: X(α) = mean + Σ αₖ basis[k] for interleaved arrays. */
export function morph(
  mean: ArrayLike<number>,
  basis: ArrayLike<number>,
  alpha: readonly number[],
): Float64Array {
  const out = Float64Array.from(mean as ArrayLike<number>);
  const m = mean.length;
  alpha.forEach((a, k) => {
    for (let p = 0; p < m; p++) out[p] += a * basis[k * m + p];
  });
  return out;
}

/** Float64 projection p = exp(logS)·[x′, −y′] + t with x′ = R(r)x (DESIGN.md). Returns [N, 2]. */
export function project(
  xyz: ArrayLike<number>,
  r: readonly number[],
  t: readonly number[],
  logS: number,
): Float64Array {
  const xr = rotate(xyz, r);
  const s = Math.exp(logS);
  const out = new Float64Array((xyz.length / 3) * 2);
  for (let v = 0; v < xyz.length / 3; v++) {
    out[2 * v] = s * xr[3 * v] + t[0];
    out[2 * v + 1] = -s * xr[3 * v + 1] + t[1];
  }
  return out;
}

/** Float64 bilinear sample of an [H, W, C] image at (x, y) px, zeros beyond the pixel centres. */
export function bilinear(
  img: ArrayLike<number>,
  h: number,
  w: number,
  c: number,
  x: number,
  y: number,
): number[] {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const out = new Array<number>(c).fill(0);
  for (const [xx, yy, wt] of [
    [x0, y0, (1 - (x - x0)) * (1 - (y - y0))],
    [x0 + 1, y0, (x - x0) * (1 - (y - y0))],
    [x0, y0 + 1, (1 - (x - x0)) * (y - y0)],
    [x0 + 1, y0 + 1, (x - x0) * (y - y0)],
  ]) {
    if (xx < 0 || xx > w - 1 || yy < 0 || yy > h - 1) continue;
    for (let k = 0; k < c; k++) out[k] += wt * img[(yy * w + xx) * c + k];
  }
  return out;
}

/** θ = [r(3), t(2), logS, α(D)] split for the float64 references. */
export const splitTheta64 = (theta: readonly number[]) => ({
  r: theta.slice(0, 3),
  t: theta.slice(3, 5),
  logS: theta[5],
  alpha: theta.slice(6),
});

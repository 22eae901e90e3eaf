/**
 * Synthetic faces written in the MATLAB layouts of BFM 2009 and its derivatives (a few hundred
 * vertices), for the layout tests and the bench. No real BFM data: the licence forbids it.
 */
import { rng } from './io-h5';
import { num, type WValue } from './mat-writer';

export interface Face {
  rows: number;
  cols: number;
  N: number;
  /** [N, 3] mean in mm, facing +z, x to the subject's left, y up. */
  mean: Float64Array;
  /** [F, 3] 0-based, counter-clockwise seen from +z. */
  triangles: number[];
}

/** A rows × cols grid bowl facing +z (mm). */
export function face(rows: number, cols: number): Face {
  const N = rows * cols;
  const mean = new Float64Array(3 * N);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = (j - (cols - 1) / 2) * (150 / cols);
      const y = (i - (rows - 1) / 2) * (200 / rows);
      mean.set([x, y, -0.004 * (x * x + y * y)], 3 * (i * cols + j));
    }
  }
  const triangles: number[] = [];
  for (let i = 0; i + 1 < rows; i++) {
    for (let j = 0; j + 1 < cols; j++) {
      const v = i * cols + j;
      triangles.push(v, v + 1, v + cols + 1, v, v + cols + 1, v + cols);
    }
  }
  return { rows, cols, N, mean, triangles };
}

/** [3N, D] column-major (MATLAB) matrix with orthonormal columns (Gram–Schmidt in float64). */
export function orthonormalColMajor(rows: number, d: number, seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(rows * d);
  for (let k = 0; k < d; k++) {
    const v = out.subarray(k * rows, (k + 1) * rows);
    for (let i = 0; i < rows; i++) v[i] = r() - 0.5;
    for (let j = 0; j < k; j++) {
      const c = out.subarray(j * rows, (j + 1) * rows);
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += v[i] * c[i];
      for (let i = 0; i < rows; i++) v[i] -= dot * c[i];
    }
    let n = 0;
    for (let i = 0; i < rows; i++) n += v[i] * v[i];
    n = Math.sqrt(n);
    for (let i = 0; i < rows; i++) v[i] /= n;
  }
  return out;
}

/** [F, 3] triangles, column-major, 1-based, the winding reversed (clockwise, as BFM stores it). */
export function trianglesColMajor1(tris: number[], reverse: boolean): Float64Array {
  const F = tris.length / 3;
  const out = new Float64Array(3 * F);
  for (let t = 0; t < F; t++) {
    const c = reverse ? [0, 2, 1] : [0, 1, 2];
    for (let k = 0; k < 3; k++) out[k * F + t] = tris[3 * t + c[k]] + 1;
  }
  return out;
}

export const scaled = (a: ArrayLike<number>, s: number) => Float64Array.from(a, (x) => x * s);

export const SHAPE_STD_UM = [4000, 2500, 1200];
export const TEX_STD = [30, 12];
/** 68 keypoints: vertex ids (0-based) of the synthetic face, some spread over it. */
export const keypoints0 = (N: number) => Array.from({ length: 68 }, (_, k) => (k * 37) % N);

/** BFM 2009 `01_MorphableModel.mat` variables (µm, single, tl 1-based stored as integers). */
export function bfm2009Vars(f: Face, opts: { D?: number } = {}): Record<string, WValue> {
  const R = 3 * f.N;
  const D = opts.D ?? 3;
  const std = Array.from({ length: D }, (_, k) => SHAPE_STD_UM[k] ?? 800 / (k + 1));
  const texMean = Float64Array.from({ length: R }, (_, i) => 100 + (i % 100));
  const F = f.triangles.length / 3;
  const seg = new Float64Array(f.N * 4);
  for (let i = 0; i < f.N; i++) seg[(i % 4) * f.N + i] = 1;
  return {
    shapeMU: num('single', [R, 1], scaled(f.mean, 1000)),
    shapePC: num('single', [R, D], orthonormalColMajor(R, D, 1)),
    shapeEV: num('single', [D, 1], std),
    texMU: num('single', [R, 1], texMean),
    texPC: num('single', [R, 2], orthonormalColMajor(R, 2, 2)),
    texEV: num('single', [2, 1], TEX_STD),
    tl: num('double', [F, 3], trianglesColMajor1(f.triangles, true), {
      storeAs: f.N < 65536 ? 'uint16' : 'int32',
    }),
    segbin: num('uint8', [f.N, 4], seg, { logical: true }),
  };
}

/** Deep3DFaceRecon `BFM_model_front.mat` (dm, double, bases pre-scaled). */
export function frontVars(f: Face): Record<string, WValue> {
  const R = 3 * f.N;
  const id = orthonormalColMajor(R, 3, 3);
  const ex = orthonormalColMajor(R, 2, 4);
  const idBase = Float64Array.from(id, (x, i) => (x * SHAPE_STD_UM[Math.floor(i / R)]) / 1e5);
  const exBase = Float64Array.from(ex, (x, i) => (x * [900, 400][Math.floor(i / R)]) / 1e5);
  const F = f.triangles.length / 3;
  return {
    meanshape: num('double', [1, R], scaled(f.mean, 1 / 100)),
    idBase: num('double', [R, 3], idBase),
    exBase: num('single', [R, 2], exBase),
    meantex: num(
      'double',
      [1, R],
      Float64Array.from({ length: R }, (_, i) => 50 + (i % 150)),
    ),
    texBase: num('double', [R, 1], scaled(orthonormalColMajor(R, 1, 5), 20)),
    tri: num('int32', [F, 3], trianglesColMajor1(f.triangles, true)),
    keypoints: num(
      'double',
      [1, 68],
      keypoints0(f.N).map((v) => v + 1),
    ),
    point_buf: num('int32', [f.N, 1], new Float64Array(f.N)),
  };
}

/** 3DDFA `model_refine` fields (µm, tri [3, F] 1-based, keypoints 1-based, no sigma). */
export function tddfaFields(f: Face): Record<string, WValue> {
  const R = 3 * f.N;
  const F = f.triangles.length / 3;
  const tri = new Float64Array(3 * F);
  // [3, F] column-major: corner c of triangle t at t*3 + c (winding reversed).
  for (let t = 0; t < F; t++) {
    const c = [0, 2, 1];
    for (let k = 0; k < 3; k++) tri[t * 3 + k] = f.triangles[3 * t + c[k]] + 1;
  }
  const muExp = Float64Array.from({ length: R }, (_, i) => (i % 3 === 2 ? 500 : 0));
  return {
    mu_shape: num(
      'single',
      [R, 1],
      scaled(f.mean, 1000).map((x, i) => x - muExp[i]),
    ),
    mu_exp: num('single', [R, 1], muExp),
    w: num('single', [R, 3], orthonormalColMajor(R, 3, 6)),
    w_exp: num('single', [R, 2], scaled(orthonormalColMajor(R, 2, 7), 3000)),
    tri: num('double', [3, F], tri),
    keypoints: num(
      'double',
      [1, 68],
      keypoints0(f.N).map((v) => v + 1),
    ),
  };
}

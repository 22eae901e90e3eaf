/** Writes small BFM 2017-layout (statismo) `.h5` files for tests, with h5wasm. */
import h5wasm from 'h5wasm/node';

/** Seeded PRNG (mulberry32). */
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

/** [rows, d] row-major matrix with orthonormal columns (Gram–Schmidt in float64). */
export function orthonormal(rows: number, d: number, seed: number): Float64Array {
  const r = rng(seed);
  const cols: Float64Array[] = [];
  for (let k = 0; k < d; k++) {
    const v = Float64Array.from({ length: rows }, () => r() - 0.5);
    for (const c of cols) {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += v[i] * c[i];
      for (let i = 0; i < rows; i++) v[i] -= dot * c[i];
    }
    const n = Math.hypot(...v);
    for (let i = 0; i < rows; i++) v[i] /= n;
    cols.push(v);
  }
  const out = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) for (let k = 0; k < d; k++) out[i * d + k] = cols[k][i];
  return out;
}

/** A 3 × 3 grid bowl facing +z: N = 9 vertices, 8 triangles CCW seen from +z, as [F, 3]. */
export function bowl(): { mean: Float64Array; triangles: number[] } {
  const mean = new Float64Array(27);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const x = (j - 1) * 40;
      const y = (i - 1) * 50;
      mean.set([x, y, -0.02 * (x * x + y * y)], 3 * (i * 3 + j));
    }
  }
  const triangles: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      const v = i * 3 + j;
      triangles.push(v, v + 1, v + 4, v, v + 4, v + 3);
    }
  }
  return { mean, triangles };
}

export interface PcaSpec {
  mean: ArrayLike<number>;
  /** [3N, D] row-major */
  basis: ArrayLike<number>;
  variance: ArrayLike<number>;
  meanShape?: number[];
  basisShape?: number[];
  varianceShape?: number[];
}

export interface BfmSpec {
  shape: PcaSpec;
  /** [F, 3] triangles; written transposed as cells [3, F]. */
  triangles: number[];
  expression?: PcaSpec;
  color?: PcaSpec;
  cellsShape?: number[];
  pointsShape?: number[];
  skip?: string[];
}

/** Writes `spec` in the Basel layout to `path` (float32 data, int32 cells, like the BFM files). */
export async function writeBfmH5(path: string, spec: BfmSpec): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  const skip = new Set(spec.skip ?? []);
  const put = (name: string, data: Float32Array | Int32Array, shape: number[]) => {
    if (!skip.has(name)) f.create_dataset({ name, data, shape });
  };
  const n = spec.shape.mean.length / 3;
  const writePca = (group: string, p: PcaSpec) => {
    f.create_group(group);
    f.create_group(`${group}/model`);
    f.create_group(`${group}/representer`);
    const d = p.variance.length;
    put(`${group}/model/mean`, Float32Array.from(p.mean), p.meanShape ?? [3 * n]);
    put(`${group}/model/pcaBasis`, Float32Array.from(p.basis), p.basisShape ?? [3 * n, d]);
    put(`${group}/model/pcaVariance`, Float32Array.from(p.variance), p.varianceShape ?? [d]);
    put(`${group}/model/noiseVariance`, Float32Array.of(0), [1]);
    const points = new Float32Array(3 * n);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < 3; c++) points[c * n + i] = spec.shape.mean[3 * i + c];
    put(`${group}/representer/points`, points, spec.pointsShape ?? [3, n]);
    const F = spec.triangles.length / 3;
    const cells = new Int32Array(3 * F);
    for (let t = 0; t < F; t++)
      for (let c = 0; c < 3; c++) cells[c * F + t] = spec.triangles[3 * t + c];
    put(`${group}/representer/cells`, cells, spec.cellsShape ?? [3, F]);
  };
  writePca('shape', spec.shape);
  if (spec.expression) writePca('expression', spec.expression);
  if (spec.color) writePca('color', spec.color);
  f.close();
}

/**
 * Basel Face Model 2017 / 2019 `.h5` files (statismo layout), read with h5wasm (the HDF5 C
 * library compiled to WebAssembly: no native build, works wherever Node runs).
 *
 *   shape/model/mean          [3N]      x0 y0 z0 x1 …
 *   shape/model/pcaBasis      [3N, D]   orthonormal columns
 *   shape/model/pcaVariance   [D]
 *   shape/representer/points  [3, N]
 *   shape/representer/cells   [3, F]
 *   expression/…, color/…     the same, optional (expression and colour share the shape's N)
 */
import { ModelFormatError } from '../errors';
import type { LandmarkMap, LinearBasis, MorphableModel } from '../types';
import { baseName, emptyLandmarks } from './util';
import { checkMorphableModel } from './validate';

/** h5wasm's module: its browser/ESM build (`h5wasm`, in-memory file system) or its Node build (`h5wasm/node`, real files). */
export type H5Module = typeof import('h5wasm');
type H5File = InstanceType<H5Module['File']>;

export interface ReadBfmOptions {
  /**
   * Units of the file's coordinates. 'auto' (default) takes millimetres, or micrometres when the
   * mean face is more than 10 m across (a face is ~0.2 m), and records the choice in
   * `metadata.extra.unitScale`.
   */
  units?: 'auto' | 'mm' | 'um';
  /** [68] ibug → vertex map; default all -1 (BFM files carry none). */
  landmarks?: LandmarkMap;
  /** Model name; default the file's base name. */
  name?: string;
}

type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

interface Read {
  shape: number[];
  /** Row-major values, as h5wasm returns them (64-bit integers converted to numbers). */
  data: NumericArray;
  isInteger: boolean;
}

/**
 * The entity at `path`, or undefined: walks group by group and asks for listed names only, because
 * h5wasm's `get` of a missing nested path prints HDF5 diagnostics to stderr.
 */
function getEntity(h5: H5Module, f: H5File, path: string): unknown {
  let node: unknown = f;
  for (const part of path.split('/')) {
    if (!(node instanceof h5.Group) || !node.keys().includes(part)) return undefined;
    node = node.get(part);
  }
  return node ?? undefined;
}

function readDataset(h5: H5Module, f: H5File, path: string, file: string, required: true): Read;
function readDataset(
  h5: H5Module,
  f: H5File,
  path: string,
  file: string,
  required: false,
): Read | undefined;
function readDataset(
  h5: H5Module,
  f: H5File,
  path: string,
  file: string,
  required: boolean,
): Read | undefined {
  const entity = getEntity(h5, f, path);
  if (entity === undefined) {
    if (required)
      throw new ModelFormatError(
        file,
        path,
        'dataset missing (expected the Basel/statismo layout)',
      );
    return undefined;
  }
  if (!(entity instanceof h5.Dataset))
    throw new ModelFormatError(file, path, 'expected a dataset, found a group or link');
  const meta = entity.metadata;
  // H5T_INTEGER = 0, H5T_FLOAT = 1
  if (meta.type !== 0 && meta.type !== 1) {
    throw new ModelFormatError(
      file,
      path,
      `expected a numeric dataset, got HDF5 type class ${meta.type}`,
    );
  }
  const shape = entity.shape ?? [];
  const value = entity.value;
  if (!ArrayBuffer.isView(value) || value instanceof DataView) {
    throw new ModelFormatError(file, path, 'could not read the dataset as a numeric array');
  }
  const data =
    value instanceof BigInt64Array || value instanceof BigUint64Array
      ? Float64Array.from(value as BigInt64Array, (v) => Number(v))
      : (value as NumericArray);
  return { shape, data, isInteger: meta.type === 0 };
}

function expectShape(
  file: string,
  path: string,
  got: number[],
  expected: (number | string)[],
  bound: Record<string, number>,
): void {
  const fail = () =>
    new ModelFormatError(
      file,
      path,
      `expected shape [${expected.map((e) => (typeof e === 'string' && e in bound ? `${e}=${bound[e]}` : e)).join(', ')}], got [${got.join(', ')}]`,
    );
  if (got.length !== expected.length) throw fail();
  expected.forEach((e, i) => {
    if (typeof e === 'number') {
      if (got[i] !== e) throw fail();
    } else if (e in bound) {
      if (bound[e] !== got[i]) throw fail();
    } else {
      bound[e] = got[i];
    }
  });
}

function assertFinite(file: string, path: string, a: NumericArray): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]))
      throw new ModelFormatError(file, path, `value ${i} is ${a[i]}, expected a finite number`);
  }
}

interface Pca {
  mean: NumericArray;
  basis: LinearBasis;
}

/**
 * Reads `<group>/model/{mean,pcaBasis,pcaVariance}`; checks the shapes against each other and
 * `bound.N3` (3N); transposes the row-major [3N, D] basis to mode-major [D, N, 3] and scales
 * column k by √variance[k]·scale (variances by scale²).
 */
function readPca(
  h5: H5Module,
  f: H5File,
  group: 'shape' | 'expression' | 'color',
  file: string,
  bound: Record<string, number>,
  scale: number,
): Pca | undefined {
  const meanPath = `${group}/model/mean`;
  if (!(getEntity(h5, f, `${group}/model`) instanceof h5.Group)) return undefined;
  const mean = readDataset(h5, f, meanPath, file, true);
  const basisPath = `${group}/model/pcaBasis`;
  const varPath = `${group}/model/pcaVariance`;
  const basis = readDataset(h5, f, basisPath, file, true);
  const variance = readDataset(h5, f, varPath, file, true);
  const D = { shape: 'D', expression: 'E', color: 'C' }[group];
  expectShape(
    file,
    meanPath,
    mean.shape.length === 2 && mean.shape[1] === 1 ? [mean.shape[0]] : mean.shape,
    ['3N'],
    bound,
  );
  if (bound['3N'] % 3 !== 0)
    throw new ModelFormatError(file, meanPath, `length ${bound['3N']} is not a multiple of 3`);
  expectShape(file, basisPath, basis.shape, ['3N', D], bound);
  expectShape(file, varPath, variance.shape, [D], bound);
  assertFinite(file, meanPath, mean.data);
  assertFinite(file, basisPath, basis.data);
  const rows = bound['3N'];
  const d = bound[D];
  const v = new Float32Array(d);
  for (let k = 0; k < d; k++) {
    const x = variance.data[k];
    if (!(x >= 0) || !Number.isFinite(x)) {
      throw new ModelFormatError(
        file,
        varPath,
        `variance ${k} is ${x}, expected a finite value ≥ 0`,
      );
    }
    v[k] = x * scale * scale;
  }
  // One pass over the row-major [3N, D] source: transpose to mode-major, scale, and sum the
  // column norms. statismo stores the orthonormal basis; scaling an already-scaled basis again
  // would square the variances, so the norms are checked rather than assumed.
  const src = basis.data;
  const s = Float64Array.from({ length: d }, (_, k) => Math.sqrt(variance.data[k]) * scale);
  const norms = new Float64Array(d);
  const out = new Float32Array(d * rows);
  for (let i = 0; i < rows; i++) {
    const o = i * d;
    for (let k = 0; k < d; k++) {
      const x = src[o + k];
      norms[k] += x * x;
      out[k * rows + i] = x * s[k];
    }
  }
  for (let k = 0; k < d; k++) {
    const nrm = Math.sqrt(norms[k]);
    if (Math.abs(nrm - 1) > 1e-3) {
      throw new ModelFormatError(
        file,
        basisPath,
        `column ${k} has norm ${nrm.toPrecision(6)}, expected an orthonormal basis (norm 1, statismo layout)`,
      );
    }
  }
  return { mean: mean.data, basis: { numModes: d, basis: out, variance: v } };
}

/** Σ over triangles of n·(c − centroid): > 0 when the normals point away from the centroid (outwards). */
export function outwardness(mean: ArrayLike<number>, triangles: ArrayLike<number>): number {
  const n = mean.length / 3;
  const g = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) g[c] += mean[3 * i + c] / n;
  let s = 0;
  for (let t = 0; t < triangles.length; t += 3) {
    const a = 3 * triangles[t];
    const b = 3 * triangles[t + 1];
    const c = 3 * triangles[t + 2];
    const e1 = [mean[b] - mean[a], mean[b + 1] - mean[a + 1], mean[b + 2] - mean[a + 2]];
    const e2 = [mean[c] - mean[a], mean[c + 1] - mean[a + 1], mean[c + 2] - mean[a + 2]];
    const nx = e1[1] * e2[2] - e1[2] * e2[1];
    const ny = e1[2] * e2[0] - e1[0] * e2[2];
    const nz = e1[0] * e2[1] - e1[1] * e2[0];
    const cx = (mean[a] + mean[b] + mean[c]) / 3 - g[0];
    const cy = (mean[a + 1] + mean[b + 1] + mean[c + 1]) / 3 - g[1];
    const cz = (mean[a + 2] + mean[b + 2] + mean[c + 2]) / 3 - g[2];
    s += nx * cx + ny * cy + nz * cz;
  }
  return s;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Offset of the HDF5 superblock signature (0, or after a user block of 512·2^k bytes), or -1. */
export function findHdf5Signature(head: Uint8Array): number {
  for (const at of [0, 512, 1024, 2048]) {
    if (at + 8 <= head.length && HDF5_SIGNATURE.every((b, i) => head[at + i] === b)) return at;
  }
  return -1;
}

async function loadH5wasm(): Promise<{ h5: H5Module; FS: H5FS }> {
  // h5wasm's ESM build (the WebAssembly embedded, an in-memory file system): bundles for a
  // browser and runs in Node. Dynamic import: h5wasm is ESM-only, and this keeps the CJS build
  // loadable and the 4 MB module out of bundles until a BFM file is read.
  const mod = (await import('h5wasm')) as unknown as { default?: H5Module } & H5Module;
  const h5 = (mod.default ?? mod) as H5Module;
  const { FS } = (await h5.ready) as unknown as { FS: H5FS };
  return { h5, FS };
}

/** The part of emscripten's FS that this module uses. */
interface H5FS {
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
}

let memfsCounter = 0;

/**
 * Reads a Basel Face Model 2017/2019 `.h5` (statismo layout) from its bytes (browser-safe: the
 * bytes go into h5wasm's in-memory file system). In Node, `@3dmm-stn/morphable-model/node`'s
 * `readBfmH5` also takes a path and reads the file in place.
 *
 * - Every dataset's shape is checked against the others (3N, D, N, F).
 * - The orthonormal basis is scaled by √pcaVariance (α ~ N(0, I)), variances kept.
 * - A non-zero `expression/model/mean` is added to the shape mean (X = μ_s + μ_e + …, as eos does).
 * - Triangles come from `shape/representer/cells`; if their normals point inwards they are
 *   flipped to the project's convention (CCW seen from outside) and `metadata.extra.windingFlipped`
 *   is set. Colour in 0–255 is scaled to [0, 1] (`metadata.extra.colorScale`).
 *
 * @param file the name used in errors and the metadata (default `<bytes>`).
 * @throws ModelFormatError naming the dataset and the expected shape.
 */
export async function readBfmH5(
  bytes: Uint8Array,
  options: ReadBfmOptions = {},
  file = '<bytes>',
): Promise<MorphableModel> {
  checkHdf5Head(bytes.subarray(0, 4096), file);
  const { h5, FS } = await loadH5wasm();
  const path = `/3dmm-bfm-${++memfsCounter}.h5`;
  FS.writeFile(path, bytes);
  try {
    return readBfmOpenedBy(h5, path, file, options);
  } finally {
    FS.unlink(path);
  }
}

/** Check the signature first: h5wasm does not throw on a non-HDF5 file, it prints diagnostics. */
export function checkHdf5Head(head: Uint8Array, file: string): void {
  if (findHdf5Signature(head) < 0) {
    throw new ModelFormatError(
      file,
      'HDF5 signature',
      'not an HDF5 file: no "\\x89HDF\\r\\n\\x1a\\n" at byte 0, 512, 1024 or 2048',
    );
  }
}

/**
 * Opens `path` in `h5`'s file system (in-memory for the ESM build, the real one for
 * `h5wasm/node`) and reads the model. Shared by both entries.
 */
export function readBfmOpenedBy(
  h5: H5Module,
  path: string,
  file: string,
  options: ReadBfmOptions,
): MorphableModel {
  let f: H5File | undefined;
  try {
    f = new h5.File(path, 'r');
    if (typeof f.file_id !== 'bigint' || f.file_id < 0n) {
      f = undefined;
      throw new ModelFormatError(
        file,
        'HDF5',
        'the HDF5 library cannot open the file (corrupt or truncated?)',
      );
    }
    try {
      return readOpen(h5, f, file, options);
    } catch (e) {
      if (e instanceof ModelFormatError) throw e;
      // h5wasm reports corrupt or truncated files with plain Errors.
      throw new ModelFormatError(file, 'HDF5', `cannot read the file: ${(e as Error).message}`);
    }
  } finally {
    f?.close();
  }
}

function readOpen(h5: H5Module, f: H5File, file: string, options: ReadBfmOptions): MorphableModel {
  const bound: Record<string, number> = {};
  if (!(getEntity(h5, f, 'shape/model') instanceof h5.Group))
    throw new ModelFormatError(
      file,
      'shape/model',
      'group missing (expected the Basel/statismo layout)',
    );
  // Units first (they scale everything): from the raw mean.
  const rawMean = readDataset(h5, f, 'shape/model/mean', file, true);
  let extent = 0;
  for (let c = 0; c < 3; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = c; i < rawMean.data.length; i += 3) {
      lo = Math.min(lo, rawMean.data[i]);
      hi = Math.max(hi, rawMean.data[i]);
    }
    extent = Math.max(extent, hi - lo);
  }
  const units = options.units ?? 'auto';
  const scale = units === 'um' || (units === 'auto' && extent > 10_000) ? 1e-3 : 1;
  const extra: Record<string, unknown> = {
    unitScale: scale,
    units: scale === 1 ? 'mm' : 'um → mm',
  };

  const shape = readPca(h5, f, 'shape', file, bound, scale) as Pca;
  const N = bound['3N'] / 3;
  bound.N = N;
  const points = readDataset(h5, f, 'shape/representer/points', file, false);
  if (points) expectShape(file, 'shape/representer/points', points.shape, [3, 'N'], bound);
  const cells = readDataset(h5, f, 'shape/representer/cells', file, true);
  expectShape(file, 'shape/representer/cells', cells.shape, [3, 'F'], bound);
  if (!cells.isInteger)
    throw new ModelFormatError(file, 'shape/representer/cells', 'expected an integer dataset');
  const F = bound.F;
  const triangles = new Uint32Array(3 * F);
  for (let t = 0; t < F; t++) {
    for (let c = 0; c < 3; c++) {
      const v = cells.data[c * F + t];
      if (!(v >= 0 && v < N)) {
        throw new ModelFormatError(
          file,
          'shape/representer/cells',
          `triangle ${t} has vertex id ${v}, expected 0 ≤ id < ${N}`,
        );
      }
      triangles[3 * t + c] = v;
    }
  }

  const mean = new Float32Array(3 * N);
  let expression: LinearBasis | undefined;
  const expr = readPca(h5, f, 'expression', file, bound, scale);
  let exprMeanMax = 0;
  for (let i = 0; i < 3 * N; i++) {
    const e = expr ? expr.mean[i] : 0;
    exprMeanMax = Math.max(exprMeanMax, Math.abs(e));
    mean[i] = (shape.mean[i] + e) * scale;
  }
  if (expr) {
    expression = expr.basis;
    if (exprMeanMax > 0) extra.expressionMeanAdded = { maxAbs: exprMeanMax * scale };
    const ep = readDataset(h5, f, 'expression/representer/points', file, false);
    if (ep) expectShape(file, 'expression/representer/points', ep.shape, [3, 'N'], bound);
  }

  let color: MorphableModel['color'];
  if (getEntity(h5, f, 'color/model') instanceof h5.Group) {
    const raw = readDataset(h5, f, 'color/model/mean', file, true);
    let max = 0;
    for (const x of raw.data) max = Math.max(max, Math.abs(x));
    const cs = max > 1.5 ? 1 / 255 : 1;
    if (cs !== 1) extra.colorScale = cs;
    const col = readPca(h5, f, 'color', file, bound, cs) as Pca;
    color = { mean: Float32Array.from(col.mean, (x) => x * cs), basis: col.basis };
  }

  if (outwardness(mean, triangles) < 0) {
    for (let t = 0; t < triangles.length; t += 3) {
      const b = triangles[t + 1];
      triangles[t + 1] = triangles[t + 2];
      triangles[t + 2] = b;
    }
    extra.windingFlipped = true;
  }

  const model: MorphableModel = {
    numVertices: N,
    mean,
    shape: shape.basis,
    triangles,
    landmarks: options.landmarks ? Int32Array.from(options.landmarks) : emptyLandmarks(),
    metadata: { name: options.name ?? baseName(file), source: file, format: 'bfm-h5', extra },
  };
  if (expression) model.expression = expression;
  if (color) model.color = color;
  checkMorphableModel(model, file);
  return model;
}

/**
 * Readers for eos' cereal binary archives (`.bin`): `MorphableModel` and `std::vector<Blendshape>`.
 *
 * The layout is cereal's BinaryArchive (little endian) applied to eos'
 * `include/eos/morphablemodel/{MorphableModel,PcaModel,Blendshape}.hpp` and
 * `io/eigen_cerealisation.hpp`; see the README io section and FORMATS.md.
 */
import { ModelFormatError } from '../errors';
import type { LandmarkMap, LinearBasis, ModelMetadata, MorphableModel } from '../types';
import { ByteReader } from './byte-reader';
import { baseName, emptyLandmarks } from './util';

/** Highest `MorphableModel` class version eos writes (eos 1.x: 4). */
const EOS_MAX_VERSION = 4;

interface EigenMatrix {
  rows: number;
  cols: number;
  /** Column-major rows × cols. */
  data: Float32Array;
}

/** Eigen matrix: int32 rows, int32 cols, then rows·cols float32 column-major. */
function readMatrix(
  r: ByteReader,
  field: string,
  check?: (rows: number, cols: number) => true | string,
): EigenMatrix {
  const at = r.offset;
  const rows = r.i32(`${field}.rows`);
  const cols = r.i32(`${field}.cols`);
  if (rows < 0 || cols < 0) throw r.error(field, `negative matrix size ${rows} × ${cols}`, at);
  // Sizes are checked against the other fields before the values are read (or allocated).
  const ok = check ? check(rows, cols) : true;
  if (ok !== true) throw r.error(field, ok, at);
  const data = r.f32Array(`${field} (${rows} × ${cols} float32)`, rows * cols);
  return { rows, cols, data };
}

function assertFinite(r: ByteReader, field: string, a: Float32Array, at: number): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]))
      throw r.error(field, `value ${i} is ${a[i]}, expected a finite number`, at);
  }
}

/** std::vector<std::array<int, 3>>: uint64 count, then count × 3 int32, checked against `numVertices`. */
function readTriangles(r: ByteReader, field: string, numVertices: number): Uint32Array {
  const n = r.count(`${field}.size`, 12);
  const at = r.offset;
  const raw = r.i32Array(field, n * 3);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (v < 0 || v >= numVertices) {
      throw r.error(
        field,
        `triangle ${Math.floor(i / 3)} has vertex id ${v}, expected 0 ≤ id < ${numVertices}`,
        at + 4 * i,
      );
    }
  }
  return new Uint32Array(raw.buffer, raw.byteOffset, raw.length);
}

interface RawPca {
  /** [N, 3] */
  mean: Float32Array;
  /** Basis scaled to α ~ N(0, I), with its variances. */
  basis: LinearBasis;
  triangles: Uint32Array;
  numVertices: number;
}

/**
 * eos `PcaModel`: mean (3N × 1), orthonormal basis (3N × D), eigenvalues (D × 1), triangles.
 * The orthonormal basis is scaled column by column by √eigenvalue so that coefficients are
 * ~ N(0, I) (what eos calls the rescaled basis); the variances are kept.
 * `expectedVertices` (if given) must match. Returns undefined for an empty model (mean of size 0).
 */
function readPcaModel(r: ByteReader, field: string, expectedVertices?: number): RawPca | undefined {
  const meanAt = r.offset;
  const mean = readMatrix(r, `${field}.mean`);
  const empty = mean.data.length === 0;
  if (!empty && (mean.cols !== 1 || mean.rows % 3 !== 0)) {
    throw r.error(
      `${field}.mean`,
      `expected a 3N × 1 column vector, got ${mean.rows} × ${mean.cols}`,
      meanAt,
    );
  }
  const numVertices = mean.rows / 3;
  if (!empty && expectedVertices !== undefined && numVertices !== expectedVertices) {
    throw r.error(
      `${field}.mean`,
      `has ${numVertices} vertices (${mean.rows} rows), expected ${expectedVertices} like the shape model`,
      meanAt,
    );
  }
  const basisAt = r.offset;
  const basis = readMatrix(r, `${field}.orthonormal_pca_basis`, (rows, cols) =>
    empty
      ? rows * cols === 0 || `expected an empty basis with an empty mean, got ${rows} × ${cols}`
      : rows === mean.rows ||
        `expected ${mean.rows} × D (rows like the mean), got ${rows} × ${cols}`,
  );
  const numModes = basis.cols;
  const eigAt = r.offset;
  const eig = readMatrix(r, `${field}.eigenvalues`, (rows, cols) =>
    empty
      ? rows * cols === 0 || `expected no eigenvalues with an empty mean, got ${rows} × ${cols}`
      : (rows === numModes && cols === 1) ||
        `expected ${numModes} × 1 (one per basis column), got ${rows} × ${cols}`,
  );
  if (empty) {
    const tris = r.count(`${field}.triangle_list.size`, 12);
    if (tris !== 0) throw r.error(`${field}.triangle_list`, `${tris} triangles in an empty model`);
    return undefined;
  }
  assertFinite(r, `${field}.mean`, mean.data, meanAt);
  assertFinite(r, `${field}.orthonormal_pca_basis`, basis.data, basisAt);
  for (let k = 0; k < numModes; k++) {
    const v = eig.data[k];
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw r.error(
        `${field}.eigenvalues`,
        `eigenvalue ${k} is ${v}, expected a finite value ≥ 0`,
        eigAt,
      );
    }
  }
  // Column-major 3N × D is already mode-major [D, N, 3]: scale each column in place.
  const b = basis.data;
  const rows = mean.rows;
  for (let k = 0; k < numModes; k++) {
    const s = Math.sqrt(eig.data[k]);
    const o = k * rows;
    for (let i = 0; i < rows; i++) b[o + i] *= s;
  }
  const triangles = readTriangles(r, `${field}.triangle_list`, numVertices);
  return {
    mean: mean.data,
    basis: { numModes, basis: b, variance: eig.data },
    triangles,
    numVertices,
  };
}

/** Blendshape: name (string), deformation (3N × 1). */
function readBlendshapeList(r: ByteReader, field: string, expectedVertices?: number): LinearBasis {
  // Each blendshape takes at least 8 (name length) + 8 (matrix size) bytes.
  const n = r.count(`${field}.size`, 16);
  const names: string[] = [];
  const parts: Float32Array[] = [];
  let rows = expectedVertices === undefined ? -1 : expectedVertices * 3;
  for (let k = 0; k < n; k++) {
    names.push(r.string(`${field}[${k}].name`));
    const at = r.offset;
    const m = readMatrix(r, `${field}[${k}].deformation`, (mr, mc) => {
      if (mc !== 1 || mr % 3 !== 0 || mr === 0)
        return `expected a 3N × 1 column vector, got ${mr} × ${mc}`;
      if (rows !== -1 && mr !== rows) return `has ${mr} rows, expected ${rows} (3 per vertex)`;
      return true;
    });
    rows = m.rows;
    assertFinite(r, `${field}[${k}].deformation`, m.data, at);
    parts.push(m.data);
  }
  const basis = new Float32Array(n * Math.max(rows, 0));
  parts.forEach((p, k) => {
    basis.set(p, k * rows);
  });
  return { numModes: n, basis, names };
}

export interface ReadEosOptions {
  /** [68] ibug → vertex map (e.g. from `readLandmarkMapping`); default all -1. */
  landmarks?: LandmarkMap;
  /** Model name for the metadata; default the file's base name. */
  name?: string;
}

/**
 * Reads an eos `MorphableModel` cereal archive (`.bin`, class versions 1–4), consuming it to the
 * last byte. The shape basis comes back scaled by √eigenvalue (α ~ N(0, I)) with the variances
 * kept; the colour model only if it is non-empty; texture coordinates converted from eos' image
 * convention (v down) to the project's (v up): v = 1 − v_eos.
 *
 * @throws ModelFormatError naming the file, the field being read and the byte offset.
 */
export function readEosModel(
  bytes: Uint8Array,
  file = '<bytes>',
  options: ReadEosOptions = {},
): MorphableModel {
  const r = new ByteReader(bytes, file);
  const version = r.u32('MorphableModel.version');
  if (version < 1 || version > EOS_MAX_VERSION) {
    throw r.error(
      'MorphableModel.version',
      `unsupported eos MorphableModel version ${version}, expected 1 … ${EOS_MAX_VERSION}`,
      0,
    );
  }
  const shape = readPcaModel(r, 'shape_model');
  if (!shape) throw r.error('shape_model.mean', 'the shape model is empty', 4);
  const N = shape.numVertices;
  const colorPca = readPcaModel(r, 'color_model', N);
  const extra: Record<string, unknown> = { eosVersion: version };

  let expression: LinearBasis | undefined;
  if (version >= 2) {
    // cereal optional: bool "nullopt" (true = absent), then a variant<PcaModel, Blendshapes>: int32 index.
    const nullopt = r.bool('expression_model.nullopt');
    if (!nullopt) {
      const at = r.offset;
      const index = r.i32('expression_model.index');
      if (index === 0) {
        const pca = readPcaModel(r, 'expression_model.PcaModel', N);
        if (pca) {
          expression = pca.basis;
          // eos draws expression samples around their own mean and adds them to the shape:
          // X = μ_shape + μ_expr + …, so the expression mean joins the model's mean.
          let maxAbs = 0;
          for (let i = 0; i < pca.mean.length; i++) {
            shape.mean[i] += pca.mean[i];
            maxAbs = Math.max(maxAbs, Math.abs(pca.mean[i]));
          }
          if (maxAbs > 0) extra.expressionMeanAdded = { maxAbs };
        }
      } else if (index === 1) {
        expression = readBlendshapeList(r, 'expression_model.Blendshapes', N);
      } else {
        throw r.error(
          'expression_model.index',
          `variant index ${index}, expected 0 (PcaModel) or 1 (Blendshapes)`,
          at,
        );
      }
    }
  }
  if (version >= 3) {
    const nullopt = r.bool('landmark_definitions.nullopt');
    if (!nullopt) {
      // unordered_map<string, int>: uint64 size, then (key, int32 value) pairs; each ≥ 12 bytes.
      const n = r.count('landmark_definitions.size', 12);
      const defs: Record<string, number> = {};
      for (let k = 0; k < n; k++) {
        const key = r.string(`landmark_definitions[${k}].key`);
        const at = r.offset;
        const v = r.i32(`landmark_definitions[${key}]`);
        if (v < 0 || v >= N)
          throw r.error(`landmark_definitions[${key}]`, `vertex id ${v} not in [0, ${N})`, at);
        defs[key] = v;
      }
      extra.landmarkDefinitions = defs;
    }
  }
  const tcCount = r.count('texture_coordinates.size', 16);
  const tcAt = r.offset;
  const tc64 = r.f64Array('texture_coordinates', tcCount * 2);
  let textureTriangles = 0;
  if (version >= 4) {
    textureTriangles = r.count('texture_triangle_indices.size', 12);
    const at = r.offset;
    const tti = r.i32Array('texture_triangle_indices', textureTriangles * 3);
    for (let i = 0; i < tti.length; i++) {
      if (tti[i] < 0 || tti[i] >= tcCount) {
        throw r.error(
          'texture_triangle_indices',
          `index ${tti[i]} not in [0, ${tcCount})`,
          at + 4 * i,
        );
      }
    }
  }
  r.expectEnd('MorphableModel');

  let texCoords: Float32Array | undefined;
  if (tcCount === N && textureTriangles === 0) {
    texCoords = new Float32Array(2 * N);
    for (let i = 0; i < N; i++) {
      const u = tc64[2 * i];
      const v = tc64[2 * i + 1];
      if (!Number.isFinite(u) || !Number.isFinite(v)) {
        throw r.error(
          'texture_coordinates',
          `pair ${i} is (${u}, ${v}), expected finite values`,
          tcAt,
        );
      }
      texCoords[2 * i] = u;
      texCoords[2 * i + 1] = 1 - v;
    }
  } else if (tcCount !== 0) {
    if (textureTriangles === 0) {
      throw r.error(
        'texture_coordinates',
        `${tcCount} pairs, expected 0 or one per vertex (${N})`,
        tcAt,
      );
    }
    // A separate texture triangulation (seams) cannot be expressed as per-vertex [N, 2]: recorded, not used.
    extra.texCoordsDropped = `${tcCount} texture coordinates with their own ${textureTriangles}-triangle triangulation`;
  }

  const metadata: ModelMetadata = {
    name: options.name ?? baseName(file),
    source: file,
    format: 'eos',
    extra,
  };
  const model: MorphableModel = {
    numVertices: N,
    mean: shape.mean,
    shape: shape.basis,
    triangles: shape.triangles,
    landmarks: options.landmarks ? Int32Array.from(options.landmarks) : emptyLandmarks(),
    metadata,
  };
  if (expression) model.expression = expression;
  if (colorPca) model.color = { mean: colorPca.mean, basis: colorPca.basis };
  if (texCoords) model.texCoords = texCoords;
  if (options.landmarks) checkLandmarks(model.landmarks, N, file);
  return model;
}

function checkLandmarks(lm: LandmarkMap, n: number, file: string): void {
  if (lm.length !== 68)
    throw new ModelFormatError(file, 'landmarks', `length ${lm.length}, expected 68`);
  for (let k = 0; k < 68; k++) {
    if (lm[k] < -1 || lm[k] >= n) {
      throw new ModelFormatError(
        file,
        'landmarks',
        `ibug point ${k + 1} maps to vertex ${lm[k]}, expected -1 or 0 ≤ id < ${n} (the model has ${n} vertices)`,
      );
    }
  }
}

/**
 * Reads an eos blendshapes archive (`std::vector<Blendshape>`): names and raw offsets.
 * Returns a `LinearBasis` with `basis` [E, N, 3] in millimetres (not variance-normalised, so no
 * `variance`) and `names`.
 *
 * @throws ModelFormatError naming the file, the field being read and the byte offset.
 */
export function readEosBlendshapes(
  bytes: Uint8Array,
  file = '<bytes>',
  numVertices?: number,
): LinearBasis {
  const r = new ByteReader(bytes, file);
  const basis = readBlendshapeList(r, 'blendshapes', numVertices);
  r.expectEnd('blendshapes');
  return basis;
}

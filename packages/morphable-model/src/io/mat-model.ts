/**
 * Morphable models stored in MATLAB files: the Basel Face Model 2009 and the models derived from
 * it, recognised by the variable names present (never the file name). Browser-safe.
 *
 * | layout | variables | units, index base |
 * |---|---|---|
 * | `bfm2009` (`01_MorphableModel.mat`) | shapeMU [3N,1], shapePC [3N,D] orthonormal, shapeEV [D,1] standard deviations, texMU/texPC/texEV (0–255), tl [F,3], segbin [N,4] optional | µm; tl 1-based |
 * | `deep3dfacerecon` (`BFM_model_front.mat`) | meanshape [1,3N], idBase [3N,80], exBase [3N,64], meantex [1,3N], texBase [3N,80], tri [F,3], keypoints [1,68] | dm (µm/1e5), bases pre-scaled by the standard deviations; tri, keypoints 1-based |
 * | `3ddfa` (`model_refine` struct, or the variables at top level) | mu_shape (or u) [3N,1], mu_exp [3N,1], w (or w_shp) [3N,D], w_exp [3N,E], sigma / sigma_exp optional, tri [3,F] or [F,3], keypoints [1,68] | µm; tri, keypoints 1-based |
 * | `face3d` (`BFM.mat`: struct `model`) | shapeMU, shapePC, shapeEV, expMU, expPC, expEV, texMU, texPC, texEV, tri [F,3], kpt_ind [68] | µm; 1-based |
 *
 * Rows of every 3N vector run x0 y0 z0 x1 …; a MATLAB [3N, D] matrix is column-major, so mode k is
 * contiguous: it already is the project's mode-major [D, N, 3] layout.
 */
import { ModelFormatError } from '../errors';
import type { LandmarkMap, LinearBasis, MorphableModel } from '../types';
import { outwardness } from './bfm';
import {
  listMatVariables,
  type MatInflate,
  type MatNumeric,
  type MatValue,
  matFileVersion,
  readMat,
} from './mat';
import { withMatV73 } from './mat-v73';
import { baseName, emptyLandmarks } from './util';
import { checkMorphableModel } from './validate';

export type MatModelLayout = 'bfm2009' | 'deep3dfacerecon' | '3ddfa' | 'face3d';

export interface ReadMatModelOptions {
  /** File name for errors and `metadata.source` (default `<bytes>`). */
  file?: string;
  /** Model name; default the file's base name. */
  name?: string;
  /**
   * Units of the file's coordinates. 'auto' (default): micrometres when the mean face is more
   * than 10,000 units across (as the BFM `.h5` reader decides), decimetres when it is less than
   * 10 (Deep3DFaceRecon's `BFM_model_front.mat`), else millimetres. Recorded in
   * `metadata.extra.unitScale` / `units`.
   */
  units?: 'auto' | 'mm' | 'um' | 'dm';
  /** [68] ibug → vertex map; replaces the file's `keypoints` when given. */
  landmarks?: LandmarkMap;
  /** zlib inflate for compressed variables (default `inflateDefault`). */
  inflate?: MatInflate;
}

/** Variable (or struct field) names each layout needs, and those it reads when present. */
const LAYOUTS: Record<MatModelLayout, { required: string[][]; optional: string[] }> = {
  bfm2009: {
    required: [['shapeMU'], ['shapePC'], ['shapeEV'], ['tl']],
    optional: ['texMU', 'texPC', 'texEV', 'segbin'],
  },
  face3d: {
    required: [['shapeMU'], ['shapePC'], ['shapeEV'], ['tri']],
    optional: ['expMU', 'expPC', 'expEV', 'texMU', 'texPC', 'texEV', 'kpt_ind'],
  },
  deep3dfacerecon: {
    required: [['meanshape'], ['idBase'], ['tri']],
    optional: ['exBase', 'meantex', 'texBase', 'keypoints'],
  },
  '3ddfa': {
    required: [['mu_shape', 'u'], ['w', 'w_shp'], ['tri']],
    optional: [
      'mu_exp',
      'w_exp',
      'sigma',
      'sigma_exp',
      'keypoints',
      'mu_tex',
      'w_tex',
      'sigma_tex',
    ],
  },
};

/** The layout the names fit, if any (checked in this order). */
export function detectMatLayout(names: readonly string[]): MatModelLayout | undefined {
  const has = new Set(names);
  for (const layout of ['bfm2009', 'face3d', 'deep3dfacerecon', '3ddfa'] as const) {
    if (LAYOUTS[layout].required.every((alts) => alts.some((n) => has.has(n)))) return layout;
  }
  return undefined;
}

const EXPECTED =
  'expected the variables of BFM 2009 (shapeMU, shapePC, shapeEV, tl), Deep3DFaceRecon (meanshape, idBase, tri), 3DDFA (mu_shape or u, w or w_shp, tri; or a struct model_refine holding them) or face3d (a struct model with shapeMU, shapePC, shapeEV, tri)';

/** Where values come from: top-level variables, or the fields of one struct variable. */
interface Source {
  layout: MatModelLayout;
  /** `name` or `struct.name`, for messages. */
  path: (name: string) => string;
  get: (name: string) => MatValue | undefined;
}

/**
 * Reads a morphable model from a MATLAB file (level 5, or v7.3 through h5wasm), detecting
 * the layout by the variables present, and converts it to the project's conventions: mm, bases
 * scaled so α ~ N(0, I) (where the file gives the standard deviations), mode-major [D, N, 3],
 * 0-based triangles, counter-clockwise seen from outside, colour in [0, 1].
 *
 * @throws ModelFormatError naming the variable and what was expected.
 */
export async function readMatModel(
  bytes: Uint8Array,
  options: ReadMatModelOptions = {},
): Promise<MorphableModel> {
  const file = options.file ?? '<bytes>';
  const version = matFileVersion(bytes);
  if (version === undefined) {
    throw new ModelFormatError(file, 'header', 'not a MATLAB MAT-file (level 5 or v7.3)');
  }
  if (version === 'v7.3') {
    // One open of the HDF5 file for the names and the variables.
    return withMatV73(bytes, file, async (names, read) =>
      buildModel(await findSource(names, async (vars) => read(vars), file), file, options),
    );
  }
  const names = listMatVariables(bytes, file).map((v) => v.name);
  const read = (vars: readonly string[]) =>
    readMat(bytes, { file, variables: vars, inflate: options.inflate });
  return buildModel(await findSource(names, read, file), file, options);
}

async function findSource(
  names: string[],
  read: (vars: readonly string[]) => Promise<Map<string, MatValue>>,
  file: string,
): Promise<Source> {
  const top = detectMatLayout(names);
  if (top) {
    const spec = LAYOUTS[top];
    const wanted = [...spec.required.flat(), ...spec.optional].filter((n) => names.includes(n));
    const vars = await read(wanted);
    return { layout: top, path: (n) => n, get: (n) => vars.get(n) };
  }
  // 3DDFA's model_refine.mat and face3d's BFM.mat keep everything in one struct variable.
  for (const structName of ['model_refine', 'model']) {
    if (!names.includes(structName)) continue;
    const v = (await read([structName])).get(structName);
    if (v?.kind !== 'struct' || v.elements.length !== 1) continue;
    const layout = detectMatLayout(v.fieldNames);
    if (!layout) continue;
    const rec = v.elements[0];
    return { layout, path: (n) => `${structName}.${n}`, get: (n) => rec[n] };
  }
  throw new ModelFormatError(
    file,
    'variables',
    `${EXPECTED}; the file has ${names.length ? names.join(', ') : 'no variables'}`,
  );
}

// --- value access --------------------------------------------------------------------------

function numeric(src: Source, file: string, name: string): MatNumeric | undefined {
  const v = src.get(name);
  if (v === undefined) return undefined;
  if (v.kind !== 'numeric') {
    throw new ModelFormatError(file, src.path(name), `expected a numeric array, got a ${v.kind}`);
  }
  return v;
}

function required(src: Source, file: string, names: string[]): { name: string; v: MatNumeric } {
  for (const n of names) {
    const v = numeric(src, file, n);
    if (v) return { name: n, v };
  }
  throw new ModelFormatError(file, src.path(names[0]), `variable missing (${src.layout} layout)`);
}

/** A [n, 1] or [1, n] array's n values; checks n against `len` (a number, or bound by name). */
function vector(file: string, path: string, v: MatNumeric, len?: number): MatNumeric['data'] {
  const d = v.dims;
  const n = v.data.length;
  if (d.filter((x) => x !== 1).length > 1) {
    throw new ModelFormatError(file, path, `expected a vector, got shape [${d.join(', ')}]`);
  }
  if (len !== undefined && n !== len) {
    throw new ModelFormatError(file, path, `expected ${len} values, got shape [${d.join(', ')}]`);
  }
  return v.data;
}

/** A [rows, cols] matrix; checks the shape. */
function matrix(file: string, path: string, v: MatNumeric, rows: number, cols?: number): number {
  const d = v.dims;
  if (d.length !== 2 || d[0] !== rows || (cols !== undefined && d[1] !== cols)) {
    throw new ModelFormatError(
      file,
      path,
      `expected shape [${rows}, ${cols ?? 'D'}], got [${d.join(', ')}]`,
    );
  }
  return d[1];
}

function assertFinite(file: string, path: string, a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]))
      throw new ModelFormatError(file, path, `value ${i} is ${a[i]}, expected a finite number`);
  }
}

/**
 * The mode-major [D, N, 3] basis from a column-major [3N, D] matrix, column k scaled by `scale[k]`;
 * also returns the column norms of the stored matrix. A float32 matrix is scaled in place: the
 * reader's arrays are its own (never views of the caller's bytes), and BFM 2009's 128 MB bases
 * would otherwise be held twice.
 */
function basisOf(data: MatNumeric['data'], rows: number, d: number, scale: Float64Array) {
  const out = data instanceof Float32Array ? data : new Float32Array(rows * d);
  const norms = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    const o = k * rows;
    const s = scale[k];
    let sum = 0;
    for (let i = 0; i < rows; i++) {
      const x = data[o + i];
      sum += x * x;
      out[o + i] = x * s;
    }
    norms[k] = Math.sqrt(sum);
  }
  return { basis: out, norms };
}

function isOrthonormal(norms: Float64Array): boolean {
  return norms.length > 0 && norms.every((n) => Math.abs(n - 1) <= 1e-3);
}

interface BasisSpec {
  /** Variable names (first found is used). */
  basis: string[];
  /** Standard deviations per mode, when the layout has them. */
  std?: string;
  /** The stored basis is already multiplied by the standard deviations (Deep3DFaceRecon). */
  prescaled?: boolean;
}

/**
 * A LinearBasis in the project's convention from [3N, D] + optional standard deviations:
 * - orthonormal columns + std → scaled by std·unit (α ~ N(0, I)), `variance` = (std·unit)²;
 * - pre-scaled by the converter → scaled by unit only, no `variance`;
 * - otherwise (no std, or not orthonormal) → scaled by unit only and reported in `notes`.
 */
function readBasis(
  src: Source,
  file: string,
  spec: BasisSpec,
  rows: number,
  unit: number,
  strictOrthonormal: boolean,
  notes: Record<string, string>,
): LinearBasis | undefined {
  const found = spec.basis.map((n) => ({ n, v: numeric(src, file, n) })).find((x) => x.v);
  if (!found?.v) return undefined;
  const path = src.path(found.n);
  const d = matrix(file, path, found.v, rows);
  assertFinite(file, path, found.v.data);
  const stdV = spec.std ? numeric(src, file, spec.std) : undefined;
  let std: Float64Array | undefined;
  if (stdV && spec.std) {
    const s = vector(file, src.path(spec.std), stdV, d);
    std = Float64Array.from(s);
    for (let k = 0; k < d; k++) {
      if (!(std[k] >= 0) || !Number.isFinite(std[k]))
        throw new ModelFormatError(
          file,
          src.path(spec.std),
          `standard deviation ${k} is ${std[k]}, expected a finite value ≥ 0`,
        );
    }
  }
  const scale = Float64Array.from(
    { length: d },
    (_, k) => (std && !spec.prescaled ? std[k] : 1) * unit,
  );
  const { basis, norms } = basisOf(found.v.data, rows, d, scale);
  const orthonormal = isOrthonormal(norms);
  if (spec.prescaled) {
    notes[found.n] = 'pre-scaled by the standard deviations in the file (no variances)';
    return { numModes: d, basis };
  }
  if (std && orthonormal) {
    return { numModes: d, basis, variance: Float32Array.from(std, (s) => (s * unit) ** 2) };
  }
  if (strictOrthonormal) {
    const k = norms.findIndex((n) => Math.abs(n - 1) > 1e-3);
    throw new ModelFormatError(
      file,
      path,
      `column ${k} has norm ${norms[k].toPrecision(6)}, expected an orthonormal basis (norm 1) to scale by ${spec.std}`,
    );
  }
  notes[found.n] = std
    ? 'not orthonormal: taken as stored (coefficients in the file’s own scale)'
    : 'no standard deviations in the file: taken as stored (coefficients in the file’s own scale)';
  return { numModes: d, basis };
}

// --- the model -----------------------------------------------------------------------------

const NAMES: Record<
  MatModelLayout,
  {
    mean: string[];
    meanExtra?: string;
    shape: BasisSpec;
    expression?: BasisSpec;
    texMean?: string;
    tex?: BasisSpec;
    tri: string;
    keypoints?: string;
  }
> = {
  bfm2009: {
    mean: ['shapeMU'],
    shape: { basis: ['shapePC'], std: 'shapeEV' },
    texMean: 'texMU',
    tex: { basis: ['texPC'], std: 'texEV' },
    tri: 'tl',
  },
  face3d: {
    mean: ['shapeMU'],
    meanExtra: 'expMU',
    shape: { basis: ['shapePC'], std: 'shapeEV' },
    expression: { basis: ['expPC'], std: 'expEV' },
    texMean: 'texMU',
    tex: { basis: ['texPC'], std: 'texEV' },
    tri: 'tri',
    keypoints: 'kpt_ind',
  },
  deep3dfacerecon: {
    mean: ['meanshape'],
    shape: { basis: ['idBase'], prescaled: true },
    expression: { basis: ['exBase'], prescaled: true },
    texMean: 'meantex',
    tex: { basis: ['texBase'], prescaled: true },
    tri: 'tri',
    keypoints: 'keypoints',
  },
  '3ddfa': {
    mean: ['mu_shape', 'u'],
    meanExtra: 'mu_exp',
    shape: { basis: ['w', 'w_shp'], std: 'sigma' },
    expression: { basis: ['w_exp'], std: 'sigma_exp' },
    texMean: 'mu_tex',
    tex: { basis: ['w_tex'], std: 'sigma_tex' },
    tri: 'tri',
    keypoints: 'keypoints',
  },
};

const UNIT_SCALE = { mm: 1, um: 1e-3, dm: 100 } as const;

function buildModel(src: Source, file: string, options: ReadMatModelOptions): MorphableModel {
  const names = NAMES[src.layout];
  const meanVar = required(src, file, names.mean);
  const meanPath = src.path(meanVar.name);
  const raw = vector(file, meanPath, meanVar.v);
  const rows = raw.length;
  if (rows === 0 || rows % 3 !== 0)
    throw new ModelFormatError(file, meanPath, `length ${rows} is not a positive multiple of 3`);
  assertFinite(file, meanPath, raw);
  const N = rows / 3;

  // Units from the raw mean's extent (a face is ~0.2 m across).
  let extent = 0;
  for (let c = 0; c < 3; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = c; i < rows; i += 3) {
      lo = Math.min(lo, raw[i]);
      hi = Math.max(hi, raw[i]);
    }
    extent = Math.max(extent, hi - lo);
  }
  const choice = options.units ?? 'auto';
  const units: keyof typeof UNIT_SCALE =
    choice !== 'auto' ? choice : extent > 10_000 ? 'um' : extent < 10 ? 'dm' : 'mm';
  const unit = UNIT_SCALE[units];
  const extra: Record<string, unknown> = {
    layout: src.layout,
    unitScale: unit,
    units: units === 'mm' ? 'mm' : `${units} → mm`,
  };
  const notes: Record<string, string> = {};

  const mean = new Float32Array(rows);
  const meanExtra = names.meanExtra ? numeric(src, file, names.meanExtra) : undefined;
  const me = meanExtra
    ? vector(file, src.path(names.meanExtra as string), meanExtra, rows)
    : undefined;
  let meMax = 0;
  for (let i = 0; i < rows; i++) {
    const e = me ? me[i] : 0;
    meMax = Math.max(meMax, Math.abs(e));
    mean[i] = (raw[i] + e) * unit;
  }
  if (me) {
    assertFinite(file, src.path(names.meanExtra as string), me);
    if (meMax > 0) extra.expressionMeanAdded = { maxAbs: meMax * unit };
  }

  const strict = src.layout === 'bfm2009' || src.layout === 'face3d';
  const shape = readBasis(src, file, names.shape, rows, unit, strict, notes) as LinearBasis;
  const expression = names.expression
    ? readBasis(src, file, names.expression, rows, unit, false, notes)
    : undefined;

  let color: MorphableModel['color'];
  const texMean = names.texMean ? numeric(src, file, names.texMean) : undefined;
  if (texMean && names.tex) {
    const tPath = src.path(names.texMean as string);
    const tm = vector(file, tPath, texMean, rows);
    assertFinite(file, tPath, tm);
    let max = 0;
    for (let i = 0; i < rows; i++) max = Math.max(max, Math.abs(tm[i]));
    const cs = max > 1.5 ? 1 / 255 : 1;
    if (cs !== 1) extra.colorScale = cs;
    const basis = readBasis(src, file, names.tex, rows, cs, strict, notes);
    if (basis) color = { mean: Float32Array.from(tm, (x) => x * cs), basis };
  }

  const triangles = readTriangles(src, file, names.tri, N);
  if (outwardness(mean, triangles) < 0) {
    for (let t = 0; t < triangles.length; t += 3) {
      const b = triangles[t + 1];
      triangles[t + 1] = triangles[t + 2];
      triangles[t + 2] = b;
    }
    extra.windingFlipped = true;
  }

  let landmarks = emptyLandmarks();
  if (options.landmarks) {
    landmarks = Int32Array.from(options.landmarks);
  } else if (names.keypoints) {
    const kp = numeric(src, file, names.keypoints);
    if (kp) {
      const kPath = src.path(names.keypoints);
      const ids = vector(file, kPath, kp, 68);
      for (let i = 0; i < 68; i++) {
        const v = ids[i];
        if (!Number.isInteger(v) || v < 1 || v > N)
          throw new ModelFormatError(
            file,
            kPath,
            `entry ${i} is ${v}, expected a 1-based vertex id 1…${N}`,
          );
        landmarks[i] = v - 1;
      }
      extra.landmarkSource = `${kPath} (1-based)`;
    }
  }

  if (src.layout === 'bfm2009') {
    const seg = numeric(src, file, 'segbin');
    if (seg) {
      const cols = matrix(file, 'segbin', seg, N);
      const counts: number[] = [];
      for (let k = 0; k < cols; k++) {
        let c = 0;
        for (let i = 0; i < N; i++) if (seg.data[k * N + i]) c++;
        counts.push(c);
      }
      // BFM 2009's segments: nose, eyes, mouth, rest (vertex counts; the masks are not kept).
      extra.segbinCounts = counts;
    }
  }
  if (Object.keys(notes).length) extra.basisNotes = notes;

  const model: MorphableModel = {
    numVertices: N,
    mean,
    shape,
    triangles,
    landmarks,
    metadata: {
      name: options.name ?? baseName(file),
      source: file,
      format: 'mat',
      extra,
    },
  };
  if (expression) model.expression = expression;
  if (color) model.color = color;
  checkMorphableModel(model, file);
  return model;
}

/** 1-based triangles stored [F, 3] or [3, F] → 0-based [F, 3]. */
function readTriangles(src: Source, file: string, name: string, N: number): Uint32Array {
  const v = numeric(src, file, name);
  const path = src.path(name);
  if (!v) throw new ModelFormatError(file, path, `variable missing (${src.layout} layout)`);
  const d = v.dims;
  if (d.length !== 2 || (d[1] !== 3 && d[0] !== 3)) {
    throw new ModelFormatError(
      file,
      path,
      `expected shape [F, 3] or [3, F], got [${d.join(', ')}]`,
    );
  }
  const fByRows = d[1] === 3; // [F, 3], column-major: corner c of triangle t at c*F + t
  const F = fByRows ? d[0] : d[1];
  const out = new Uint32Array(3 * F);
  for (let t = 0; t < F; t++) {
    for (let c = 0; c < 3; c++) {
      const x = fByRows ? v.data[c * F + t] : v.data[t * 3 + c];
      if (!Number.isInteger(x) || x < 1 || x > N) {
        throw new ModelFormatError(
          file,
          path,
          `triangle ${t} has vertex id ${x}, expected a 1-based id 1…${N}`,
        );
      }
      out[3 * t + c] = x - 1;
    }
  }
  return out;
}

/**
 * The ICT Face Model (ICT-FaceKit `FaceXModel` folder, MIT licence): a neutral mesh, PCA identity
 * modes `identityNNN.obj` and ARKit-named expression blendshapes, each an OBJ of the whole mesh.
 *
 * Facts this reader relies on (the release's README and `models/ict-face-model/README.md`):
 * - units are centimetres, y up, z towards the viewer: × 10 to this project's millimetres;
 * - `identityNNN.obj` is the neutral deformed by +1 standard deviation of mode NNN, so the
 *   offset file − neutral is already scaled for α ~ N(0, I) (variance 1 each);
 * - an expression file is the neutral with that blendshape at weight 1 (weights in [0, 1]);
 * - the release's head has 26,719 vertices; its first 9,409 vertices and 9,230 quads are the
 *   "full face area", its first 6,706 vertices and 6,560 quads the "narrow face area"
 *   (no ears, no neck). Files cut to the face area (9,409 vertices) are read the same way.
 *
 * Browser-safe: takes the files' bytes by name; the Node entry's `loadModel(dir)` reads a folder.
 */
import { ModelFormatError } from '../errors';
import type { MorphableModel } from '../types';

/** Vertices of the release's full head mesh. */
export const ICT_FULL_VERTICES = 26719;

/** The two face regions the release defines: vertices and polygons (quads) of each. */
export const ICT_REGIONS = {
  /** "Full face area": face, ears, upper neck. */
  face: { vertices: 9409, polygons: 9230 },
  /** "Narrow face area": the face without ears and neck; holds all 68 landmarks. */
  narrow: { vertices: 6706, polygons: 6560 },
} as const;

export type IctRegion = keyof typeof ICT_REGIONS;

/** The 53 expression blendshapes of ICT-FaceKit, ARKit names (`_L`/`_R` for left/right), in the release's order. */
export const ICT_EXPRESSIONS: readonly string[] = [
  'browDown_L', 'browDown_R', 'browInnerUp_L', 'browInnerUp_R', 'browOuterUp_L', 'browOuterUp_R',
  'cheekPuff_L', 'cheekPuff_R', 'cheekSquint_L', 'cheekSquint_R', 'eyeBlink_L', 'eyeBlink_R',
  'eyeLookDown_L', 'eyeLookDown_R', 'eyeLookIn_L', 'eyeLookIn_R', 'eyeLookOut_L', 'eyeLookOut_R',
  'eyeLookUp_L', 'eyeLookUp_R', 'eyeSquint_L', 'eyeSquint_R', 'eyeWide_L', 'eyeWide_R',
  'jawForward', 'jawLeft', 'jawOpen', 'jawRight', 'mouthClose', 'mouthDimple_L', 'mouthDimple_R',
  'mouthFrown_L', 'mouthFrown_R', 'mouthFunnel', 'mouthLeft', 'mouthLowerDown_L',
  'mouthLowerDown_R', 'mouthPress_L', 'mouthPress_R', 'mouthPucker', 'mouthRight',
  'mouthRollLower', 'mouthRollUpper', 'mouthShrugLower', 'mouthShrugUpper', 'mouthSmile_L',
  'mouthSmile_R', 'mouthStretch_L', 'mouthStretch_R', 'mouthUpperUp_L', 'mouthUpperUp_R',
  'noseSneer_L', 'noseSneer_R',
]; // biome-ignore format: a table

/** ibug-68 → vertex ids (0-based) from the release's README, ibug order 1…68. */
export const ICT_IBUG68: readonly number[] = [
  1225, 1888, 1052, 367, 1719, 1722, 2199, 1447, 966, 3661, 4390, 3927, 3924, 2608, 3272, 4088,
  3443, 268, 493, 1914, 2044, 1401, 3615, 4240, 4114, 2734, 2509, 978, 4527, 4942, 4857, 1140,
  2075, 1147, 4269, 3360, 1507, 1542, 1537, 1528, 1518, 1511, 3742, 3751, 3756, 3721, 3725, 3732,
  5708, 5695, 2081, 0, 4275, 6200, 6213, 6346, 6461, 5518, 5957, 5841, 5702, 5711, 5533, 6216,
  6207, 6470, 5517, 5966,
]; // biome-ignore format: a table

/**
 * Jawline candidates for contour fitting (the release's README), subject's right and left, each
 * ordered from the top of the jaw to the chin: the extended lists (supersets of the 8-point ones
 * that substitute for ibug 1–8 and 10–17).
 */
export const ICT_CONTOUR = {
  right: [
    1280, 1278, 1275, 1272, 1248, 12, 820, 1834, 1902, 243, 844, 781, 1673, 2199, 801, 1447, 800,
  ],
  left: [
    3041, 3661, 3042, 4390, 3880, 3022, 3085, 2484, 4102, 4036, 3061, 2253, 3466, 3490, 3493, 3496,
    3498,
  ],
} as const;

/** Millimetres per centimetre: the release's unit to this project's. */
const MM_PER_CM = 10;

export interface ReadIctOptions {
  /** Face region to keep. Default 'face' (9,409 vertices). */
  region?: IctRegion;
  /** Identity modes to read (the first ones). Default: all `identityNNN.obj` present. */
  identityModes?: number;
  /** Expression blendshapes to read, by name. Default: every ARKit name present. */
  expressions?: readonly string[];
  /** The folder's name, for errors and `metadata.source`. */
  folder?: string;
}

/** The files of a FaceXModel folder, by file name (e.g. `identity000.obj`). */
export type IctFiles = ReadonlyMap<string, Uint8Array>;

/** True when `names` looks like an ICT-FaceKit model folder (it has the neutral mesh and identity000). */
export function isIctFolder(names: Iterable<string>): boolean {
  const set = new Set(names);
  return set.has('generic_neutral_mesh.obj') && set.has('identity000.obj');
}

/** `v` lines of an OBJ: [N, 3] as float64 (the offsets are differences of nearby numbers). */
function readVertices(bytes: Uint8Array, file: string): Float64Array {
  const text = new TextDecoder().decode(bytes);
  let out = new Float64Array(3 * ICT_FULL_VERTICES);
  let n = 0;
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    if (text.charCodeAt(start) === 118 /* v */ && text.charCodeAt(start + 1) === 32) {
      const t = text
        .slice(start + 2, end)
        .trim()
        .split(/\s+/);
      if (t.length < 3) {
        throw new ModelFormatError(
          file,
          `line ${lineNo}`,
          `v: expected "v x y z", got ${t.length} numbers`,
        );
      }
      if (3 * n + 3 > out.length) {
        const bigger = new Float64Array(out.length * 2);
        bigger.set(out);
        out = bigger;
      }
      for (let c = 0; c < 3; c++) {
        const x = Number(t[c]);
        if (!Number.isFinite(x) || t[c] === '') {
          throw new ModelFormatError(
            file,
            `line ${lineNo}`,
            `v coordinate ${c + 1}: expected a number, got ${JSON.stringify(t[c])}`,
          );
        }
        out[3 * n + c] = x;
      }
      n++;
    }
    start = end + 1;
  }
  return out.subarray(0, 3 * n);
}

/** The first `count` `f` polygons as quads (each a list of 0-based vertex ids). */
function readPolygons(bytes: Uint8Array, file: string, count: number, maxVertex: number) {
  const text = new TextDecoder().decode(bytes);
  const quads = new Uint32Array(4 * count);
  let k = 0;
  let start = 0;
  let lineNo = 0;
  while (start < text.length && k < count) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    if (text.charCodeAt(start) === 102 /* f */ && text.charCodeAt(start + 1) === 32) {
      const t = text
        .slice(start + 2, end)
        .trim()
        .split(/\s+/);
      if (t.length !== 4) {
        throw new ModelFormatError(
          file,
          `line ${lineNo}`,
          `f: expected a quad (4 vertices) as the release has, got ${t.length}`,
        );
      }
      for (let c = 0; c < 4; c++) {
        const v = Number(t[c].split('/')[0]) - 1;
        if (!Number.isInteger(v) || v < 0) {
          throw new ModelFormatError(
            file,
            `line ${lineNo}`,
            `f: bad vertex reference ${JSON.stringify(t[c])}`,
          );
        }
        if (v >= maxVertex) {
          throw new ModelFormatError(
            file,
            `line ${lineNo}`,
            `f: polygon ${k} references vertex ${v + 1}, outside the face area (vertices 1–${maxVertex})`,
          );
        }
        quads[4 * k + c] = v;
      }
      k++;
    }
    start = end + 1;
  }
  if (k < count) {
    throw new ModelFormatError(
      file,
      'f',
      `expected at least ${count} polygons (the face area), found ${k}`,
    );
  }
  return quads;
}

/**
 * Reads an ICT-FaceKit model folder into a MorphableModel (mm, y up, z towards the camera):
 * mean = the neutral mesh; identity basis = `identityNNN.obj` − neutral (α ~ N(0, I));
 * expression basis = the blendshapes − neutral, by ARKit name, weights in [0, 1]
 * (`expression.range`); quads split along their 0–2 diagonal, counter-clockwise seen from +z;
 * ibug-68 landmarks and the left/right jawline candidates (`contour`) from the release's README.
 *
 * @throws ModelFormatError naming the file: a missing neutral or identity000, a gap in the
 *   identity modes, a vertex count that is neither 26,719 nor 9,409 or differs from the
 *   neutral's, a polygon of the face area referencing a vertex outside it, malformed lines.
 */
export function readIctModel(files: IctFiles, options: ReadIctOptions = {}): MorphableModel {
  const folder = options.folder ?? '<ict folder>';
  const path = (name: string) => `${folder}/${name}`;
  const region = options.region ?? 'face';
  const area = ICT_REGIONS[region];
  if (!area) {
    throw new ModelFormatError(
      folder,
      'region',
      `expected 'face' or 'narrow', got ${JSON.stringify(region)}`,
    );
  }
  const neutralName = 'generic_neutral_mesh.obj';
  const neutralBytes = files.get(neutralName);
  if (!neutralBytes) {
    throw new ModelFormatError(
      path(neutralName),
      'file',
      'missing: an ICT-FaceKit model folder has generic_neutral_mesh.obj',
    );
  }
  const neutral = readVertices(neutralBytes, path(neutralName));
  const fileVertices = neutral.length / 3;
  if (fileVertices !== ICT_FULL_VERTICES && fileVertices !== ICT_REGIONS.face.vertices) {
    throw new ModelFormatError(
      path(neutralName),
      'v',
      `expected ${ICT_FULL_VERTICES} vertices (the release) or ${ICT_REGIONS.face.vertices} (the face area), got ${fileVertices}`,
    );
  }
  const N = area.vertices;
  const quads = readPolygons(neutralBytes, path(neutralName), area.polygons, N);

  // Identity modes: identity000 … consecutive; a later file after a gap is a missing mode.
  const present: number[] = [];
  for (const name of files.keys()) {
    const m = /^identity(\d{3})\.obj$/.exec(name);
    if (m) present.push(Number(m[1]));
  }
  present.sort((a, b) => a - b);
  const available = present.length;
  for (let k = 0; k < available; k++) {
    if (present[k] !== k) {
      throw new ModelFormatError(
        path(`identity${String(k).padStart(3, '0')}.obj`),
        'file',
        `missing: identity modes must be consecutive from identity000 (found identity${String(present[k]).padStart(3, '0')}.obj after it)`,
      );
    }
  }
  if (available === 0) {
    throw new ModelFormatError(
      path('identity000.obj'),
      'file',
      'missing: the model has no identity modes',
    );
  }
  const D = options.identityModes ?? available;
  if (!Number.isInteger(D) || D < 0 || D > available) {
    throw new ModelFormatError(
      folder,
      'identityModes',
      `expected an integer in [0, ${available}], got ${D}`,
    );
  }

  const offsets = (name: string): Float32Array => {
    const bytes = files.get(name);
    if (!bytes) throw new ModelFormatError(path(name), 'file', 'missing');
    const v = readVertices(bytes, path(name));
    if (v.length !== neutral.length) {
      throw new ModelFormatError(
        path(name),
        'v',
        `expected ${fileVertices} vertices like ${neutralName}, got ${v.length / 3}`,
      );
    }
    const out = new Float32Array(3 * N);
    for (let i = 0; i < 3 * N; i++) out[i] = (v[i] - neutral[i]) * MM_PER_CM;
    return out;
  };

  const shapeBasis = new Float32Array(D * 3 * N);
  for (let k = 0; k < D; k++) {
    shapeBasis.set(offsets(`identity${String(k).padStart(3, '0')}.obj`), k * 3 * N);
  }

  let names: string[];
  if (options.expressions) {
    for (const e of options.expressions) {
      if (!ICT_EXPRESSIONS.includes(e)) {
        throw new ModelFormatError(
          folder,
          'expressions',
          `unknown blendshape ${JSON.stringify(e)}; expected ARKit names as ICT-FaceKit's (${ICT_EXPRESSIONS.slice(0, 3).join(', ')}, …)`,
        );
      }
    }
    names = [...options.expressions];
  } else {
    names = ICT_EXPRESSIONS.filter((e) => files.has(`${e}.obj`));
  }
  const exprBasis = new Float32Array(names.length * 3 * N);
  names.forEach((e, k) => {
    exprBasis.set(offsets(`${e}.obj`), k * 3 * N);
  });

  const mean = new Float32Array(3 * N);
  for (let i = 0; i < 3 * N; i++) mean[i] = neutral[i] * MM_PER_CM;

  // Quads (a b c d) → (a b c), (a c d); the release winds them counter-clockwise seen from
  // outside (+z on the face), checked on the summed signed area of the front-facing ones.
  const F = area.polygons;
  const triangles = new Uint32Array(6 * F);
  for (let q = 0; q < F; q++) {
    const [a, b, c, d] = quads.subarray(4 * q, 4 * q + 4);
    triangles.set([a, b, c, a, c, d], 6 * q);
  }
  if (frontArea(mean, triangles) < 0) {
    for (let t = 0; t < triangles.length; t += 3) {
      const b = triangles[t + 1];
      triangles[t + 1] = triangles[t + 2];
      triangles[t + 2] = b;
    }
  }

  const landmarks = Int32Array.from(ICT_IBUG68);
  const model: MorphableModel = {
    numVertices: N,
    mean,
    shape: { numModes: D, basis: shapeBasis, variance: new Float32Array(D).fill(1) },
    triangles,
    landmarks,
    contour: { right: Int32Array.from(ICT_CONTOUR.right), left: Int32Array.from(ICT_CONTOUR.left) },
    metadata: {
      name: `ICT Face Model Light (${region === 'face' ? 'face area' : 'narrow face area'})`,
      source: folder,
      format: 'ict',
      licence:
        'MIT, Copyright (c) 2020 USC Institute for Creative Technologies (ICT-FaceKit); keep the notice',
      extra: {
        region,
        fileVertices,
        units: 'cm in the files, × 10 → mm',
        identityModesAvailable: available,
      },
    },
  };
  if (names.length > 0) {
    model.expression = { numModes: names.length, basis: exprBasis, names, range: [0, 1] };
  }
  return model;
}

/** Σ signed xy-area of the triangles whose normal points to +z half-space, by area sign. */
function frontArea(p: Float32Array, tri: Uint32Array): number {
  let s = 0;
  for (let t = 0; t < tri.length; t += 3) {
    const a = 3 * tri[t];
    const b = 3 * tri[t + 1];
    const c = 3 * tri[t + 2];
    s += (p[b] - p[a]) * (p[c + 1] - p[a + 1]) - (p[c] - p[a]) * (p[b + 1] - p[a + 1]);
  }
  return s;
}

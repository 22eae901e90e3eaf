/** Format detection, `loadModel` and `saveModel`. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ModelFormatError } from '../errors';
import type { GridModel, MorphableModel } from '../types';
import { writeFileAtomic } from './atomic';
import { findHdf5Signature, readBfmH5 } from './bfm';
import { readEosModel } from './eos';
import { readExpressionFile, readStdText } from './exp-pca';
import { matFileVersion } from './mat';
import { readMatModel } from './mat-model';
import { has3dmmMagic, isGridModel, readModel, writeModel } from './format3dmm';
import { readLandmarkMapping } from './landmarks';
import { perVertexTexCoords, readObj, writeObj } from './obj';
import { baseName, emptyLandmarks } from './util';

/** The model file formats `loadModel` recognises. */
export type ModelFormat = '3dmm' | 'mat' | 'bfm-h5' | 'obj' | 'eos';

const SUPPORTED =
  'supported formats: .3dmm (this project, magic "\\x893DMM\\r\\n\\x1a"), BFM 2017/2019 .h5 (HDF5), ' +
  'Wavefront .obj (text), eos cereal .bin (uint32 version 1–4 first), MATLAB .mat (level 5 or v7.3) holding BFM 2009 or a model derived from it';

const OBJ_KEYWORDS = /^(v|vt|vn|vp|f|o|g|s|l|p|mtllib|usemtl)$/;

/**
 * The format of a model file, from its content alone (never the file name): the `.3dmm` magic,
 * the HDF5 signature, OBJ text (first statement an OBJ keyword), else an eos archive (first uint32
 * a MorphableModel version 1–4). Undefined if none matches.
 */
export function detectModelFormat(bytes: Uint8Array): ModelFormat | undefined {
  if (has3dmmMagic(bytes)) return '3dmm';
  // Before HDF5: a v7.3 MAT-file is HDF5 behind a 512-byte MATLAB header.
  if (matFileVersion(bytes) !== undefined) return 'mat';
  if (findHdf5Signature(bytes.subarray(0, 4096)) >= 0) return 'bfm-h5';
  const head = bytes.subarray(0, 4096);
  let text = true;
  for (const b of head) {
    if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) {
      text = false;
      break;
    }
  }
  if (text && head.length > 0) {
    for (const line of new TextDecoder().decode(head).split(/\r?\n/)) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      return OBJ_KEYWORDS.test(t.split(/\s+/)[0]) ? 'obj' : undefined;
    }
    return undefined;
  }
  if (bytes.length >= 4) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    if (v >= 1 && v <= 4) return 'eos';
  }
  return undefined;
}

export interface LoadModelOptions {
  /** Path of an eos landmark mapping (`ibug_to_*.txt`) to set `landmarks` from. */
  landmarks?: string;
  /**
   * Path of an expression basis: an eos blendshapes file (`.bin`), or 3DDFA's `Exp_Pca.bin`
   * (recognised by its size for the model's vertex count; scaled by the model's `unitScale`, µm → mm
   * for BFM 2009).
   */
  expression?: string;
  /** Path of the Exp_Pca.bin standard deviations (`std_exp.txt`): scales its modes to α ~ N(0, I). */
  expressionStd?: string;
  /** Model name for the metadata. */
  name?: string;
}

/**
 * Loads a model from a path or bytes, detecting the format by content (`detectModelFormat`).
 * OBJ files become a MorphableModel with zero shape modes (the mesh is the mean).
 * `landmarks` and `expression` apply to MorphableModels only; sibling files are never guessed.
 *
 * @throws ModelFormatError listing the supported formats when none matches, or from the reader.
 */
export async function loadModel(
  pathOrBytes: string | Uint8Array,
  options: LoadModelOptions = {},
): Promise<MorphableModel | GridModel> {
  const file = typeof pathOrBytes === 'string' ? pathOrBytes : '<bytes>';
  const bytes =
    typeof pathOrBytes === 'string' ? new Uint8Array(await readFile(pathOrBytes)) : pathOrBytes;
  const format = detectModelFormat(bytes);
  let model: MorphableModel | GridModel;
  switch (format) {
    case '3dmm':
      model = readModel(bytes, file);
      break;
    case 'bfm-h5':
      model = await readBfmH5(typeof pathOrBytes === 'string' ? pathOrBytes : bytes);
      break;
    case 'eos':
      model = readEosModel(bytes, file);
      break;
    case 'mat':
      model = await readMatModel(bytes, { file });
      break;
    case 'obj': {
      const mesh = readObj(new TextDecoder().decode(bytes), file);
      const n = mesh.positions.length / 3;
      const m: MorphableModel = {
        numVertices: n,
        mean: mesh.positions,
        shape: { numModes: 0, basis: new Float32Array(0) },
        triangles: mesh.triangles,
        landmarks: emptyLandmarks(),
        metadata: { name: baseName(file), source: file, format: 'obj' },
      };
      const tc = perVertexTexCoords(mesh);
      if (tc) m.texCoords = tc;
      model = m;
      break;
    }
    default:
      throw new ModelFormatError(file, 'format', `not a recognised model file; ${SUPPORTED}`);
  }
  if (isGridModel(model)) {
    if (options.landmarks || options.expression) {
      throw new ModelFormatError(
        file,
        'options',
        'landmarks/expression files apply to a MorphableModel, not a GridModel',
      );
    }
  } else {
    if (options.landmarks) {
      const text = await readFile(options.landmarks, 'utf8');
      model.landmarks = readLandmarkMapping(text, options.landmarks, model.numVertices);
      model.metadata.extra = { ...model.metadata.extra, landmarkSource: options.landmarks };
    }
    if (options.expression) {
      const bs = new Uint8Array(await readFile(options.expression));
      const std = options.expressionStd
        ? readStdText(await readFile(options.expressionStd, 'utf8'), options.expressionStd)
        : undefined;
      const unitScale = Number(model.metadata.extra?.unitScale ?? 1e-3);
      const e = readExpressionFile(bs, options.expression, model.numVertices, unitScale, std);
      model.expression = e.basis;
      model.metadata.extra = {
        ...model.metadata.extra,
        expressionSource: options.expression,
        ...(e.kind === 'exp-pca'
          ? {
              expressionFormat: 'Exp_Pca.bin (mean not used)',
              expressionStd: options.expressionStd ?? null,
            }
          : {}),
      };
    }
  }
  if (options.name !== undefined) model.metadata.name = options.name;
  return model;
}

/**
 * Saves a model by extension: `.3dmm` (everything, exact) or `.obj` (the mean mesh, with
 * per-vertex `vt` when the model has texture coordinates). Written atomically.
 */
export async function saveModel(path: string, model: MorphableModel | GridModel): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (ext === '.3dmm') return writeFileAtomic(path, writeModel(model));
  if (ext === '.obj') {
    const texCoords = isGridModel(model) ? undefined : model.texCoords;
    return writeFileAtomic(
      path,
      writeObj(
        { positions: model.mean, triangles: model.triangles, texCoords },
        { comment: `${model.metadata.name} (mean)` },
      ),
    );
  }
  throw new ModelFormatError(
    path,
    'extension',
    `cannot save "${ext || '(none)'}": use .3dmm (the whole model) or .obj (the mean mesh)`,
  );
}

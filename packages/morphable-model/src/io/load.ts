/** Format detection and `loadModel` from bytes (browser-safe; the path-taking `loadModel` and `saveModel` are in `load_node.ts`). */
import { ModelFormatError } from '../errors';
import type { GridModel, MorphableModel } from '../types';
import { findHdf5Signature, readBfmH5 } from './bfm';
import { readEosModel } from './eos';
import { has3dmmMagic, readModel } from './format3dmm';
import { type MatInflate, matFileVersion } from './mat';
import { readMatModel } from './mat-model';
import { perVertexTexCoords, readObj } from './obj';
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

export interface LoadModelBytesOptions {
  /** Model name for the metadata. */
  name?: string;
  /** The file's name, for errors and `metadata.source` (default `<bytes>`). */
  file?: string;
}

/**
 * Loads a model from its bytes, detecting the format by content (`detectModelFormat`).
 * OBJ files become a MorphableModel with zero shape modes (the mesh is the mean).
 * Browser-safe; in Node, `@3dmm-stn/morphable-model/node`'s `loadModel` also takes a path and
 * landmark / expression files.
 *
 * @throws ModelFormatError listing the supported formats when none matches, or from the reader.
 */
export async function loadModel(
  bytes: Uint8Array,
  options: LoadModelBytesOptions = {},
): Promise<MorphableModel | GridModel> {
  const file = options.file ?? '<bytes>';
  return loadModelBytes(bytes, file, options.name, {
    readBfm: (b) => readBfmH5(b, {}, file),
  });
}

/** What differs between the two `loadModel`s (in memory here; the file in place and `node:zlib` in Node). */
export interface LoadReaders {
  readBfm: (bytes: Uint8Array) => Promise<MorphableModel>;
  /** zlib inflate for compressed MAT variables (default: the MAT reader's own). */
  matInflate?: MatInflate;
}

/** The body of both `loadModel`s. */
export async function loadModelBytes(
  bytes: Uint8Array,
  file: string,
  name: string | undefined,
  readers: LoadReaders,
): Promise<MorphableModel | GridModel> {
  const format = detectModelFormat(bytes);
  let model: MorphableModel | GridModel;
  switch (format) {
    case '3dmm':
      model = readModel(bytes, file);
      break;
    case 'bfm-h5':
      model = await readers.readBfm(bytes);
      break;
    case 'eos':
      model = readEosModel(bytes, file);
      break;
    case 'mat':
      model = await readMatModel(
        bytes,
        readers.matInflate ? { file, inflate: readers.matInflate } : { file },
      );
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
  if (name !== undefined) model.metadata.name = name;
  return model;
}

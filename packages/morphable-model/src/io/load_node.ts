/** Node-only: `loadModel` from a path (with landmark and expression files) and `saveModel`. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ModelFormatError } from '../errors';
import type { GridModel, MorphableModel } from '../types';
import { writeFileAtomic } from './atomic';
import { readBfmH5 } from './bfm_node';
import { readExpressionFile, readStdText } from './exp-pca';
import { isGridModel, writeModel } from './format3dmm';
import { type IctRegion, isIctFolder, readIctModel } from './ict';
import { readLandmarkMapping } from './landmarks';
import { loadModelBytes } from './load';
import { inflateNode } from './mat-node';
import { writeObj } from './obj';

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
  /** An ICT-FaceKit folder: the face region to keep (default 'face', 9,409 vertices). */
  region?: IctRegion;
  /** An ICT-FaceKit folder: identity modes to read (default all). */
  identityModes?: number;
}

/** Reads an ICT-FaceKit model folder (its `.obj` files) with `readIctModel`. */
async function loadIctFolder(dir: string, options: LoadModelOptions): Promise<MorphableModel> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.obj'));
  if (!isIctFolder(names)) {
    throw new ModelFormatError(
      dir,
      'folder',
      'a folder is read as an ICT-FaceKit model (FaceXModel): expected generic_neutral_mesh.obj and identity000.obj in it',
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const n of names) files.set(n, new Uint8Array(await readFile(join(dir, n))));
  return readIctModel(files, {
    folder: dir,
    ...(options.region ? { region: options.region } : {}),
    ...(options.identityModes !== undefined ? { identityModes: options.identityModes } : {}),
  });
}

/**
 * Loads a model from a path or bytes, detecting the format by content (`detectModelFormat`).
 * OBJ files become a MorphableModel with zero shape modes (the mesh is the mean). A BFM `.h5`
 * path is read in place. `landmarks` and `expression` apply to MorphableModels only; sibling
 * files are never guessed.
 *
 * @throws ModelFormatError listing the supported formats when none matches, or from the reader.
 */
export async function loadModel(
  pathOrBytes: string | Uint8Array,
  options: LoadModelOptions = {},
): Promise<MorphableModel | GridModel> {
  const file = typeof pathOrBytes === 'string' ? pathOrBytes : '<bytes>';
  if (typeof pathOrBytes === 'string' && (await stat(pathOrBytes)).isDirectory()) {
    const model = await loadIctFolder(pathOrBytes, options);
    if (options.landmarks) {
      const text = await readFile(options.landmarks, 'utf8');
      model.landmarks = readLandmarkMapping(text, options.landmarks, model.numVertices);
    }
    if (options.name !== undefined) model.metadata.name = options.name;
    return model;
  }
  const bytes =
    typeof pathOrBytes === 'string' ? new Uint8Array(await readFile(pathOrBytes)) : pathOrBytes;
  const model = await loadModelBytes(bytes, file, undefined, {
    readBfm: (b) => readBfmH5(typeof pathOrBytes === 'string' ? pathOrBytes : b),
    matInflate: inflateNode,
  });
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

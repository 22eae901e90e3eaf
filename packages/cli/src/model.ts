/**
 * Models for the commands: loading (the embedded default or any file `loadModel` reads), the
 * UV grid the STN uses (symmetric Tutte embedding + resampling), and a GridModel viewed as a
 * MorphableModel (so that the CPU renderer and OBJ writer take either).
 */
import {
  boundaryLoops,
  computeSymmetry,
  defaultModel,
  fittingModes,
  standInModel,
  type GridModel,
  isGridModel,
  loadModel,
  type MorphableModel,
  symmetricGrid,
  symmetryReport,
} from '@3dmm-stn/morphable-model/node';
import { gridTexCoords } from '@3dmm-stn/fit';
import { UsageError } from './errors';

export type AnyModel = MorphableModel | GridModel;

/**
 * The embedded default model (the ICT Face Model) when `file` is undefined or `"default"`, the
 * generated stand-in for `"stand-in"` (the model the shipped pretrained network was trained on),
 * else `loadModel(file, { landmarks })` — a file, or an ICT-FaceKit folder.
 */
export async function loadAnyModel(file?: string, landmarks?: string): Promise<AnyModel> {
  if (file === undefined || file === 'default' || file === 'stand-in') {
    if (landmarks)
      throw new UsageError('--landmarks needs --model FILE (the embedded models have all 68)');
    return file === 'stand-in' ? standInModel() : defaultModel();
  }
  return loadModel(file, landmarks ? { landmarks } : {});
}

export interface GridOptions {
  /** Identity modes kept (default: `fittingModes(model)`). */
  shapeModes?: number;
  /** Expression modes kept: a count, names, or 'all' (default: `fittingModes(model)`). */
  expressionModes?: number | readonly string[] | 'all';
}

export interface GridBuild {
  grid: GridModel;
  /** How the UV embedding was obtained. */
  embedding:
    | 'model texCoords (symmetric Tutte of the default model)'
    | 'symmetric Tutte'
    | 'given grid';
  /** Flipped UV triangles of the embedding (0 for a bijective one), -1 for a given grid. */
  flippedTriangles: number;
}

/**
 * The STN's GridModel for `model` at `res`: a GridModel is used as is (its res must match unless
 * `res` is undefined); a MorphableModel gets `symmetricGrid` (@3dmm-stn/morphable-model: its
 * symmetric mean-value Tutte embedding resampled at `res`, default 112), the grid the trainer
 * and the web app use too.
 */
export function gridFromModel(
  model: AnyModel,
  res: number | undefined,
  options: GridOptions = {},
): GridBuild {
  if (isGridModel(model)) {
    if (res !== undefined && res !== model.res) {
      throw new UsageError(
        `--res ${res} does not match the grid model's res ${model.res} (resample the original model instead)`,
      );
    }
    return { grid: model, embedding: 'given grid', flippedTriangles: -1 };
  }
  const defaults = fittingModes(model);
  const expressionModes =
    options.expressionModes === 'all'
      ? (model.expression?.numModes ?? 0)
      : (options.expressionModes ?? defaults.expressionModes);
  if (typeof expressionModes === 'number' && expressionModes > (model.expression?.numModes ?? 0))
    throw new UsageError(
      `--expressions ${expressionModes}: the model has ${model.expression?.numModes ?? 0} expression modes`,
    );
  const shapeModes = options.shapeModes ?? defaults.shapeModes;
  if (shapeModes > model.shape.numModes)
    throw new UsageError(
      `--shape-modes ${shapeModes}: the model has ${model.shape.numModes} identity modes`,
    );
  let built: ReturnType<typeof symmetricGrid>;
  try {
    built = symmetricGrid(model, res ?? 112, { shapeModes, expressionModes });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const { grid, embedding, flippedTriangles } = built;
  return { grid, embedding, flippedTriangles };
}

export { gridTexCoords } from '@3dmm-stn/fit';

/**
 * A GridModel as a MorphableModel over its valid grid points (compacted: invalid points are
 * dropped), with the grid's texture coordinates; identity modes then expression modes.
 * `index[k]` is the grid point of vertex k.
 */
export function gridAsMorphable(grid: GridModel): { model: MorphableModel; index: Uint32Array } {
  const np = grid.res * grid.res;
  const remap = new Int32Array(np).fill(-1);
  const index: number[] = [];
  for (let p = 0; p < np; p++) if (grid.valid[p]) remap[p] = index.push(p) - 1;
  const n = index.length;
  const mean = new Float32Array(3 * n);
  const tcAll = gridTexCoords(grid.res);
  const texCoords = new Float32Array(2 * n);
  index.forEach((p, k) => {
    mean.set(grid.mean.subarray(3 * p, 3 * p + 3), 3 * k);
    texCoords.set(tcAll.subarray(2 * p, 2 * p + 2), 2 * k);
  });
  const modes = (from: number, count: number) => {
    const b = new Float32Array(count * 3 * n);
    for (let m = 0; m < count; m++)
      index.forEach((p, k) => {
        const src = (from + m) * 3 * np + 3 * p;
        b.set(grid.basis.subarray(src, src + 3), m * 3 * n + 3 * k);
      });
    return b;
  };
  const ds = grid.numShapeModes;
  const de = grid.numModes - ds;
  const triangles = new Uint32Array(grid.triangles.length);
  for (let t = 0; t < triangles.length; t++) triangles[t] = remap[grid.triangles[t]];
  const landmarks = new Int32Array(68).fill(-1);
  const model: MorphableModel = {
    numVertices: n,
    mean,
    shape: { numModes: ds, basis: modes(0, ds) },
    triangles,
    texCoords,
    landmarks,
    metadata: { ...grid.metadata },
  };
  if (de > 0) model.expression = { numModes: de, basis: modes(ds, de) };
  return { model, index: Uint32Array.from(index) };
}

/** Everything `inspect` reports. */
export interface ModelSummary {
  kind: 'MorphableModel' | 'GridModel';
  name: string;
  source: string;
  format: string;
  licence?: string;
  vertices: number;
  triangles: number;
  modes: { shape: number; expression: number; color: number };
  landmarks: { defined: number; missing: number[] };
  texCoords: boolean;
  symmetry: {
    source: 'model' | 'computed' | 'grid mirror';
    involutive: number;
    fixedPoints: number;
    trianglesMapped: number;
  };
  boundaryLoops: number[];
  holes: number;
  grid?: { res: number; valid: number };
}

export function summariseModel(model: AnyModel): ModelSummary {
  const md = model.metadata;
  const base = {
    name: md.name,
    source: md.source,
    format: md.format,
    ...(md.licence ? { licence: md.licence } : {}),
  };
  if (isGridModel(model)) {
    const np = model.res * model.res;
    let valid = 0;
    for (let p = 0; p < np; p++) valid += model.valid[p];
    const ids = new Set(Array.from(model.landmarkIds));
    const missing: number[] = [];
    for (let k = 1; k <= 68; k++) if (!ids.has(k)) missing.push(k);
    const rep = symmetryReport(Int32Array.from(model.mirror), model.triangles);
    const loops = boundaryLoops(model.triangles, np, model.mean);
    return {
      kind: 'GridModel',
      ...base,
      vertices: np,
      triangles: model.triangles.length / 3,
      modes: {
        shape: model.numShapeModes,
        expression: model.numModes - model.numShapeModes,
        color: 0,
      },
      landmarks: { defined: model.landmarkIds.length, missing },
      texCoords: true,
      symmetry: {
        source: 'grid mirror',
        involutive: rep.involutive,
        fixedPoints: rep.fixedPoints,
        trianglesMapped: rep.trianglesMapped,
      },
      boundaryLoops: loops.map((l) => l.length),
      holes: Math.max(0, loops.length - 1),
      grid: { res: model.res, valid },
    };
  }
  const missing: number[] = [];
  let defined = 0;
  for (let k = 0; k < 68; k++) {
    if (model.landmarks[k] >= 0) defined++;
    else missing.push(k + 1);
  }
  const sym = model.symmetry ?? computeSymmetry(model);
  const rep = symmetryReport(sym, model.triangles);
  const loops =
    model.triangles.length > 0 ? boundaryLoops(model.triangles, model.numVertices, model.mean) : [];
  return {
    kind: 'MorphableModel',
    ...base,
    vertices: model.numVertices,
    triangles: model.triangles.length / 3,
    modes: {
      shape: model.shape.numModes,
      expression: model.expression?.numModes ?? 0,
      color: model.color?.basis.numModes ?? 0,
    },
    landmarks: { defined, missing },
    texCoords: model.texCoords !== undefined,
    symmetry: {
      source: model.symmetry ? 'model' : 'computed',
      involutive: rep.involutive,
      fixedPoints: rep.fixedPoints,
      trianglesMapped: rep.trianglesMapped,
    },
    boundaryLoops: loops.map((l) => l.length),
    holes: Math.max(0, loops.length - 1),
  };
}

/** `fitImages`: the programmatic `fit` — many photos, one failure never stops the others. */
import { basename, extname } from 'node:path';
import { selectBackend } from '@3dmm-stn/backend/node';
import { FitStn, type FitRecord } from '@3dmm-stn/fit';
import { InputError } from '../errors';
import { type AnyModel, gridFromModel, loadAnyModel } from '../model';
import { FaceDetector, type LandmarkDetector, type LandmarksFrom } from './faces';
import { AutoDetector, MeshDetector } from './mesh';
import { loadLocaliser } from './localiser';
import { type FitImageResult, fitImage, type Localiser } from './fit';

export interface FitOptions {
  /** Output folder (created if missing). */
  outDir: string;
  /** Model file (default: the embedded model) or an already loaded model. */
  model?: string | AnyModel;
  /** eos landmark mapping for a model file. */
  landmarks?: string;
  /** Folder of a trained network (model.json + weights.bin); θ from it instead of optimisation. */
  localiser?: string;
  /** With a localiser: refine θ with this many optimisation steps against the detected landmarks. */
  refine?: number;
  /** UV grid side. Default 112. */
  res?: number;
  /** Where the 68 landmarks come from: face-api (default), the face mesh, or auto. */
  landmarksFrom?: LandmarksFrom;
  /** Contour-aware jaw points (default off; on acts where the model has jawline candidates). */
  contour?: boolean;
  /** η of the blendshape sparsity prior (default fit's `EXPRESSION_L1`). */
  expressionSparsity?: number;
  /** Identity modes of the fit (default: the model's fitting default, `fittingModes`). */
  shapeModes?: number;
  /** Expression modes of the fit: a count, names or 'all' (default: `fittingModes`). */
  expressionModes?: number | string[] | 'all';
  /** Optimisation steps after the closed-form initial θ. Default 10. */
  steps?: number;
  /** The initial θ of the optimisation: 'closed-form' (default, as eos) or 'pose'. */
  init?: 'closed-form' | 'pose';
  maxFaces?: number;
  minConfidence?: number;
  /** tfjs backend request (default: $STN_BACKEND, else auto). */
  backend?: 'auto' | 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu';
  /** Called after each image (done, total, the image, its error if it failed). */
  onImage?: (done: number, total: number, image: string, error?: Error) => void;
}

export interface FitFailure {
  image: string;
  error: string;
}

export interface FitSummary {
  backend: string;
  model: {
    name: string;
    res: number;
    modes: { shape: number; expression: number };
    landmarks: number;
  };
  images: number;
  faces: number;
  failed: FitFailure[];
  records: FitRecord[];
  /** Per image: detection attempts, wall-clock and CPU seconds. */
  detections: { image: string; attempts: string[]; seconds: number; cpuSeconds: number }[];
  seconds: { setup: number; total: number };
}

/**
 * The model to fit: the one given, else the stand-in for `--localiser pretrained` (the shipped
 * network regresses θ of the generated stand-in's 5 + 5 modes), else the default ICT model.
 */
export function modelFor(
  options: Pick<FitOptions, 'localiser'> & { model?: string },
): string | undefined {
  return options.model ?? (options.localiser === 'pretrained' ? 'stand-in' : undefined);
}

/**
 * The fit's modes: the flags, else a localiser's own (θ must match what it regresses), else the
 * model's fitting default (`fittingModes`).
 */
export function modesFor(
  options: Pick<FitOptions, 'shapeModes' | 'expressionModes'>,
  localiser?: Pick<Localiser, 'modes'>,
): { shapeModes?: number; expressionModes?: number | string[] | 'all' } {
  return {
    shapeModes: options.shapeModes ?? localiser?.modes?.shape,
    expressionModes: options.expressionModes ?? localiser?.modes?.expressions,
  };
}

let detectorPromise: Promise<FaceDetector> | null = null;

/** face-api's models, loaded once per process. */
export function faceDetector(): Promise<FaceDetector> {
  detectorPromise ??= FaceDetector.load().catch((e) => {
    detectorPromise = null;
    throw e;
  });
  return detectorPromise;
}

let meshPromise: Promise<MeshDetector> | null = null;

/** human's face mesh, loaded once per process. */
export function meshDetector(): Promise<MeshDetector> {
  meshPromise ??= MeshDetector.load().catch((e) => {
    meshPromise = null;
    throw e;
  });
  return meshPromise;
}

/** The detector `--landmarks-from` asks for (default face-api). */
export async function landmarkDetector(
  from: LandmarksFrom = 'face-api',
): Promise<LandmarkDetector> {
  if (from === 'face-api') return faceDetector();
  if (from === 'mesh') return meshDetector();
  return new AutoDetector(await faceDetector(), await meshDetector());
}

/** Fits every face of every photo; failures (unreadable file, no face) are collected, not thrown. */
export async function fitImages(images: string[], options: FitOptions): Promise<FitSummary> {
  const t0 = performance.now();
  const info = await selectBackend({ backend: options.backend });
  const model =
    typeof options.model === 'object'
      ? options.model
      : await loadAnyModel(
          modelFor({ model: options.model, localiser: options.localiser }),
          options.landmarks,
        );
  const localiser: Localiser | undefined = options.localiser
    ? await loadLocaliser(options.localiser)
    : undefined;
  const { grid } = gridFromModel(
    model,
    options.localiser && options.res === undefined ? undefined : (options.res ?? 112),
    modesFor(options, localiser),
  );
  if (grid.landmarkIds.length < 6) {
    throw new Error(
      `the model "${grid.metadata.name}" has ${grid.landmarkIds.length} ibug landmarks; fitting needs ≥ 6 (pass --landmarks FILE)`,
    );
  }
  const detector = await landmarkDetector(options.landmarksFrom);
  const g = new FitStn(grid);
  const setup = (performance.now() - t0) / 1000;
  const summary: FitSummary = {
    backend: info.name,
    model: {
      name: grid.metadata.name,
      res: grid.res,
      modes: { shape: grid.numShapeModes, expression: grid.numModes - grid.numShapeModes },
      landmarks: grid.landmarkIds.length,
    },
    images: images.length,
    faces: 0,
    failed: [],
    records: [],
    detections: [],
    seconds: { setup, total: 0 },
  };
  const stems = uniqueStems(images);
  try {
    for (let i = 0; i < images.length; i++) {
      let error: Error | undefined;
      try {
        const r: FitImageResult = await fitImage(images[i], detector, g, {
          outDir: options.outDir,
          steps: options.steps,
          init: options.init,
          localiser,
          refine: options.refine,
          contour: options.contour,
          expressionSparsity: options.expressionSparsity,
          maxFaces: options.maxFaces,
          minConfidence: options.minConfidence,
          stem: stems[i],
        });
        summary.records.push(...r.records);
        summary.faces += r.records.length;
        summary.detections.push({
          image: images[i],
          attempts: r.attempts,
          seconds: r.detectSeconds,
          cpuSeconds: r.detectCpuSeconds,
        });
      } catch (e) {
        const err = e as Error;
        error = err instanceof InputError ? err : new InputError(images[i], err.message);
        summary.failed.push({ image: images[i], error: error.message });
      }
      options.onImage?.(i + 1, images.length, images[i], error);
    }
  } finally {
    g.dispose();
    localiser?.model.dispose();
  }
  summary.seconds.total = (performance.now() - t0) / 1000;
  return summary;
}

/** Base names without extension, made unique with -2, -3 … (a.jpg and a.png both → "a"). */
export function uniqueStems(images: string[]): string[] {
  const seen = new Map<string, number>();
  return images.map((f) => {
    const s = basename(f, extname(f));
    const n = (seen.get(s) ?? 0) + 1;
    seen.set(s, n);
    return n === 1 ? s : `${s}-${n}`;
  });
}

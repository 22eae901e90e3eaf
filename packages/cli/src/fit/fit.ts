/**
 * Fitting the model to the faces of one photo: detection → crop → θ (optimisation or a trained
 * localiser) → STN forward on the full-resolution photo → outputs.
 */
import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import {
  centreSquareFace,
  cropFaces,
  type FaceFit,
  type FaceTheta,
  type FaceToCrop,
  type FitRecord,
  type FitStages,
  type FitStn,
  faceFileNames,
  faceRecord,
  fitFaces,
  type Localiser as FitLocaliser,
  thetaForFaces,
} from '@3dmm-stn/fit';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';
import { readRgb } from '../image';
import type { LandmarkDetector } from './faces';
import { writeFaceOutputs, writeOverview, writeRecord } from './outputs';

/**
 * A loaded localiser network (the trainer's exported model: image → [θ, …]); the crop rule is
 * `@3dmm-stn/fit`'s (`Localiser`).
 */
export interface Localiser extends FitLocaliser {
  model: tf.LayersModel;
  /**
   * The modes the network's θ holds (from its STN layer): the fit's grid takes them unless
   * `--shape-modes` / `--expressions` say otherwise.
   */
  modes?: { shape: number; expressions: number | string[] };
}

// The photo-level fitting lives in @3dmm-stn/fit (shared with the web app); re-exported for the
// CLI's other commands and tests.
export { centreSquareFace, cropFaces, fitFaces, thetaForFaces };
export type { FaceFit, FaceTheta, FaceToCrop, FitStages };

export interface FitImageOptions {
  outDir: string;
  /** Optimisation steps after the closed-form initial θ. Default 10. */
  steps?: number;
  /** The initial θ of the optimisation (see `optimiseTheta`). Default 'closed-form'. */
  init?: 'closed-form' | 'pose';
  /** Crop side for optimisation. Default 224 (the paper's input size). */
  cropSize?: number;
  localiser?: Localiser;
  /** With a localiser: polish its θ with this many optimisation steps against the landmarks. */
  refine?: number;
  /** Contour-aware jaw points (default off; on acts where the model has jawline candidates). */
  contour?: boolean;
  /** η of the blendshape sparsity prior (default fit's `EXPRESSION_L1`). */
  expressionSparsity?: number;
  maxFaces?: number;
  minConfidence?: number;
  /** Output file stem (default: the image's base name without extension). */
  stem?: string;
}

export interface FitImageResult {
  image: string;
  records: FitRecord[];
  attempts: string[];
  detectSeconds: number;
  detectCpuSeconds: number;
}

/** Detects and fits every face of one photo, writing the outputs; throws InputError if none. */
export async function fitImage(
  file: string,
  detector: LandmarkDetector,
  g: FitStn,
  options: FitImageOptions,
): Promise<FitImageResult> {
  const tDecode = performance.now();
  const photo = await readRgb(file);
  const decodeSeconds = (performance.now() - tDecode) / 1000;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const det = await detector.detect(photo, { minConfidence: options.minConfidence });
  const detectSeconds = (performance.now() - t0) / 1000;
  const dc = process.cpuUsage(c0);
  const detectCpuSeconds = (dc.user + dc.system) / 1e6;
  let found = det.faces;
  if (found.length === 0) {
    if (!options.localiser)
      throw new InputError(file, `no face found (tried ${det.attempts.join('; ')})`);
    // A localiser needs no landmarks: take the image's centre square as the face (an already
    // cropped face photo), and say so in the record (detection.detector = 'none').
    found = [centreSquareFace(photo.width, photo.height, options.localiser.margin)];
    det.attempts.push('no face found: the centre square of the image is used as the crop');
  }
  const faces = found.slice(0, options.maxFaces ?? found.length);
  const stem = options.stem ?? basename(file, extname(file));
  await mkdir(options.outDir, { recursive: true });
  const photoT = tf.tensor4d(Float32Array.from(photo.data), [1, photo.height, photo.width, 3]);
  const records: FitRecord[] = [];
  try {
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const { fits, stages } = fitFaces(photo, photoT, faces, g, options);
    const fitImageSeconds = (performance.now() - t1) / 1000;
    const cpu = process.cpuUsage(c1);
    const fitImageCpu = (cpu.user + cpu.system) / 1e6;
    for (let k = 0; k < faces.length; k++) {
      const t2 = performance.now();
      const record = faceRecord(file, photo, k, faces[k], g.grid, fits[k]);
      const files = faceFileNames(join(options.outDir, stem), k);
      await writeFaceOutputs(files, photo, fits[k].forward, g.grid, record);
      record.seconds = {
        fit: fitImageSeconds / faces.length,
        fitCpu: fitImageCpu / faces.length,
        fitImage: fitImageSeconds,
        fitImageCpu,
        outputs: (performance.now() - t2) / 1000,
        stages: { decode: decodeSeconds, detect: detectSeconds, ...stages, outputs: 0 },
      };
      records.push(record);
    }
    const overview = faceFileNames(join(options.outDir, stem), 0).overview;
    await writeOverview(
      overview,
      photo,
      records.map((record, k) => ({ record, forward: fits[k].forward })),
      g.grid,
    );
    const outputsSeconds = records.reduce((a, r) => a + r.seconds.outputs, 0);
    for (const r of records) {
      r.files.overview = overview;
      if (r.seconds.stages) r.seconds.stages.outputs = outputsSeconds;
    }
    for (const r of records) await writeRecord(r);
  } finally {
    photoT.dispose();
  }
  return { image: file, records, attempts: det.attempts, detectSeconds, detectCpuSeconds };
}

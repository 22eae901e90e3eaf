/**
 * Fitting the faces a detector found in one photo: crop → θ (optimisation, or a trained
 * localiser, optionally refined) → the STN forward pass on the whole photo → the JSON record.
 * The CLI's `fit` and `eval` and the web app call these; detection, decoding and writing files
 * stay with them.
 *
 * Convention: photo pixels (x right, y down, pixel centres at integers); θ in photo pixels in
 * `FaceTheta.theta`, in crop pixels in `thetaCrop`.
 */
import {
  type CropBox,
  type CropTransform,
  cropBoxAround,
  cropFace,
  type PixelImage,
  squareAroundBox,
  thetaToPhoto,
  toCrop,
} from '@3dmm-stn/localiser';
import {
  type GridModel,
  headPoseFromAxisAngle,
  poseParaFromAxisAngle,
} from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs-core';
import { optimiseTheta } from './optimise';
import type { FitPose, FitRecord } from './record';
import { extractTexture, type FitStn, type StnForward } from './stn';

/**
 * 'none': no face was found and the caller used the whole image (see `centreSquareFace`).
 * 'labels': the face's square came from ground-truth landmarks (`eval --crop labels`, 3DDFA's
 * crop) and is the crop as it is; the landmarks are the detector's, found inside it.
 */
/** face-api's SSD / tiny detector, human's MediaPipe face mesh (`mesh`), none, the labels' square, a tracked square (`track`). */
export type DetectorName = 'ssd' | 'tiny' | 'mesh' | 'none' | 'labels' | 'track';

/** A face a detector found (face-api's output in photo pixels). */
export interface DetectedFace {
  /** [x, y, width, height] of the detection box, image pixels. */
  box: [number, number, number, number];
  score: number;
  detector: DetectorName;
  /** The image was padded before this detection (an already-cropped face). */
  padded: boolean;
  /** [68, 2] ibug landmarks, image pixels (x right, y down, pixel centres at integers). */
  landmarks: Float32Array;
  /** Set when only a retry found the face: `upscaled 2×`, `rotated ±25°`, `threshold 0.3`. */
  retry?: string;
}

/** A trained localiser network: image [B, S, S, 3] (0…255) → θ [B, 6 + D] (or [θ, …]). */
export interface Localiser {
  model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] };
  inputSize: number;
  /**
   * Which square it was trained on: 'landmarks' (the square around the detected landmarks, the
   * trainer's default) or 'box' (around the detector box, `squareAroundBox` with `margin`: the
   * pretrained network, which needs no landmark step). Default 'landmarks'.
   */
  crop?: 'landmarks' | 'box';
  margin?: number;
}

export interface FitFacesOptions {
  /** Optimisation steps after the closed-form initial θ. Default 10. */
  steps?: number;
  /** The initial θ of the optimisation (see `optimiseTheta`). Default 'closed-form'. */
  init?: 'closed-form' | 'pose';
  /** Crop side for optimisation. Default 224 (the paper's input size). */
  cropSize?: number;
  localiser?: Localiser;
  /** With a localiser: polish its θ with this many optimisation steps against the landmarks. */
  refine?: number;
  /** Contour-aware jaw points (see `optimiseTheta`). Default false: measured worse with face-api's points (README); on acts where the model has candidates. */
  contour?: boolean;
  /** η of the blendshape weights' sparsity term (see `optimiseTheta`; default `EXPRESSION_L1`). */
  expressionSparsity?: number;
}

export interface FaceTheta {
  crop: CropTransform;
  thetaCrop: number[];
  /** θ in photo pixels. */
  theta: number[];
  method: FitRecord['method'];
  optimisation?: FitRecord['optimisation'];
}

export interface FaceFit extends FaceTheta {
  forward: StnForward;
}

/** Seconds per stage of one photo's batch. */
export interface FitStages {
  crop: number;
  init: number;
  optimise: number;
  texture: number;
}

/**
 * θ for the detected faces of one photo — all faces in one batch (the optimisation or the
 * localiser) — then the STN forward pass of each on the whole photo.
 *
 * @param photoT the photo as [1, H, W, 3] float32 (0…255), for the texture.
 */
export function fitFaces(
  photo: PixelImage,
  photoT: tf.Tensor4D,
  faces: DetectedFace[],
  g: FitStn,
  options: FitFacesOptions = {},
): { fits: FaceFit[]; stages: FitStages } {
  const { thetas, stages } = thetaForFaces(photo, faces, g, options);
  const tTexture = performance.now();
  const fits = thetas.map((f): FaceFit => ({ ...f, forward: extractTexture(g, photoT, f.theta) }));
  return { fits, stages: { ...stages, texture: (performance.now() - tTexture) / 1000 } };
}

/** θ (crop and photo pixels) of the detected faces of one photo, in one batch. */
export function thetaForFaces(
  photo: PixelImage,
  faces: DetectedFace[],
  g: FitStn,
  options: FitFacesOptions = {},
): { thetas: FaceTheta[]; stages: Omit<FitStages, 'texture'> } {
  const grid = g.grid;
  const B = faces.length;
  const size = options.localiser?.inputSize ?? options.cropSize ?? 224;
  const tCrop = performance.now();
  const { crops, pixels } = cropFaces(photo, faces, size, options.localiser);
  const stages = { crop: (performance.now() - tCrop) / 1000, init: 0, optimise: 0 };
  let thetaCrop: number[][] = [];
  const optimisation: (FitRecord['optimisation'] | undefined)[] = new Array(B).fill(undefined);
  // No landmarks to refine against when the face is the image's centre square.
  const refine =
    options.localiser && faces.every((f) => f.detector !== 'none') ? (options.refine ?? 0) : 0;
  const images = tf.tensor4d(pixels, [B, size, size, 3]);
  try {
    let start: number[][] | undefined;
    if (options.localiser) {
      thetaCrop = runLocaliser(options.localiser, images, grid);
      start = thetaCrop;
    }
    if (!options.localiser || refine > 0) {
      const L = grid.landmarkIds.length;
      const target = new Float32Array(B * 2 * L);
      const conf = new Float32Array(B * L);
      faces.forEach((face, b) => {
        grid.landmarkIds.forEach((id, l) => {
          const x = face.landmarks[2 * (id - 1)];
          const y = face.landmarks[2 * (id - 1) + 1];
          if (!Number.isFinite(x) || !Number.isFinite(y)) return;
          const [cx, cy] = toCrop(crops[b], x, y);
          target[2 * (b * L + l)] = cx;
          target[2 * (b * L + l) + 1] = cy;
          conf[b * L + l] = 1;
        });
      });
      const r = optimiseTheta(g, target, conf, images, {
        steps: start ? refine : options.steps,
        contour: options.contour,
        expressionSparsity: options.expressionSparsity,
        init: options.init,
        initialTheta: start ? start.flat() : undefined,
      });
      stages.init = r.seconds.init;
      stages.optimise = r.seconds.optimise;
      thetaCrop = r.theta.map((t) => Array.from(t));
      for (let b = 0; b < B; b++) {
        optimisation[b] = {
          steps: r.steps,
          init: start ? 'localiser' : r.initial[b].method,
          initRmsPx: r.initial[b].rms / (size / crops[b].side),
          contour: options.contour === true && grid.contour !== undefined,
          loss: r.loss[b],
        };
      }
    }
  } finally {
    images.dispose();
  }
  const thetas = faces.map(
    (_, b): FaceTheta => ({
      crop: crops[b],
      thetaCrop: thetaCrop[b],
      theta: thetaToPhoto(crops[b], thetaCrop[b]),
      method: options.localiser ? 'localiser' : 'optimisation',
      optimisation: optimisation[b],
    }),
  );
  return { thetas, stages };
}

/** What a crop is made from: the landmarks, and the detector box for box-trained localisers. */
export type FaceToCrop = Pick<DetectedFace, 'landmarks'> &
  Partial<Pick<DetectedFace, 'box' | 'detector'>>;

/**
 * The crops θ is fitted on: `cropFace` of the square around each face's landmarks (the crop the
 * trainer trains on, `cropAroundLandmarks`, margin 0.25), or, for a localiser trained on
 * detector boxes (the pretrained one), the square around the box (`squareAroundBox`, its
 * margin). `pixels` [B, size, size, 3].
 */
export function cropFaces(
  photo: PixelImage,
  faces: FaceToCrop[],
  size: number,
  localiser?: Pick<Localiser, 'crop' | 'margin'>,
): { crops: CropTransform[]; pixels: Float32Array } {
  const crops = faces.map((f): CropTransform => ({ ...cropBoxFor(f, localiser), size }));
  const pixels = new Float32Array(faces.length * size * size * 3);
  crops.forEach((c, b) => {
    pixels.set(cropFace(photo, c, size).image, b * size * size * 3);
  });
  return { crops, pixels };
}

/** The square a method works on: a localiser's own rule (the detector box) or the landmarks'. */
function cropBoxFor(face: FaceToCrop, localiser?: Pick<Localiser, 'crop' | 'margin'>): CropBox {
  // A benchmark's own crop is used unchanged, whatever the method, so that every method sees
  // the same face square as the protocol prescribes.
  if (face.box && face.detector === 'labels') {
    const [x0, y0, side] = face.box;
    return { x0, y0, side };
  }
  if (face.box && (localiser?.crop === 'box' || face.detector === 'none')) {
    const [x0, y0, side] = squareAroundBox(face.box, localiser?.margin ?? 0.2);
    return { x0, y0, side };
  }
  return cropBoxAround(face.landmarks);
}

function runLocaliser(loc: Localiser, images: tf.Tensor4D, grid: GridModel): number[][] {
  const out = tf.tidy(() => {
    const y = loc.model.predict(images);
    const theta = Array.isArray(y) ? y[0] : y;
    return theta.clone();
  });
  const [B, P] = out.shape;
  const flat = Array.from(out.dataSync());
  out.dispose();
  if (P !== 6 + grid.numModes) {
    throw new Error(
      `the localiser outputs θ of length ${P} but the model has ${grid.numModes} modes (θ length ${6 + grid.numModes}); pass the --model (and --landmarks) it was trained with`,
    );
  }
  // A network's θ head is linear: blendshape weights are projected into their range (the box
  // the optimiser keeps too), so a record never reports a weight outside [0, 1].
  const range = grid.expressionRange;
  if (range) {
    for (let b = 0; b < B; b++)
      for (let d = 6 + grid.numShapeModes; d < P; d++)
        flat[b * P + d] = Math.min(range[1], Math.max(range[0], flat[b * P + d]));
  }
  return Array.from({ length: B }, (_, b) => flat.slice(b * P, (b + 1) * P));
}

/** The record's head pose of θ (photo or crop pixels alike: the crop does not rotate). */
export function fitPose(theta: ArrayLike<number>): FitPose {
  const r = [theta[0], theta[1], theta[2]];
  return { ...headPoseFromAxisAngle(r), posePara: poseParaFromAxisAngle(r) };
}

/**
 * The record of face `k` of a photo (`FitRecord`), without timings and file names (the caller
 * fills `seconds` and `files`): detection, crop, θ, detected and fitted landmarks, their RMS
 * error, the visible fraction of the UV grid.
 *
 * @param image the photo's name as the record reports it (a path, or a file name in a page).
 */
export function faceRecord(
  image: string,
  photo: Pick<PixelImage, 'width' | 'height'>,
  k: number,
  face: DetectedFace,
  grid: GridModel,
  fit: FaceFit,
): FitRecord {
  const detected: [number, number][] = [];
  for (let i = 0; i < 68; i++) detected.push([face.landmarks[2 * i], face.landmarks[2 * i + 1]]);
  const fitted: ([number, number] | null)[] = new Array(68).fill(null);
  grid.landmarkIds.forEach((id, l) => {
    fitted[id - 1] = [fit.forward.landmarks[2 * l], fit.forward.landmarks[2 * l + 1]];
  });
  let sq = 0;
  let n = 0;
  for (let i = 0; i < 68; i++) {
    const f = fitted[i];
    if (!f) continue;
    sq += (f[0] - detected[i][0]) ** 2 + (f[1] - detected[i][1]) ** 2;
    n++;
  }
  const rmsPx = n > 0 ? Math.sqrt(sq / n) : Number.NaN;
  const eye = Math.hypot(detected[36][0] - detected[45][0], detected[36][1] - detected[45][1]);
  let valid = 0;
  let visible = 0;
  for (let p = 0; p < grid.valid.length; p++) {
    valid += grid.valid[p];
    visible += fit.forward.mask[p];
  }
  const ds = grid.numShapeModes;
  const modes = { shape: ds, expression: grid.numModes - ds };
  return {
    image,
    imageSize: [photo.width, photo.height],
    face: k,
    detection: {
      detector: face.detector,
      score: face.score,
      box: face.box,
      padded: face.padded,
      ...(face.retry ? { retry: face.retry } : {}),
    },
    crop: { x0: fit.crop.x0, y0: fit.crop.y0, side: fit.crop.side, size: fit.crop.size },
    model: { name: grid.metadata.name, res: grid.res, modes },
    method: fit.method,
    ...(fit.optimisation ? { optimisation: fit.optimisation } : {}),
    theta: fit.theta,
    pose: fitPose(fit.theta),
    modes,
    ...(grid.expressionNames
      ? { expressions: expressionWeights(grid.expressionNames, fit.theta, 6 + ds) }
      : {}),
    thetaCrop: fit.thetaCrop,
    landmarks: { detected, fitted },
    error: { rmsPx, rmsNormalised: rmsPx / eye, eyeCornerDistancePx: eye, points: n },
    visibleFraction: valid > 0 ? visible / valid : 0,
    seconds: { fit: 0, fitCpu: 0, fitImage: 0, fitImageCpu: 0, outputs: 0 },
    files: {
      uv: '',
      mask: '',
      maskedUv: '',
      preview: '',
      overview: '',
      obj: '',
      mtl: '',
      json: '',
    },
  };
}

/** `{name: weight}` of the expression modes, θ's entries from `offset` on (rounded to 1e-4). */
export function expressionWeights(
  names: readonly string[],
  theta: ArrayLike<number>,
  offset: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  names.forEach((name, k) => {
    out[name] = Math.round(theta[offset + k] * 1e4) / 1e4;
  });
  return out;
}

/**
 * The face used when the detector finds none (localiser only): the centre square of the image,
 * as a box the crop rule then frames (`squareAroundBox` with margin m: a box of side
 * min(W, H) / (1 + 2m), so that the crop is exactly the centre square). No landmarks.
 */
export function centreSquareFace(width: number, height: number, margin = 0.2): DetectedFace {
  const side = Math.min(width, height) / (1 + 2 * margin);
  return {
    box: [(width - side) / 2, (height - side) / 2, side, side],
    score: 0,
    detector: 'none',
    padded: false,
    landmarks: new Float32Array(136).fill(Number.NaN),
  };
}

/**
 * At least half of the box's area lies inside the photo: detections on a padded or rotated copy
 * whose box is mostly outside are rejected (the CLI and the web app).
 */
export function mostlyInside(
  box: readonly [number, number, number, number] | readonly number[],
  width: number,
  height: number,
): boolean {
  const [x, y, w, h] = box;
  if (!(w > 0 && h > 0)) return false;
  const iw = Math.max(0, Math.min(x + w, width) - Math.max(x, 0));
  const ih = Math.max(0, Math.min(y + h, height) - Math.max(y, 0));
  return iw * ih >= 0.5 * w * h;
}

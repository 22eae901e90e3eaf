/**
 * One photo's faces → fits and records, the CLI's `fit` path through `@3dmm-stn/fit`:
 * `fitFaces` (crop with `cropFace`, closed-form θ + Adam through the `MorphableModelSTN` layer,
 * or a trained localiser, then the layer's forward pass on the whole photo) and `faceRecord`
 * (the `FitRecord` JSON). No DOM.
 */
import {
  type DetectedFace,
  type FaceFit,
  type FitRecord,
  type FitStn,
  faceFileNames,
  faceRecord,
  fitFaces,
  type Localiser,
  photoStem,
} from '@3dmm-stn/fit';
import type { PixelImage } from '@3dmm-stn/localiser';
import * as tf from '@tensorflow/tfjs';
import { toRgbFloat } from './images';

export interface FitPhotoOptions {
  /** Adam steps after the closed-form θ (the CLI's `--steps`). Default 10. */
  steps?: number;
  /** A trained localiser (the pretrained network) instead of the optimisation. */
  localiser?: Localiser;
  /** Seconds already spent on this photo (decode, detect), for the record's stages. */
  decodeSeconds?: number;
  detectSeconds?: number;
}

export interface PhotoFit {
  records: FitRecord[];
  fits: FaceFit[];
}

/**
 * Fits every face of `photo` in one batch and returns the records (`image` = the file name) and
 * the forward passes. The page has no CPU clock: `seconds.fitCpu` and `fitImageCpu` are NaN
 * (`null` in the JSON).
 */
export function fitPhoto(
  name: string,
  photo: PixelImage,
  faces: DetectedFace[],
  g: FitStn,
  options: FitPhotoOptions = {},
): PhotoFit {
  const channels = photo.channels ?? 3;
  if (channels !== 3 && channels !== 4)
    throw new RangeError(`fitPhoto: photo.channels must be 3 or 4, got ${channels}.`);
  const rgb = toRgbFloat(photo.data, photo.width, photo.height, channels);
  const photoT = tf.tensor4d(rgb, [1, photo.height, photo.width, 3]);
  try {
    const t1 = performance.now();
    const { fits, stages } = fitFaces(photo, photoT, faces, g, {
      steps: options.steps,
      localiser: options.localiser,
    });
    const fitImage = (performance.now() - t1) / 1000;
    const stem = photoStem(name);
    const records = faces.map((face, k) => {
      const record = faceRecord(name, photo, k, face, g.grid, fits[k]);
      record.seconds = {
        fit: fitImage / faces.length,
        fitCpu: Number.NaN,
        fitImage,
        fitImageCpu: Number.NaN,
        outputs: 0,
        stages: {
          decode: options.decodeSeconds ?? 0,
          detect: options.detectSeconds ?? 0,
          ...stages,
          outputs: 0,
        },
      };
      record.files = faceFileNames(stem, k);
      return record;
    });
    return { records, fits };
  } finally {
    photoT.dispose();
  }
}

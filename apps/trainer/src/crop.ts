import {
  type CropTransform,
  cropBoxAround,
  cropFace,
  landmarksToCrop,
  type PixelImage,
} from '@3dmm-stn/localiser';
import { decodeRgb } from '@3dmm-stn/datasets/node';
import sharp from 'sharp';

/**
 * Cropping a face to the localiser's input size, with the project's one crop (`cropFace` of
 * `@3dmm-stn/localiser`: the same resampler and pixel convention as the CLI's `fit` and the web
 * app), after decoding as the CLI does (EXIF orientation applied, alpha dropped, sRGB).
 *
 * Convention: the crop is a square of the photo; parts outside the image are black. Pixel
 * centres at integer coordinates: a point x of the source maps to `(x − x0 + 0.5)·k − 0.5` with
 * k = size / side (so landmark and pixel stay aligned exactly).
 */

export interface CropResult {
  /** `[S, S, 3]` RGB in [0, 255]. */
  image: Float32Array;
  /** `[68, 2]` the landmarks in crop pixels (NaN stays NaN). */
  landmarks: Float32Array;
  /** The crop ↔ photo transform. */
  transform: CropTransform;
}

/** The square crop box `[x0, y0, side]` (source pixels, integers) around finite landmarks. */
export function cropBox(landmarks: Float32Array, margin: number): [number, number, number] {
  const { x0, y0, side } = cropBoxAround(landmarks, margin);
  return [x0, y0, side];
}

/** The one decode of the trainer and the CLI: `@3dmm-stn/datasets/node` (re-exported here). */
export { decodeRgb };

/**
 * Decode `input` (a path or bytes), crop the square around `landmarks` with `margin`, resize to
 * `size`×`size`. Throws sharp's error for unreadable images (the caller reports and skips).
 */
export async function cropAroundLandmarks(
  input: string | Buffer,
  landmarks: Float32Array,
  size: number,
  margin: number,
): Promise<CropResult> {
  return cropSquare(input, landmarks, cropBox(landmarks, margin), size);
}

/** The square around a detector box: one home, `@3dmm-stn/localiser` (re-exported here). */
export { squareAroundBox } from '@3dmm-stn/localiser';

/**
 * Decode `input`, crop the square `[x0, y0, side]` (source pixels; parts outside the image are
 * black), resize to `size`×`size` with `cropFace`, and map `landmarks` into the crop.
 */
export async function cropSquare(
  input: string | Buffer,
  landmarks: Float32Array,
  square: readonly [number, number, number],
  size: number,
): Promise<CropResult> {
  const photo = await decodeRgb(input);
  const [x0, y0, side] = square;
  const { image, transform } = cropFace(photo, { x0, y0, side }, size);
  return { image, landmarks: landmarksToCrop(transform, landmarks), transform };
}

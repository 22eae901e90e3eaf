/**
 * Face detection and 68 landmarks with @vladmandic/face-api, and the one retry policy of the
 * project: the CLI (`fit`, `eval`; face-api's node-wasm build) and the web app (its browser
 * build) both call {@link detectFaces} with the face-api module they loaded. Browser-safe: no
 * Node built-in, only face-api's tfjs-based calls on an `[H, W, 3]` int32 tensor.
 *
 * **Convention:** images are {@link RgbImage} (row-major `[H, W, 3]` uint8 RGB, row 0 at the
 * top); boxes and landmarks are photo pixels (x right, y down, the centre of pixel (row i,
 * column j) at (x = j, y = i)); landmarks in ibug-68 order.
 */
import { cropFace, fromCrop } from '@3dmm-stn/localiser';
import * as tf from '@tensorflow/tfjs-core';
import { type DetectedFace, type DetectorName, mostlyInside } from './photo';

/** An RGB image in memory: row-major `[height, width, 3]` uint8, row 0 at the top. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

interface Point {
  x: number;
  y: number;
}
interface FaceApiResult {
  detection: { score: number; box: { x: number; y: number; width: number; height: number } };
  landmarks: { positions: Point[] };
}

/**
 * The part of face-api the detection uses: its SSD MobileNet v1 and tiny face detectors and its
 * 68-point landmark net, already loaded (`loadFromDisk` in Node, weight maps in the page). Its
 * own `.d.ts` bundles a second copy of tfjs's types, hence this structural view.
 */
export interface FaceApi {
  nets: {
    faceLandmark68Net: { detectLandmarks(input: tf.Tensor3D): Promise<unknown> };
  };
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(
    input: tf.Tensor3D,
    options: unknown,
  ): { withFaceLandmarks(): Promise<FaceApiResult[]> };
}

export interface DetectOptions {
  /** Detector score threshold. Default 0.5. */
  minConfidence?: number;
  /**
   * Only the plain attempt (SSD, then the tiny detector, on the image as it is): no padding, no
   * retries. Video frames (`track`): a frame without a face costs two detector runs, not fourteen.
   */
  quick?: boolean;
}

export interface Detection {
  faces: DetectedFace[];
  /** What was tried, in order, e.g. ["ssd: 0 face(s)", "tiny: 0 face(s)", "ssd padded 480px: 1 face(s)"]. */
  attempts: string[];
}

/** One detection attempt: the image the detectors see and the map back to photo pixels. */
export interface DetectTry {
  label: string;
  image: RgbImage;
  toPhoto: (x: number, y: number) => [number, number];
  minConfidence: number;
  padded?: boolean;
  /** Reported in the record when this attempt found the face. */
  retry?: string;
}

/** The detectors each attempt runs, in order. */
export const FACE_DETECTORS = ['ssd', 'tiny'] as const;

/**
 * The attempts, in order, each built only when reached: the photo; the photo padded by half its
 * larger side with grey on every side (a face filling the image, as face datasets crop them);
 * then retries that the record reports (`retry`): enlarged 2× (small faces), rotated by ±25°
 * (tilted heads), and last the threshold lowered to 0.3 (on the photo, then padded).
 */
export function detectionAttempts(img: RgbImage, minConfidence: number): (() => DetectTry)[] {
  const pad = Math.round(Math.max(img.width, img.height) / 2);
  const identity = (x: number, y: number): [number, number] => [x, y];
  const shift = (x: number, y: number): [number, number] => [x - pad, y - pad];
  const low = Math.min(0.3, minConfidence);
  return [
    () => ({ label: '', image: img, toPhoto: identity, minConfidence }),
    () => ({
      label: ` padded ${pad}px`,
      image: padImage(img, pad),
      toPhoto: shift,
      padded: true,
      minConfidence,
    }),
    () => upscaled(img, 2, minConfidence),
    () => rotated(img, 25, minConfidence),
    () => rotated(img, -25, minConfidence),
    ...(low < minConfidence
      ? [
          () => ({
            label: ` threshold ${low}`,
            retry: `threshold ${low}`,
            image: img,
            toPhoto: identity,
            minConfidence: low,
          }),
          () => ({
            label: ` padded ${pad}px threshold ${low}`,
            retry: `threshold ${low}`,
            image: padImage(img, pad),
            toPhoto: shift,
            padded: true,
            minConfidence: low,
          }),
        ]
      : []),
  ];
}

/**
 * All faces of `img` with their landmarks, largest first, by the project's one policy: each of
 * {@link detectionAttempts} in turn, SSD MobileNet v1 then the tiny detector on each, until one
 * finds a face. Detections whose box is mostly (> 50 %) outside the image are rejected.
 */
export async function detectFaces(
  api: FaceApi,
  img: RgbImage,
  options: DetectOptions = {},
): Promise<Detection> {
  const minConfidence = options.minConfidence ?? 0.5;
  const attempts: string[] = [];
  const tries = detectionAttempts(img, minConfidence);
  for (const make of options.quick ? tries.slice(0, 1) : tries) {
    const attempt = make();
    const input = attempt.image;
    const t = tf.tensor3d(new Int32Array(input.data), [input.height, input.width, 3], 'int32');
    try {
      for (const detector of FACE_DETECTORS) {
        const opts =
          detector === 'ssd'
            ? new api.SsdMobilenetv1Options({ minConfidence: attempt.minConfidence })
            : new api.TinyFaceDetectorOptions({
                inputSize: 416,
                scoreThreshold: attempt.minConfidence,
              });
        const raw = await api.detectAllFaces(t, opts).withFaceLandmarks();
        const faces = raw
          .map((r) => toFace(r, detector, attempt))
          .filter((f) => mostlyInside(f.box, img.width, img.height));
        attempts.push(
          `${detector}${attempt.label}: ${faces.length} face(s)${raw.length > faces.length ? ` (${raw.length - faces.length} rejected outside the image)` : ''}`,
        );
        if (faces.length > 0) {
          faces.sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3]);
          return { faces, attempts };
        }
      }
    } finally {
      t.dispose();
    }
  }
  return { faces: [], attempts };
}

/**
 * face-api's 68 landmarks of the face in a given square (`[x, y, side, side]`, photo pixels),
 * without its detectors: `eval --crop labels` (3DDFA's protocol crops from the ground truth).
 * The square is cut at whole pixels and padded with black where it leaves the photo, as
 * 3DDFA's `crop_img` does; face-api's landmark net sees what withFaceLandmarks would give it.
 */
export async function landmarksInBox(
  api: FaceApi,
  img: RgbImage,
  box: readonly number[],
): Promise<DetectedFace> {
  const x0 = Math.round(box[0]);
  const y0 = Math.round(box[1]);
  const side = Math.max(1, Math.round(box[2]));
  const t = cutSquare(img, x0, y0, side);
  try {
    const lm = (await api.nets.faceLandmark68Net.detectLandmarks(t)) as { positions: Point[] };
    const landmarks = new Float32Array(136);
    lm.positions.forEach((p, i) => {
      landmarks[2 * i] = p.x + x0;
      landmarks[2 * i + 1] = p.y + y0;
    });
    return {
      box: [box[0], box[1], box[2], box[3]],
      score: 1,
      detector: 'labels',
      padded: false,
      landmarks,
    };
  } finally {
    t.dispose();
  }
}

/** Float `[H, W, C]` in 0…255 → uint8, rounding and clamping (NaN → 0). */
export function toUint8(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v > 0 ? (v < 255 ? Math.round(v) : 255) : 0;
  }
  return out;
}

/** RGBA `[H, W, 4]` bytes (a canvas's `ImageData`) → RGB `[H, W, 3]`, alpha dropped. */
export function rgbaToRgb(rgba: ArrayLike<number>, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length !== 4 * n)
    throw new RangeError(
      `rgbaToRgb: data must have ${width}×${height}×4 = ${4 * n} values, got ${rgba.length}.`,
    );
  const data = new Uint8Array(3 * n);
  for (let p = 0; p < n; p++) {
    data[3 * p] = rgba[4 * p];
    data[3 * p + 1] = rgba[4 * p + 1];
    data[3 * p + 2] = rgba[4 * p + 2];
  }
  return { data, width, height };
}

/**
 * The image enlarged k× with `cropFace` (the project's one crop resampler: bilinear when
 * enlarging, see its docs).
 */
export function upscaled(img: RgbImage, k: number, minConfidence: number): DetectTry {
  const side = Math.max(img.width, img.height);
  const size = Math.round(side * k);
  const { image, transform } = cropFace(img, { x0: 0, y0: 0, side }, size);
  return {
    label: ` upscaled ${k}×`,
    retry: `upscaled ${k}×`,
    image: { data: toUint8(image), width: size, height: size },
    toPhoto: (x, y) => fromCrop(transform, x, y),
    minConfidence,
  };
}

/**
 * The image rotated by `degrees` (counter-clockwise as seen) about its centre on a grey canvas
 * large enough to hold it. Resampling: plain bilinear interpolation of the four neighbours, no
 * prefilter (a rotation neither enlarges nor shrinks); output pixels whose 2×2 neighbourhood
 * leaves the photo stay grey.
 */
export function rotated(img: RgbImage, degrees: number, minConfidence: number): DetectTry {
  const a = (degrees * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const W = Math.ceil(Math.abs(img.width * c) + Math.abs(img.height * s));
  const H = Math.ceil(Math.abs(img.width * s) + Math.abs(img.height * c));
  const cx = (img.width - 1) / 2;
  const cy = (img.height - 1) / 2;
  const ox = (W - 1) / 2;
  const oy = (H - 1) / 2;
  // Output (u, v) shows photo point R⁻¹·(u − o) + c; y is down, so a visual counter-clockwise
  // turn is x' = c·x + s·y, y' = −s·x + c·y.
  const toPhoto = (u: number, v: number): [number, number] => [
    c * (u - ox) - s * (v - oy) + cx,
    s * (u - ox) + c * (v - oy) + cy,
  ];
  const data = new Uint8Array(W * H * 3).fill(128);
  const d = img.data;
  for (let v = 0; v < H; v++)
    for (let u = 0; u < W; u++) {
      const [x, y] = toPhoto(u, v);
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= img.width || y0 + 1 >= img.height) continue;
      const fx = x - x0;
      const fy = y - y0;
      const o = 3 * (v * W + u);
      for (let ch = 0; ch < 3; ch++) {
        const p = (yy: number, xx: number) => d[3 * (yy * img.width + xx) + ch];
        data[o + ch] = Math.round(
          (1 - fy) * ((1 - fx) * p(y0, x0) + fx * p(y0, x0 + 1)) +
            fy * ((1 - fx) * p(y0 + 1, x0) + fx * p(y0 + 1, x0 + 1)),
        );
      }
    }
  return {
    label: ` rotated ${degrees}°`,
    retry: `rotated ${degrees}°`,
    image: { data, width: W, height: H },
    toPhoto,
    minConfidence,
  };
}

function toFace(r: FaceApiResult, detector: DetectorName, attempt: DetectTry): DetectedFace {
  const b = r.detection.box;
  const landmarks = new Float32Array(136);
  r.landmarks.positions.forEach((p, i) => {
    const [x, y] = attempt.toPhoto(p.x, p.y);
    landmarks[2 * i] = x;
    landmarks[2 * i + 1] = y;
  });
  // The box's corners in photo pixels, and their bounding box (rotated attempts).
  const corners = [
    attempt.toPhoto(b.x, b.y),
    attempt.toPhoto(b.x + b.width, b.y),
    attempt.toPhoto(b.x, b.y + b.height),
    attempt.toPhoto(b.x + b.width, b.y + b.height),
  ];
  const xs = corners.map((q) => q[0]);
  const ys = corners.map((q) => q[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  return {
    box: [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0],
    score: r.detection.score,
    detector,
    padded: attempt.padded ?? false,
    ...(attempt.retry ? { retry: attempt.retry } : {}),
    landmarks,
  };
}

/** The image centred on a grey canvas `pad` pixels larger on every side. */
export function padImage(img: RgbImage, pad: number): RgbImage {
  const W = img.width + 2 * pad;
  const H = img.height + 2 * pad;
  const data = new Uint8Array(W * H * 3).fill(128);
  for (let y = 0; y < img.height; y++)
    data.set(
      img.data.subarray(3 * y * img.width, 3 * (y + 1) * img.width),
      3 * ((y + pad) * W + pad),
    );
  return { data, width: W, height: H };
}

/**
 * The square [x0, y0, side] of `img` as an int32 `[side, side, 3]` tensor (face-api's input),
 * `fill` grey where the square leaves the photo.
 */
export function cutSquare(
  img: RgbImage,
  x0: number,
  y0: number,
  side: number,
  fill = 0,
): tf.Tensor3D {
  const data = new Int32Array(side * side * 3);
  if (fill) data.fill(fill);
  const src = img.data;
  for (let v = 0; v < side; v++) {
    const y = y0 + v;
    if (y < 0 || y >= img.height) continue;
    for (let u = 0; u < side; u++) {
      const x = x0 + u;
      if (x < 0 || x >= img.width) continue;
      const i = 3 * (y * img.width + x);
      const o = 3 * (v * side + u);
      data[o] = src[i];
      data[o + 1] = src[i + 1];
      data[o + 2] = src[i + 2];
    }
  }
  return tf.tensor3d(data, [side, side, 3], 'int32');
}

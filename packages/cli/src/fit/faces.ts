/**
 * Face detection and 68 landmarks with @vladmandic/face-api, fully offline.
 *
 * The node-wasm build is loaded with `require` so that it shares this process's single
 * `@tensorflow/tfjs` (one engine, the backend chosen by `selectBackend`); its SSD MobileNet v1,
 * tiny face detector and 68-point landmark models are read from the package's own `model/`
 * folder. Landmarks come in ibug-68 order, pixel coordinates of the image given.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../image';

interface Point {
  x: number;
  y: number;
}
interface FaceApiResult {
  detection: { score: number; box: { x: number; y: number; width: number; height: number } };
  landmarks: { positions: Point[] };
}
interface DetectTask {
  withFaceLandmarks(): Promise<FaceApiResult[]>;
}
interface FaceApiModule {
  nets: Record<
    'ssdMobilenetv1' | 'tinyFaceDetector' | 'faceLandmark68Net',
    { loadFromDisk(dir: string): Promise<void> }
  >;
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(input: tf.Tensor3D, options: unknown): DetectTask;
}

export type DetectorName = 'ssd' | 'tiny';

export interface DetectedFace {
  /** [x, y, width, height] of the detection box, image pixels. */
  box: [number, number, number, number];
  score: number;
  detector: DetectorName;
  /** The image was padded before this detection (an already-cropped face). */
  padded: boolean;
  /** [68, 2] ibug landmarks, image pixels (x right, y down, pixel centres at integers). */
  landmarks: Float32Array;
}

export interface DetectOptions {
  /** Detector score threshold. Default 0.5. */
  minConfidence?: number;
}

export interface Detection {
  faces: DetectedFace[];
  /** What was tried, in order, e.g. ["ssd: 0", "tiny: 0", "ssd padded: 1"]. */
  attempts: string[];
}

/** The package folder of @vladmandic/face-api (its `model/` and `demo/` live there). */
export function faceApiRoot(): string {
  return dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json'));
}

/** Loads face-api and its three models from disk. */
export class FaceDetector {
  private constructor(private readonly api: FaceApiModule) {}

  static async load(): Promise<FaceDetector> {
    const root = faceApiRoot();
    const api = createRequire(import.meta.url)(
      join(root, 'dist', 'face-api.node-wasm.js'),
    ) as FaceApiModule;
    const modelDir = join(root, 'model');
    await api.nets.ssdMobilenetv1.loadFromDisk(modelDir);
    await api.nets.tinyFaceDetector.loadFromDisk(modelDir);
    await api.nets.faceLandmark68Net.loadFromDisk(modelDir);
    return new FaceDetector(api);
  }

  /**
   * All faces with their landmarks, largest first. SSD MobileNet v1 first, then the tiny
   * detector; if neither finds a face (a face filling the image, as face datasets crop them), the
   * image is padded by half its larger side with grey on every side and both are tried again.
   * Detections whose box is mostly (> 50 %) outside the image are rejected.
   */
  async detect(img: RgbImage, options: DetectOptions = {}): Promise<Detection> {
    const minConfidence = options.minConfidence ?? 0.5;
    const attempts: string[] = [];
    for (const pad of [0, Math.round(Math.max(img.width, img.height) / 2)]) {
      const input = pad > 0 ? padImage(img, pad) : img;
      const t = tf.tensor3d(new Int32Array(input.data), [input.height, input.width, 3], 'int32');
      try {
        for (const detector of ['ssd', 'tiny'] as const) {
          const opts =
            detector === 'ssd'
              ? new this.api.SsdMobilenetv1Options({ minConfidence })
              : new this.api.TinyFaceDetectorOptions({
                  inputSize: 416,
                  scoreThreshold: minConfidence,
                });
          const raw = await this.api.detectAllFaces(t, opts).withFaceLandmarks();
          const faces = raw
            .map((r) => toFace(r, detector, pad))
            .filter((f) => mostlyInside(f.box, img.width, img.height));
          attempts.push(
            `${detector}${pad > 0 ? ` padded ${pad}px` : ''}: ${faces.length} face(s)${raw.length > faces.length ? ` (${raw.length - faces.length} rejected outside the image)` : ''}`,
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
}

function toFace(r: FaceApiResult, detector: DetectorName, pad: number): DetectedFace {
  const b = r.detection.box;
  const landmarks = new Float32Array(136);
  r.landmarks.positions.forEach((p, i) => {
    landmarks[2 * i] = p.x - pad;
    landmarks[2 * i + 1] = p.y - pad;
  });
  return {
    box: [b.x - pad, b.y - pad, b.width, b.height],
    score: r.detection.score,
    detector,
    padded: pad > 0,
    landmarks,
  };
}

/** At least half of the box's area lies inside the image. */
export function mostlyInside(
  box: [number, number, number, number],
  width: number,
  height: number,
): boolean {
  const [x, y, w, h] = box;
  if (!(w > 0 && h > 0)) return false;
  const iw = Math.max(0, Math.min(x + w, width) - Math.max(x, 0));
  const ih = Math.max(0, Math.min(y + h, height) - Math.max(y, 0));
  return iw * ih >= 0.5 * w * h;
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

/**
 * Face detection and 68 landmarks with @vladmandic/face-api, fully offline: the Node loading of
 * face-api; the detection and its retry policy are @3dmm-stn/fit's `detectFaces` (one policy,
 * shared with the web app).
 *
 * The node-wasm build is loaded with `require` so that it shares this process's single
 * `@tensorflow/tfjs` (one engine, the backend chosen by `selectBackend`); its SSD MobileNet v1,
 * tiny face detector and 68-point landmark models are read from the package's own `model/`
 * folder. Landmarks come in ibug-68 order, pixel coordinates of the image given.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  cutSquare,
  type DetectedFace,
  type Detection,
  type DetectOptions,
  detectFaces,
  type FaceApi,
  landmarksInBox,
} from '@3dmm-stn/fit';
import type { RgbImage } from '../image';

type FaceApiModule = FaceApi & {
  nets: Record<
    'ssdMobilenetv1' | 'tinyFaceDetector' | 'faceLandmark68Net',
    { loadFromDisk(dir: string): Promise<void> }
  >;
};

export type { DetectedFace, DetectorName, Detection, DetectOptions } from '@3dmm-stn/fit';
export { mostlyInside, padImage, rotated, upscaled } from '@3dmm-stn/fit';

/** What `fit` and `eval` need of a detector: face-api's, the mesh's, or both (`auto`). */
export interface LandmarkDetector {
  detect(img: RgbImage, options?: DetectOptions): Promise<Detection>;
  landmarksInBox(img: RgbImage, box: readonly number[]): Promise<DetectedFace>;
}

/** Where the 68 landmarks come from (`--landmarks-from`). */
export type LandmarksFrom = 'face-api' | 'mesh' | 'auto';
export const LANDMARKS_FROM_CHOICES = ['face-api', 'mesh', 'auto'] as const;

/** The package folder of @vladmandic/face-api (its `model/` and `demo/` live there). */
export function faceApiRoot(): string {
  return dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json'));
}

/** Loads face-api and its three models from disk. */
export class FaceDetector implements LandmarkDetector {
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

  /** All faces with their landmarks, largest first: @3dmm-stn/fit's `detectFaces` policy. */
  detect(img: RgbImage, options: DetectOptions = {}): Promise<Detection> {
    return detectFaces(this.api, img, options);
  }

  /** face-api's 68 landmarks in a given square (`eval --crop labels`): fit's `landmarksInBox`. */
  landmarksInBox(img: RgbImage, box: readonly number[]): Promise<DetectedFace> {
    return landmarksInBox(this.api, img, box);
  }

  /**
   * How sure the tiny face detector is that the square `[x, y, side, side]` holds a face: the
   * square is cut with a margin of half its side on every side (grey outside the photo; the
   * detector's anchors want the face at about half the image) and the best score of a detection
   * whose centre lies in the middle half is returned (0: none). `track`'s check that the face
   * it follows is still there, ≈ 10–20 ms at input size 160.
   */
  async faceScore(img: RgbImage, box: readonly number[], inputSize = 160): Promise<number> {
    const side = Math.max(1, Math.round(2 * box[2]));
    const x0 = Math.round(box[0] - box[2] / 2);
    const y0 = Math.round(box[1] - box[2] / 2);
    const t = cutSquare(img, x0, y0, side, 128);
    try {
      // face-api's task is a thenable of the detections (without `withFaceLandmarks`).
      const found = await (this.api.detectAllFaces(
        t,
        new this.api.TinyFaceDetectorOptions({ inputSize, scoreThreshold: 0.05 }),
      ) as unknown as PromiseLike<
        { score: number; box: { x: number; y: number; width: number; height: number } }[]
      >);
      let best = 0;
      for (const d of found) {
        const cx = d.box.x + d.box.width / 2;
        const cy = d.box.y + d.box.height / 2;
        if (Math.abs(cx - side / 2) <= side / 4 && Math.abs(cy - side / 2) <= side / 4)
          best = Math.max(best, d.score);
      }
      return best;
    } finally {
      t.dispose();
    }
  }
}

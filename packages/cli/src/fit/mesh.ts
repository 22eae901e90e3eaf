/**
 * Faces and 68 landmarks from `@vladmandic/human`'s MediaPipe face mesh (BlazeFace detector +
 * 468-point FaceMesh), fully offline, on this process's one tfjs engine.
 *
 * human 3.3.6 needs three workarounds in Node:
 *  - its `exports` map has keys without `./`, so no subpath resolves (`dist/human.node-wasm.js`,
 *    `package.json`): the package folder is found on the `require` search paths instead;
 *  - its node-wasm build's default `wasmPath` is a CDN: it is pointed at
 *    `@tensorflow/tfjs-backend-wasm`'s own `dist/` (the same binaries `selectBackend` uses);
 *  - it loads models with `fetch`, which in Node cannot read `file://`: `fetch` is wrapped while
 *    the models load, answering `file://` URLs from disk (everything else passes through).
 * `dist/human.node-wasm.js` requires `@tensorflow/tfjs-core`, `-converter` and `-backend-wasm`,
 * which dedupe to the ones `@tensorflow/tfjs` 4.22.0 uses: one engine, on the backend chosen by
 * `selectBackend` (human is told to use that backend; cpu works too).
 *
 * The 468 points map to ibug-68 with `meshToIbug68` (`@3dmm-stn/fit`, browser-safe).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { type DetectedFace, type MeshJaw, meshToIbug68, mostlyInside } from '@3dmm-stn/fit';
import { UsageError } from '../errors';
import type { RgbImage } from '../image';
import type { Detection, DetectOptions, LandmarkDetector } from './faces';

interface HumanFace {
  score: number;
  boxScore: number;
  faceScore: number;
  box: [number, number, number, number];
  mesh: [number, number, number][];
  rotation?: { angle: { pitch: number; yaw: number; roll: number } } | null;
}
interface HumanInstance {
  load(): Promise<void>;
  detect(input: tf.Tensor, config?: unknown): Promise<{ face: HumanFace[]; error?: string | null }>;
  tf: { engine(): unknown };
}
interface HumanModule {
  Human: new (config: unknown) => HumanInstance;
}

/** A mesh detection: the face, and the mesh's own head rotation (degrees; yaw > 0 …). */
export interface MeshFace extends DetectedFace {
  /** human's estimate of the head's yaw from the mesh, degrees (sign as human gives it). */
  meshYaw: number;
  /** The 468 mesh points `[x, y, z]`, photo pixels. */
  mesh: [number, number, number][];
}

/** The package folder of @vladmandic/human (its `exports` resolve no subpath). */
export function humanRoot(): string {
  const req = createRequire(import.meta.url);
  const dirs = req.resolve.paths('@vladmandic/human') ?? [];
  for (const d of dirs) {
    const root = join(d, '@vladmandic', 'human');
    if (existsSync(join(root, 'package.json'))) return root;
  }
  // An optional peer (43 MB of models): only `--landmarks-from mesh|auto` needs it.
  throw new UsageError(
    '--landmarks-from mesh|auto needs @vladmandic/human, an optional peer of @3dmm-stn/cli: npm install @vladmandic/human@3.3.6',
  );
}

/** Runs `f` with `fetch` answering `file://` URLs from disk. */
async function withFileFetch<T>(f: () => Promise<T>): Promise<T> {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const u = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url;
    if (u.startsWith('file://')) return new Response(await readFile(fileURLToPath(u)));
    return realFetch(url, init);
  }) as typeof fetch;
  try {
    return await f();
  } finally {
    globalThis.fetch = realFetch;
  }
}

export interface MeshDetectorOptions {
  /** Jaw points: 3D-consistent mesh vertices (default) or moved to the outline. */
  jaw?: MeshJaw;
}

/** human's BlazeFace + FaceMesh, its 468 points mapped to ibug-68. */
export class MeshDetector implements LandmarkDetector {
  private constructor(
    private readonly human: HumanInstance,
    readonly jaw: MeshJaw,
  ) {}

  static async load(options: MeshDetectorOptions = {}): Promise<MeshDetector> {
    const root = humanRoot();
    const req = createRequire(import.meta.url);
    const H = req(join(root, 'dist', 'human.node-wasm.js')) as HumanModule;
    const backend = tf.getBackend();
    const human = new H.Human({
      backend: backend === 'wasm' || backend === 'cpu' ? backend : 'cpu',
      wasmPath: dirname(req.resolve('@tensorflow/tfjs-backend-wasm')) + sep,
      modelBasePath: `${pathToFileURL(join(root, 'models')).href}/`,
      debug: false,
      cacheModels: false,
      warmup: 'none',
      filter: { enabled: false },
      face: {
        enabled: true,
        detector: { rotation: true, maxDetected: 20, minConfidence: 0.2, return: false },
        mesh: { enabled: true },
        iris: { enabled: false },
        attention: { enabled: false },
        emotion: { enabled: false },
        description: { enabled: false },
        antispoof: { enabled: false },
        liveness: { enabled: false },
      },
      body: { enabled: false },
      hand: { enabled: false },
      object: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
    });
    if (human.tf.engine() !== tf.engine())
      throw new Error(
        '@vladmandic/human loaded a second tfjs engine: dedupe @tensorflow/tfjs-core',
      );
    await withFileFetch(() => human.load());
    return new MeshDetector(human, options.jaw ?? 'fixed');
  }

  /** All faces with their mapped 68 landmarks, largest first. */
  async detect(
    img: RgbImage,
    options: DetectOptions = {},
  ): Promise<Detection & { faces: MeshFace[] }> {
    // human's own thresholds (BlazeFace 0.2, mesh 0.2) run first; then the combined score.
    const minConfidence = Math.min(options.minConfidence ?? 0.5, 0.5);
    const t = tf.tensor3d(new Int32Array(img.data), [img.height, img.width, 3], 'int32');
    let raw: HumanFace[];
    try {
      const res = await this.human.detect(t);
      if (res.error) throw new Error(`human: ${res.error}`);
      raw = res.face;
    } finally {
      t.dispose();
    }
    const faces = raw
      .filter((f) => f.mesh.length >= 468 && f.score >= minConfidence)
      .map((f) => toFace(f, this.jaw))
      .filter((f) => mostlyInside(f.box, img.width, img.height));
    faces.sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3]);
    return { faces, attempts: [`mesh: ${faces.length} face(s)`] };
  }

  /**
   * The mesh's 68 landmarks of the face in a given square (`eval --crop labels`): the square is
   * cut (black outside the photo) and the mesh detector runs on it; the largest face wins.
   */
  async landmarksInBox(img: RgbImage, box: readonly number[]): Promise<DetectedFace> {
    const x0 = Math.round(box[0]);
    const y0 = Math.round(box[1]);
    const side = Math.max(1, Math.round(box[2]));
    const data = new Uint8Array(side * side * 3);
    for (let v = 0; v < side; v++) {
      const y = y0 + v;
      if (y < 0 || y >= img.height) continue;
      for (let u = 0; u < side; u++) {
        const x = x0 + u;
        if (x < 0 || x >= img.width) continue;
        const i = 3 * (y * img.width + x);
        data.set(img.data.subarray(i, i + 3), 3 * (v * side + u));
      }
    }
    const { faces } = await this.detect(
      { data, width: side, height: side },
      { minConfidence: 0.2 },
    );
    const landmarks = new Float32Array(136).fill(Number.NaN);
    if (faces.length > 0)
      for (let k = 0; k < 68; k++) {
        landmarks[2 * k] = faces[0].landmarks[2 * k] + x0;
        landmarks[2 * k + 1] = faces[0].landmarks[2 * k + 1] + y0;
      }
    return {
      box: [box[0], box[1], box[2], box[3]],
      score: faces[0]?.score ?? 0,
      detector: 'labels',
      padded: false,
      landmarks,
    };
  }
}

function toFace(f: HumanFace, jaw: MeshJaw): MeshFace {
  return {
    box: [f.box[0], f.box[1], f.box[2], f.box[3]],
    score: f.score,
    detector: 'mesh',
    padded: false,
    landmarks: meshToIbug68(f.mesh, jaw),
    meshYaw: ((f.rotation?.angle.yaw ?? 0) * 180) / Math.PI,
    mesh: f.mesh,
  };
}

/**
 * `--landmarks-from auto`: face-api first (its faces and landmarks unchanged); only when it finds
 * no face in the photo (after all its retries), the mesh detector's faces. The rule measured best
 * on the rendered large-pose set (README, "Landmarks from a face mesh"): the mesh's points are not
 * better than face-api's where both find the face, and its own yaw estimate is about half the
 * true yaw (no usable switch), but it finds faces face-api misses.
 */
export class AutoDetector implements LandmarkDetector {
  constructor(
    readonly faceApi: LandmarkDetector,
    readonly mesh: LandmarkDetector,
  ) {}

  async detect(img: RgbImage, options: DetectOptions = {}): Promise<Detection> {
    const first = await this.faceApi.detect(img, options);
    if (first.faces.length > 0) return first;
    const second = await this.mesh.detect(img, options);
    return { faces: second.faces, attempts: [...first.attempts, ...second.attempts] };
  }

  async landmarksInBox(img: RgbImage, box: readonly number[]): Promise<DetectedFace> {
    return this.faceApi.landmarksInBox(img, box);
  }
}

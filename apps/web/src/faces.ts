/**
 * Face detection and 68 landmarks in the page with @vladmandic/face-api's browser build
 * (`face-api.esm-nobundle.js`: it imports `@tensorflow/tfjs` instead of bundling its own, so the
 * page has one tfjs engine — checked by {@link assertOneEngine}). Its SSD MobileNet v1, tiny
 * face detector and 68-point landmark models are served by the app itself (`models/`, copied
 * from the npm package at build time) and fetched here with byte progress.
 *
 * The detection is @3dmm-stn/fit's `detectFaces`, the CLI's one policy with all its retries.
 * Landmarks come in ibug-68 order, photo pixels (x right, y down, pixel centres at integers).
 */
import {
  type Detection,
  detectFaces as detectFacesWith,
  type FaceApi as DetectApi,
  rgbaToRgb,
} from '@3dmm-stn/fit';
import type { PixelImage } from '@3dmm-stn/localiser';
import * as tf from '@tensorflow/tfjs';
import * as faceapiModule from '@vladmandic/face-api/dist/face-api.esm-nobundle.js';

interface Net {
  isLoaded: boolean;
  loadFromWeightMap(map: tf.NamedTensorMap): void;
}
/** The part of face-api the page uses (its own .d.ts bundles a second copy of tfjs's types). */
type FaceApi = DetectApi & {
  nets: { ssdMobilenetv1: Net; tinyFaceDetector: Net; faceLandmark68Net: Net };
  tf: { engine(): unknown; Tensor: unknown };
};

const faceapi = faceapiModule as unknown as FaceApi;

/** face-api's tfjs is the page's tfjs (one engine, one set of kernels and backends). */
export function assertOneEngine(): void {
  if (faceapi.tf.engine() !== tf.engine() || faceapi.tf.Tensor !== tf.Tensor) {
    throw new Error(
      'face-api runs on another copy of @tensorflow/tfjs than the page (two tfjs engines): the bundle must resolve both to one @tensorflow/tfjs 4.22',
    );
  }
}

/** A model that could not be loaded: names the model and the URL. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

/** Bytes received so far of the file being fetched, and its size (0 if the server sends none). */
export type ByteProgress = (label: string, received: number, total: number) => void;

/** GET `url` as bytes, reporting progress; throws ModelLoadError naming the model and URL. */
async function fetchBytes(
  url: string,
  label: string,
  onProgress: ByteProgress,
): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new ModelLoadError(`cannot load the ${label} from ${url}: ${(e as Error).message}`);
  }
  if (!res.ok)
    throw new ModelLoadError(
      `cannot load the ${label} from ${url}: HTTP ${res.status} ${res.statusText}`.trim(),
    );
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      onProgress(label, received, total);
    }
  } catch (e) {
    throw new ModelLoadError(
      `cannot load the ${label} from ${url}: the download broke off after ${received} bytes (${(e as Error).message})`,
    );
  }
  const out = new Uint8Array(received);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

interface ManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** Loads one face-api net from `<base><name>-weights_manifest.json` and its shards. */
async function loadNet(
  net: Net,
  name: string,
  label: string,
  base: URL,
  onProgress: ByteProgress,
): Promise<void> {
  const manifestUrl = new URL(`${name}-weights_manifest.json`, base).href;
  let groups: ManifestGroup[];
  try {
    groups = JSON.parse(
      new TextDecoder().decode(await fetchBytes(manifestUrl, `${label} manifest`, () => {})),
    );
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(`the ${label} manifest ${manifestUrl} is not JSON: ${e}`);
  }
  const map: tf.NamedTensorMap = {};
  for (const g of groups) {
    const shards = [];
    for (const p of g.paths)
      shards.push(await fetchBytes(new URL(p, base).href, label, onProgress));
    const size = shards.reduce((a, s) => a + s.length, 0);
    const joined = new Uint8Array(size);
    let o = 0;
    for (const s of shards) {
      joined.set(s, o);
      o += s.length;
    }
    try {
      Object.assign(map, tf.io.decodeWeights(joined.buffer, g.weights));
    } catch (e) {
      throw new ModelLoadError(
        `the ${label} weights (${g.paths.join(', ')}) do not match their manifest: ${(e as Error).message}`,
      );
    }
  }
  try {
    net.loadFromWeightMap(map);
  } catch (e) {
    tf.dispose(Object.values(map));
    throw new ModelLoadError(
      `the ${label} weights do not fit the network: ${(e as Error).message}`,
    );
  }
}

/** Loads the two detectors and the landmark model (once; a failed load is retried by the next call). */
export async function loadFaceModels(base: URL, onProgress: ByteProgress): Promise<void> {
  assertOneEngine();
  const { ssdMobilenetv1, tinyFaceDetector, faceLandmark68Net } = faceapi.nets;
  if (!ssdMobilenetv1.isLoaded)
    await loadNet(
      ssdMobilenetv1,
      'ssd_mobilenetv1_model',
      'face detector (SSD MobileNet v1)',
      base,
      onProgress,
    );
  if (!tinyFaceDetector.isLoaded)
    await loadNet(
      tinyFaceDetector,
      'tiny_face_detector_model',
      'tiny face detector',
      base,
      onProgress,
    );
  if (!faceLandmark68Net.isLoaded)
    await loadNet(
      faceLandmark68Net,
      'face_landmark_68_model',
      '68-point landmark model',
      base,
      onProgress,
    );
}

/**
 * All faces of the photo with their landmarks, largest first: @3dmm-stn/fit's `detectFaces`,
 * the CLI's policy and retries (SSD then tiny; padded, 2× upscaled, ±25° rotated, threshold 0.3).
 *
 * @param photo the decoded photo, RGB or RGBA (`[H, W, 3|4]` bytes; alpha dropped).
 * @param minConfidence detector score threshold. Default 0.5 (the CLI's).
 */
export function detectFaces(photo: PixelImage, minConfidence = 0.5): Promise<Detection> {
  const rgb =
    (photo.channels ?? 3) === 4
      ? rgbaToRgb(photo.data, photo.width, photo.height)
      : { data: Uint8Array.from(photo.data), width: photo.width, height: photo.height };
  return detectFacesWith(faceapi, rgb, { minConfidence });
}

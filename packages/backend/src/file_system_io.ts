import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** Name of the topology + manifest file written by {@link fileSystemIO}. */
export const MODEL_JSON = 'model.json';
/** Name of the single weights file written by {@link fileSystemIO}. */
export const WEIGHTS_BIN = 'weights.bin';

/** Thrown when a saved model folder is missing a file or its `model.json` is malformed. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/**
 * A tfjs `IOHandler` that saves a model to, and loads it from, a folder on disk, without
 * `@tensorflow/tfjs-node`.
 *
 * Layout (the same as tfjs-node's `file://` handler, so either can read the other's output):
 * - `<dir>/model.json`: `modelTopology`, `format`, `generatedBy`, `convertedBy`,
 *   `trainingConfig`, `userDefinedMetadata`, … and a `weightsManifest` with one group whose
 *   only path is `weights.bin`;
 * - `<dir>/weights.bin`: every weight's bytes, concatenated in manifest order.
 *
 * Each file is written to a temporary name in the same folder and then renamed, so an
 * interrupted save never leaves a truncated file; `weights.bin` is renamed first, so a
 * complete `model.json` always refers to weights that exist.
 *
 * `load()` also reads models written by the tfjs converter (several groups, several shard files):
 * shard paths are resolved relative to the folder of `model.json`.
 *
 * @param path a folder (created on save if missing), or the path of a `.json` model file, in
 *   which case weights are written beside it as `weights.bin`. A `file://` prefix is accepted.
 */
export function fileSystemIO(path: string): tf.io.IOHandler {
  const clean = path.startsWith('file://') ? path.slice('file://'.length) : path;
  const isJsonFile = clean.toLowerCase().endsWith('.json');
  const dir = resolve(isJsonFile ? dirname(clean) : clean);
  const modelPath = isJsonFile ? resolve(clean) : join(dir, MODEL_JSON);

  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error(
          'fileSystemIO: saving a binary (GraphDef) model topology is not supported; ' +
            'save a tfjs layers model (JSON topology).',
        );
      }
      await mkdir(dir, { recursive: true });
      const weightData =
        artifacts.weightData === undefined
          ? new ArrayBuffer(0)
          : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const manifest: tf.io.WeightsManifestConfig = [
        { paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] },
      ];
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: manifest,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
      };
      if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature != null) modelJSON.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata != null) {
        modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
      }
      if (artifacts.modelInitializer != null) {
        modelJSON.modelInitializer = artifacts.modelInitializer;
      }
      if (artifacts.initializerSignature != null) {
        modelJSON.initializerSignature = artifacts.initializerSignature;
      }

      await writeAtomically(join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
      await writeAtomically(modelPath, JSON.stringify(modelJSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      let text: string;
      try {
        text = await readFile(modelPath, 'utf8');
      } catch (e) {
        throw new ModelFileError(modelPath, `cannot read the model file (${errorMessage(e)}).`);
      }
      let modelJSON: tf.io.ModelJSON;
      try {
        modelJSON = JSON.parse(text) as tf.io.ModelJSON;
      } catch (e) {
        throw new ModelFileError(modelPath, `is not valid JSON (${errorMessage(e)}).`);
      }
      if (modelJSON === null || typeof modelJSON !== 'object' || modelJSON.modelTopology == null) {
        throw new ModelFileError(modelPath, 'has no "modelTopology" field.');
      }
      if (modelJSON.weightsManifest != null && !Array.isArray(modelJSON.weightsManifest)) {
        throw new ModelFileError(modelPath, '"weightsManifest" must be an array of weight groups.');
      }
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const buffers: ArrayBuffer[] = [];
        const specs: tf.io.WeightsManifestEntry[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const file = resolve(dirname(modelPath), p);
            let bytes: Buffer;
            try {
              bytes = await readFile(file);
            } catch (e) {
              throw new ModelFileError(
                file,
                `cannot read weights listed in ${basename(modelPath)} (${errorMessage(e)}).`,
              );
            }
            // A Node Buffer may be a view into a shared pool: copy out exactly its bytes.
            buffers.push(new Uint8Array(bytes).buffer);
          }
          specs.push(...group.weights);
        }
        const weightData = tf.io.CompositeArrayBuffer.join(buffers);
        const expected = specs.reduce((n, s) => n + weightByteLength(s), 0);
        if (Number.isFinite(expected) && expected !== weightData.byteLength) {
          throw new ModelFileError(
            modelPath,
            `the weights manifest describes ${expected} bytes but the weight files hold ` +
              `${weightData.byteLength} bytes.`,
          );
        }
        return [specs, weightData];
      });
    },
  };
}

async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  float16: 2,
  uint8: 1,
  uint16: 2,
};

/** Byte length of one manifest entry, or NaN when it cannot be known (strings). */
function weightByteLength(spec: tf.io.WeightsManifestEntry): number {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.quantization != null) {
    const q = spec.quantization;
    const bytes = q.dtype === 'float16' ? 2 : q.dtype === 'uint16' ? 2 : 1;
    return size * bytes;
  }
  if (spec.dtype === 'string') return Number.NaN;
  const bytes = DTYPE_BYTES[spec.dtype];
  return bytes === undefined ? Number.NaN : size * bytes;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

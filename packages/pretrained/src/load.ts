import { registerMorphableModelSTN } from '@3dmm-stn/stn-layer';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PretrainedFileError } from './errors';
import { type PretrainedMeta, parsePretrainedMeta } from './meta';

/** The three shipped files, as bytes, and the names to report them by (paths or URLs). */
export interface PretrainedFiles {
  modelJson: Uint8Array;
  weights: Uint8Array;
  meta: Uint8Array;
  names: { modelJson: string; weights: string; meta: string };
}

/** The loaded network and how to feed it. */
export interface PretrainedNetwork {
  /**
   * image `[B, S, S, 3]` RGB 0…255 → `[θ [B, 6+D], maskedUv [B, R, R, 3], mask [B, R, R, 1],
   * landmarks [B, L, 2]]` (crop pixels): the localiser and the `MorphableModelSTN` layer in one
   * tfjs LayersModel.
   */
  model: tfl.LayersModel;
  /** S. */
  inputSize: number;
  /** The crop rule it was trained on (give it the same crop: `squareAroundBox` of a detector box). */
  crop: PretrainedMeta['crop'];
  meta: PretrainedMeta;
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  float16: 2,
  uint8: 1,
  uint16: 2,
};

/** Bytes a weights manifest describes (quantised entries count their stored dtype). */
function manifestBytes(specs: tf.io.WeightsManifestEntry[]): number {
  let n = 0;
  for (const s of specs) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const dtype = s.quantization?.dtype ?? s.dtype;
    const b = BYTES[dtype];
    if (b === undefined) throw new Error(`unsupported weight dtype ${dtype} (${s.name})`);
    n += size * b;
  }
  return n;
}

/**
 * Build the network from the files' bytes, checking each: JSON that parses, a model.json with a
 * topology and one weights group, a weights file of exactly the manifest's size, metadata that
 * matches the network's input. Every error names the file and what was expected.
 */
export async function loadPretrainedFromFiles(files: PretrainedFiles): Promise<PretrainedNetwork> {
  const { names } = files;
  const meta = parsePretrainedMeta(files.meta, names.meta);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(files.modelJson));
  } catch (e) {
    throw new PretrainedFileError(names.modelJson, `invalid JSON: ${(e as Error).message}`);
  }
  if (!modelJson || typeof modelJson !== 'object' || !modelJson.modelTopology)
    throw new PretrainedFileError(
      names.modelJson,
      'expected a tfjs layers model.json with "modelTopology"',
    );
  const groups = modelJson.weightsManifest;
  if (!Array.isArray(groups) || groups.length !== 1 || !Array.isArray(groups[0]?.weights))
    throw new PretrainedFileError(
      names.modelJson,
      'expected "weightsManifest" with one group of weights (one weights.bin)',
    );
  const specs = groups[0].weights;
  let expected: number;
  try {
    expected = manifestBytes(specs);
  } catch (e) {
    throw new PretrainedFileError(names.modelJson, (e as Error).message);
  }
  if (files.weights.byteLength !== expected)
    throw new PretrainedFileError(
      names.weights,
      `expected ${expected} bytes (the weights listed in ${names.modelJson}), got ${files.weights.byteLength}: truncated or from another model`,
    );
  registerMorphableModelSTN();
  const buffer = files.weights.slice().buffer as ArrayBuffer;
  let model: tfl.LayersModel;
  try {
    const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async () => [specs, buffer]);
    model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new PretrainedFileError(
      names.modelJson,
      `cannot build the network: ${(e as Error).message}`,
    );
  }
  const shape = model.inputs[0].shape;
  if (shape[1] !== meta.inputSize || shape[2] !== meta.inputSize || shape[3] !== 3) {
    model.dispose();
    throw new PretrainedFileError(
      names.meta,
      `"inputSize" ${meta.inputSize} does not match the network's input [${shape.join(', ')}]`,
    );
  }
  const thetaShape = model.outputs[0].shape;
  if (thetaShape[1] !== meta.thetaLength) {
    model.dispose();
    throw new PretrainedFileError(
      names.meta,
      `"thetaLength" ${meta.thetaLength} does not match the network's θ output [${thetaShape.join(', ')}]`,
    );
  }
  return { model, inputSize: meta.inputSize, crop: meta.crop, meta };
}

/**
 * Loading a trained localiser for `fit --localiser` and `eval`: `pretrained` (the network shipped
 * in @3dmm-stn/pretrained) or a folder with `model.json` + `weights.bin` (the trainer's export).
 * A folder may carry `pretrained.json` with `{"crop": {"rule": "box", "margin": m}}` saying which
 * square the network was trained on; without it the crop is the square around the landmarks
 * (the trainer's default).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemIO, MODEL_JSON } from '@3dmm-stn/backend/node';
import { topologyProblem } from '@3dmm-stn/pretrained';
import { registerMorphableModelSTN } from '@3dmm-stn/stn-layer';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';
import type { Localiser } from './fit';

/**
 * The modes a network's θ holds, from its `MorphableModelSTN` layer: the identity count and the
 * expression modes (their names when the layer carries them, else their count).
 */
export function networkModes(net: tf.LayersModel): Localiser['modes'] {
  const stn = net.layers.find((l) => l.getClassName() === 'MorphableModelSTN') as
    | { numModes: number; numShapeModes: number; expressionNames?: readonly string[] }
    | undefined;
  if (!stn) return undefined;
  return {
    shape: stn.numShapeModes,
    expressions: stn.expressionNames ? [...stn.expressionNames] : stn.numModes - stn.numShapeModes,
  };
}

export async function loadLocaliser(spec: string): Promise<Localiser> {
  if (spec === 'pretrained') {
    const { loadPretrained } = await import('@3dmm-stn/pretrained/node');
    const p = await loadPretrained();
    return {
      model: p.model,
      inputSize: p.inputSize,
      crop: p.crop.rule,
      margin: p.crop.margin,
      modes: networkModes(p.model),
    };
  }
  // A graph tfjs cannot build makes tfjs-layers loop forever: refuse it first (the file's other
  // problems — missing, not JSON, weights — are fileSystemIO's typed errors below).
  const json = await readFile(join(spec, MODEL_JSON), 'utf8')
    .then((t) => JSON.parse(t) as { modelTopology?: unknown })
    .catch(() => null);
  const problem = json?.modelTopology ? topologyProblem(json.modelTopology) : null;
  if (problem) throw new InputError(join(spec, MODEL_JSON), `cannot build the network: ${problem}`);
  // The STN layer class must be registered before the network is deserialised.
  registerMorphableModelSTN();
  const net = await tf.loadLayersModel(fileSystemIO(spec));
  const shape = net.inputs[0].shape;
  if (
    shape.length !== 4 ||
    shape[1] !== shape[2] ||
    shape[3] !== 3 ||
    typeof shape[1] !== 'number'
  ) {
    net.dispose();
    throw new InputError(
      spec,
      `expected a network with input [B, S, S, 3], got [${shape.join(', ')}]`,
    );
  }
  const loc: Localiser = { model: net, inputSize: shape[1], modes: networkModes(net) };
  const metaFile = join(spec, 'pretrained.json');
  const text = await readFile(metaFile, 'utf8').catch(() => null);
  if (text !== null) {
    let meta: { crop?: { rule?: unknown; margin?: unknown } };
    try {
      meta = JSON.parse(text);
    } catch (e) {
      net.dispose();
      throw new InputError(metaFile, `invalid JSON: ${(e as Error).message}`);
    }
    const rule = meta.crop?.rule;
    const margin = meta.crop?.margin;
    if ((rule !== 'box' && rule !== 'landmarks') || typeof margin !== 'number' || !(margin >= 0)) {
      net.dispose();
      throw new InputError(
        metaFile,
        `expected "crop": {"rule": "box" | "landmarks", "margin": number ≥ 0}, got ${JSON.stringify(meta.crop)}`,
      );
    }
    loc.crop = rule;
    loc.margin = margin;
  }
  return loc;
}

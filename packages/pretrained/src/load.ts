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

interface LayerJson {
  name?: unknown;
  class_name?: unknown;
  inbound_nodes?: unknown;
}

/**
 * Checks the graph of a functional model's topology before tfjs builds it: unique layer names,
 * every inbound node, input and output naming a layer of the model and a node it has, and no
 * cycle. tfjs-layers' `fromConfig` waits for an inbound layer or node that never comes in an
 * endless synchronous loop (the fuzzer found it: a model.json whose input layer was renamed hung
 * the process), so a topology it cannot build must be refused here. Returns what is wrong, or null.
 */
export function topologyProblem(topology: unknown): string | null {
  const t = topology as { class_name?: unknown; config?: unknown } | null;
  if (!t || typeof t !== 'object') return 'expected "modelTopology" to be an object';
  const c = t.config as {
    layers?: unknown;
    input_layers?: unknown;
    output_layers?: unknown;
  } | null;
  if (t.class_name !== 'Model' || !c || typeof c !== 'object' || !Array.isArray(c.layers))
    return 'expected a functional model ("class_name": "Model" with "config.layers")';
  const layers = c.layers as LayerJson[];
  // Nodes a layer has once built: an InputLayer one, a nested model its own input node plus one
  // per call, any other layer one per call.
  const nodes = new Map<string, number>();
  const inbound = new Map<string, string[]>();
  for (const [i, l] of layers.entries()) {
    if (!l || typeof l !== 'object' || typeof l.name !== 'string')
      return `layer ${i}: expected an object with a "name"`;
    if (nodes.has(l.name)) return `layer name "${l.name}" is used twice`;
    if (!Array.isArray(l.inbound_nodes))
      return `layer "${l.name}": expected "inbound_nodes" to be an array`;
    const calls = l.inbound_nodes.length;
    const nested = l.class_name === 'Sequential' || l.class_name === 'Model';
    nodes.set(l.name, l.class_name === 'InputLayer' ? 1 : nested ? 1 + calls : calls);
    const from: string[] = [];
    for (const node of l.inbound_nodes) {
      if (!Array.isArray(node))
        return `layer "${l.name}": expected each inbound node to be an array`;
      for (const ref of node) {
        if (!Array.isArray(ref) || typeof ref[0] !== 'string' || !Number.isInteger(ref[1]))
          return `layer "${l.name}": expected inbound entries [layer name, node index, tensor index, …]`;
        from.push(`${ref[0]}\u0000${ref[1]}`);
      }
    }
    inbound.set(l.name, from);
  }
  const refOk = (name: unknown, node: unknown) =>
    typeof name === 'string' &&
    Number.isInteger(node) &&
    (node as number) >= 0 &&
    (node as number) < (nodes.get(name) ?? 0);
  for (const [name, from] of inbound) {
    for (const f of from) {
      const [src, node] = f.split('\u0000');
      if (!refOk(src, Number(node)))
        return `layer "${name}" takes its input from node ${node} of "${src}", which the model does not have`;
    }
  }
  for (const key of ['input_layers', 'output_layers'] as const) {
    const refs = c[key];
    if (!Array.isArray(refs) || refs.length === 0) return `expected a non-empty "${key}"`;
    for (const ref of refs)
      if (!Array.isArray(ref) || !refOk(ref[0], ref[1]))
        return `"${key}" names node ${Array.isArray(ref) ? ref[1] : '?'} of "${Array.isArray(ref) ? ref[0] : '?'}", which the model does not have`;
  }
  // No cycle among the layers (depth-first, iterative).
  const state = new Map<string, 1 | 2>();
  for (const start of inbound.keys()) {
    if (state.get(start) === 2) continue;
    const stack: [string, number][] = [[start, 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const deps = (inbound.get(top[0]) ?? []).map((f) => f.split('\u0000')[0]);
      if (top[1] < deps.length) {
        const d = deps[top[1]++];
        const st = state.get(d);
        if (st === 1) return `the layers form a cycle through "${d}"`;
        if (st === undefined) {
          state.set(d, 1);
          stack.push([d, 0]);
        }
      } else {
        state.set(top[0], 2);
        stack.pop();
      }
    }
  }
  return null;
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
  const problem = topologyProblem(modelJson.modelTopology);
  if (problem)
    throw new PretrainedFileError(names.modelJson, `cannot build the network: ${problem}`);
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

/**
 * A model.json whose graph tfjs cannot build is refused before tfjs tries: tfjs-layers'
 * `fromConfig` waits for a missing inbound layer or node in an endless synchronous loop — the
 * fuzzer (scripts/fuzz, kind "weights", input #4589 of the 10,000-input run: the input layer's
 * name "image" replaced by "0x10") hung the process.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend } from '@3dmm-stn/backend/node';
import { PretrainedFileError } from '@3dmm-stn/pretrained';
import { pretrainedDir } from '@3dmm-stn/pretrained/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPretrainedFromFiles, topologyProblem } from '../src/load';

let modelJson: string;
let weights: Uint8Array;
let meta: Uint8Array;
beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
  modelJson = await readFile(join(pretrainedDir(), 'model.json'), 'utf8');
  weights = new Uint8Array(await readFile(join(pretrainedDir(), 'weights.bin')));
  meta = new Uint8Array(await readFile(join(pretrainedDir(), 'pretrained.json')));
});

const topology = (edit: (t: Record<string, unknown>) => void = () => {}) => {
  const m = JSON.parse(modelJson);
  edit(m.modelTopology.config);
  return m.modelTopology;
};
type Layer = { name: string; inbound_nodes: unknown[][] };
const layers = (c: Record<string, unknown>) => c.layers as Layer[];

describe('topologyProblem', () => {
  it('accepts the shipped network', () => {
    expect(topologyProblem(topology())).toBeNull();
  });

  it.each([
    [
      'the input layer renamed (the fuzz input)',
      (c: Record<string, unknown>) => {
        layers(c)[0].name = '0x10';
      },
      /node 0 of "image", which the model does not have/,
    ],
    [
      'an inbound node index past the layer’s nodes',
      (c: Record<string, unknown>) => {
        (layers(c)[1].inbound_nodes[0][0] as unknown[])[1] = 5;
      },
      /takes its input from node 5 of "image"/,
    ],
    [
      'an output naming a missing layer',
      (c: Record<string, unknown>) => {
        (c.output_layers as unknown[][])[0][0] = 'nope';
      },
      /"output_layers" names node \d of "nope"/,
    ],
    [
      'two layers with one name',
      (c: Record<string, unknown>) => {
        layers(c)[2].name = layers(c)[1].name;
      },
      /used twice/,
    ],
    [
      'a cycle',
      (c: Record<string, unknown>) => {
        (layers(c)[1].inbound_nodes[0][0] as unknown[])[0] = layers(c)[2].name;
      },
      /cycle|does not have/,
    ],
  ])('refuses %s', (_, edit, message) => {
    expect(topologyProblem(topology(edit))).toMatch(message);
  });

  it('loadPretrainedFromFiles: a PretrainedFileError naming model.json, not a hang', async () => {
    const bad = modelJson.replace('"layers":[{"name":"image"', '"layers":[{"name":"0x10"');
    expect(bad).not.toBe(modelJson);
    const e = await loadPretrainedFromFiles({
      modelJson: new TextEncoder().encode(bad),
      weights,
      meta,
      names: { modelJson: 'model.json', weights: 'weights.bin', meta: 'pretrained.json' },
    }).catch((x) => x);
    expect(e).toBeInstanceOf(PretrainedFileError);
    expect(e.message).toMatch(/^model\.json: cannot build the network: layer "preprocess"/);
  });
});

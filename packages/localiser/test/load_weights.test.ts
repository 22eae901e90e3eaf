import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import { ModelFormatError } from '@3dmm-stn/checks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createLocaliser,
  initialTheta,
  loadLocaliserWeights,
  loadVggFaceWeightsH5,
  WeightImportError,
} from '../src/node';
import { type KerasLayerData, writeKerasH5 } from './keras_h5_writer';

let dir: string;
beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  dir = await mkdtemp(join(tmpdir(), 'localiser-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = { backbone: 'vgg-tiny', inputSize: 32, shapeDims: 10, seed: 1 } as const;
const WEIGHTED = ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1', 'fc6', 'fc7'];

/** Distinct, seeded values per weight so that a swapped or skipped array is visible. */
function values(shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(seed * 1000 + i) * 0.1;
  return out;
}

/** The Keras VGGFace layer list for the vgg-tiny layout at 32×32, classifier included. */
function vggFaceLayers(): KerasLayerData[] {
  const conv = (name: string, cin: number, cout: number, seed: number): KerasLayerData => ({
    name,
    weights: [
      {
        name: `${name}/kernel:0`,
        shape: [3, 3, cin, cout],
        values: values([3, 3, cin, cout], seed),
      },
      { name: `${name}/bias:0`, shape: [cout], values: values([cout], seed + 0.5) },
    ],
  });
  const dense = (name: string, i: number, o: number, seed: number): KerasLayerData => ({
    name,
    weights: [
      { name: `${name}/kernel:0`, shape: [i, o], values: values([i, o], seed) },
      { name: `${name}/bias:0`, shape: [o], values: values([o], seed + 0.5) },
    ],
  });
  const none = (name: string): KerasLayerData => ({ name, weights: [] });
  return [
    none('input_1'),
    conv('conv1_1', 3, 16, 1),
    none('pool1'),
    conv('conv2_1', 16, 32, 2),
    none('pool2'),
    conv('conv3_1', 32, 64, 3),
    none('pool3'),
    conv('conv4_1', 64, 128, 4),
    none('pool4'),
    conv('conv5_1', 128, 128, 5),
    none('pool5'),
    none('flatten'),
    dense('fc6', 128, 256, 6),
    none('fc6/relu'),
    dense('fc7', 256, 256, 7),
    none('fc7/relu'),
    dense('fc8', 256, 26, 8), // 2622 identities in VGG-Face; fewer here for speed
    none('fc8/softmax'),
  ];
}

function expectImported(model: tf.LayersModel, layers: KerasLayerData[]): void {
  for (const name of WEIGHTED) {
    const file = layers.find((l) => l.name === name)!;
    const got = model.getLayer(name).getWeights();
    file.weights.forEach((w, k) => {
      expect(got[k].shape).toEqual(w.shape);
      expect(sameValues(got[k].dataSync(), w.values)).toBe(true);
    });
  }
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** All weights of the named layers (default: all), concatenated. */
function snapshot(model: tf.LayersModel, names?: string[]): Float32Array {
  const layers = names ? names.map((n) => model.getLayer(n)) : model.layers;
  const parts = layers.flatMap((l) => l.getWeights().map((w) => w.dataSync() as Float32Array));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

describe('loadVggFaceWeightsH5', () => {
  test('imports a model.save-layout file by path: conv/fc6/fc7 replaced, θ head kept, fc8 dropped', async () => {
    const layers = vggFaceLayers();
    const path = join(dir, 'vggface.h5');
    await writeKerasH5(path, layers, { modelWeights: true });
    const model = createLocaliser(config);
    const report = await loadVggFaceWeightsH5(model, path);
    expect(report.loaded).toEqual(WEIGHTED);
    expect(report.ignored).toEqual(['fc8']);
    expectImported(model, layers);
    expect(Array.from(model.getLayer('theta').getWeights()[1].dataSync())).toEqual(
      Array.from(initialTheta(config)),
    );
    model.dispose();
  });

  test('imports a save_weights-layout file from bytes with chunked layer_names; temp file removed', async () => {
    const layers = vggFaceLayers();
    const path = join(dir, 'weights-only.h5');
    await writeKerasH5(path, layers, { chunks: 3 });
    const bytes = new Uint8Array(await readFile(path));
    const temps = async () =>
      (await readdir(tmpdir())).filter((f) => f.startsWith('3dmm-stn-weights-'));
    const before = await temps();
    const model = createLocaliser(config);
    const report = await loadVggFaceWeightsH5(model, bytes);
    expect(report.loaded).toEqual(WEIGHTED);
    expectImported(model, layers);
    expect(await temps()).toEqual(before);
    model.dispose();
  });

  test('lists every missing layer and shape mismatch, and writes nothing', async () => {
    const layers = vggFaceLayers()
      .filter((l) => l.name !== 'conv3_1')
      .map((l) => {
        if (l.name === 'fc6') {
          return {
            ...l,
            weights: [
              { ...l.weights[0], shape: [64, 256], values: values([64, 256], 9) },
              l.weights[1],
            ],
          };
        }
        if (l.name === 'fc7') return { ...l, weights: [l.weights[0]] };
        return l;
      });
    const path = join(dir, 'broken.h5');
    await writeKerasH5(path, layers, { modelWeights: true });
    const model = createLocaliser(config);
    const before = snapshot(model);
    const err = await loadVggFaceWeightsH5(model, path).catch((e) => e);
    expect(err).toBeInstanceOf(WeightImportError);
    expect(err.problems).toHaveLength(3);
    expect(err.message).toContain("layer 'conv3_1' missing from the source");
    expect(err.message).toContain(
      "layer 'fc6' weight 'fc6/kernel:0': source shape [64,256], model expects [128,256]",
    );
    expect(err.message).toContain(
      "layer 'fc7': source has 1 weights (fc7/kernel:0), model expects 2",
    );
    expect(err.message).toContain(path);
    expect(sameValues(snapshot(model), before)).toBe(true);
    // excluding the broken layers imports the rest
    const report = await loadVggFaceWeightsH5(model, path, { exclude: ['conv3_1', 'fc6', 'fc7'] });
    expect(report.loaded).toEqual(['conv1_1', 'conv2_1', 'conv4_1', 'conv5_1']);
    await expect(loadVggFaceWeightsH5(model, path, { exclude: ['conv9_9'] })).rejects.toThrow(
      /exclude: no layer 'conv9_9'/,
    );
    model.dispose();
  });

  test('a file that is not Keras weights, or not HDF5, is a ModelFormatError', async () => {
    const model = createLocaliser(config);
    const noLayers = join(dir, 'plain.h5');
    await writeKerasH5(noLayers, []);
    // drop layer_names by writing an HDF5 file with an unrelated group only
    const h5wasm = (await import('h5wasm/node')).default;
    const f = new h5wasm.File(noLayers, 'w');
    f.create_group('shape');
    f.close();
    await expect(loadVggFaceWeightsH5(model, noLayers)).rejects.toThrow(ModelFormatError);
    await expect(loadVggFaceWeightsH5(model, noLayers)).rejects.toThrow(/layer_names/);
    const text = join(dir, 'not.h5');
    await writeFile(text, 'hello');
    await expect(loadVggFaceWeightsH5(model, text)).rejects.toThrow(/cannot open as HDF5/);
    await expect(loadVggFaceWeightsH5(model, join(dir, 'absent.h5'))).rejects.toThrow(
      /cannot read/,
    );
    model.dispose();
  });
});

describe('loadLocaliserWeights', () => {
  test('copies by name; another D needs θ excluded; the copy is independent', () => {
    const source = createLocaliser({ ...config, seed: 11 });
    const target = createLocaliser({ ...config, shapeDims: 4, seed: 12 });
    const before = snapshot(target);
    let err: unknown;
    try {
      loadLocaliserWeights(target, source);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WeightImportError);
    expect((err as WeightImportError).problems).toEqual([
      "layer 'theta' weight 'theta/kernel': source shape [256,16], model expects [256,10] (theta/kernel)",
      "layer 'theta' weight 'theta/bias': source shape [16], model expects [10] (theta/bias)",
    ]);
    expect(sameValues(snapshot(target), before)).toBe(true);

    const report = loadLocaliserWeights(target, source, { exclude: ['theta'] });
    expect(report.loaded).toEqual(WEIGHTED);
    expect(report.ignored).toEqual(['theta']);
    for (const name of WEIGHTED) {
      const a = source.getLayer(name).getWeights();
      const b = target.getLayer(name).getWeights();
      a.forEach((w, k) => {
        expect(sameValues(b[k].dataSync(), w.dataSync())).toBe(true);
      });
    }
    // training the target leaves the source as it was
    const sourceBefore = snapshot(source);
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3);
    const opt = tf.train.sgd(0.1);
    opt.minimize(() => tf.sum(target.apply(x) as tf.Tensor) as tf.Scalar);
    expect(sameValues(snapshot(source), sourceBefore)).toBe(true);
    expect(sameValues(snapshot(target, WEIGHTED), snapshot(source, WEIGHTED))).toBe(false);
    tf.dispose([x]);
    opt.dispose();
    source.dispose();
    target.dispose();
  });

  test('a full copy reproduces the predictions; no tensor growth', () => {
    const source = createLocaliser({ ...config, seed: 21 });
    const target = createLocaliser({ ...config, seed: 22 });
    const x = tf.randomUniform([2, 32, 32, 3], -100, 100, 'float32', 4);
    loadLocaliserWeights(target, source);
    const before = tf.memory().numTensors;
    loadLocaliserWeights(target, source);
    expect(tf.memory().numTensors).toBe(before);
    tf.tidy(() => {
      expect(Array.from((target.predict(x) as tf.Tensor).dataSync())).toEqual(
        Array.from((source.predict(x) as tf.Tensor).dataSync()),
      );
    });
    x.dispose();
    source.dispose();
    target.dispose();
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSystemIO, ModelFileError } from '@3dmm-stn/backend/node';

const root = mkdtempSync(join(tmpdir(), 'backend-fsio-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function smallConvNet(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 2] });
  let x = tf.layers
    .conv2d({
      filters: 3,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 4, biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe('fileSystemIO', () => {
  it('round-trips a layers model: same weights, identical predictions, one weights.bin', async () => {
    const model = smallConvNet(1);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const dir = join(root, 'a', 'nested');
    // A fit step first, so that Adam has state and includeOptimizer writes it too (checkpoints).
    const xs = tf.randomNormal([4, 9, 9, 2], 0, 1, 'float32', 11);
    const ys = tf.randomNormal([4, 4], 0, 1, 'float32', 12);
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    tf.dispose([xs, ys]);
    const result = await model.save(fileSystemIO(dir), { includeOptimizer: true });
    expect(result.modelArtifactsInfo.weightDataBytes).toBeGreaterThan(0);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.format).toBe('layers-model');
    expect(json.trainingConfig).toBeDefined();
    expect(
      json.weightsManifest[0].weights.some((w: { group?: string }) => w.group === 'optimizer'),
    ).toBe(true);

    const loaded = await tf.loadLayersModel(fileSystemIO(dir));
    const x = tf.randomNormal([3, 9, 9, 2], 0, 1, 'float32', 7);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    const wa = model.getWeights();
    const wb = loaded.getWeights();
    expect(loaded.optimizer).toBeDefined();
    expect(wb.map((w) => w.shape)).toEqual(wa.map((w) => w.shape));
    for (let i = 0; i < wa.length; i++) {
      expect(Array.from(wb[i].dataSync())).toEqual(Array.from(wa[i].dataSync()));
    }
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('overwrites an existing save and leaves no temporary files', async () => {
    const dir = join(root, 'overwrite');
    const m1 = smallConvNet(2);
    const m2 = smallConvNet(3);
    await m1.save(fileSystemIO(dir));
    await m2.save(fileSystemIO(`file://${dir}`));
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await tf.loadLayersModel(fileSystemIO(join(dir, 'model.json')));
    const x = tf.ones([1, 9, 9, 2]);
    const want = m2.predict(x) as tf.Tensor;
    const got = loaded.predict(x) as tf.Tensor;
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([x, want, got]);
    [m1, m2, loaded].forEach((m) => {
      m.dispose();
    });
  });

  it('reads converter-style sharded manifests (several groups and files)', async () => {
    const model = smallConvNet(4);
    const dir = join(root, 'sharded');
    await model.save(fileSystemIO(dir));
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bytes = readFileSync(join(dir, 'weights.bin'));
    const specs = json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
    // Split the weights into two groups, the second one in two shard files.
    const firstBytes = specs[0].shape.reduce((a, b) => a * b, 1) * 4;
    const cut = firstBytes + 4; // a shard boundary in the middle of the second weight
    writeFileSync(join(dir, 'g1.bin'), bytes.subarray(0, firstBytes));
    writeFileSync(join(dir, 'g2-1.bin'), bytes.subarray(firstBytes, cut));
    writeFileSync(join(dir, 'g2-2.bin'), bytes.subarray(cut));
    json.weightsManifest = [
      { paths: ['g1.bin'], weights: specs.slice(0, 1) },
      { paths: ['g2-1.bin', 'g2-2.bin'], weights: specs.slice(1) },
    ];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    rmSync(join(dir, 'weights.bin'));
    const loaded = await tf.loadLayersModel(fileSystemIO(dir));
    const x = tf.randomUniform([2, 9, 9, 2], -1, 1, 'float32', 3);
    const want = model.predict(x) as tf.Tensor;
    const got = loaded.predict(x) as tf.Tensor;
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([x, want, got]);
    model.dispose();
    loaded.dispose();
  });

  it('names the missing or malformed file', async () => {
    const missing = join(root, 'does-not-exist');
    await expect(fileSystemIO(missing).load!()).rejects.toThrow(ModelFileError);
    await expect(fileSystemIO(missing).load!()).rejects.toThrow(/does-not-exist\/model\.json/);

    const dir = join(root, 'broken');
    await smallConvNet(5).save(fileSystemIO(dir));
    rmSync(join(dir, 'weights.bin'));
    await expect(fileSystemIO(dir).load!()).rejects.toThrow(/weights\.bin: cannot read weights/);

    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(12));
    await expect(fileSystemIO(dir).load!()).rejects.toThrow(
      /describes \d+ bytes but the weight files hold 12 bytes/,
    );

    writeFileSync(join(dir, 'model.json'), '{"modelTopology": ');
    await expect(fileSystemIO(dir).load!()).rejects.toThrow(/model\.json: is not valid JSON/);
  });
});

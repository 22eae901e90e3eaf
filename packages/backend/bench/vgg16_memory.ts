/**
 * Peak wasm heap and time of VGG-16 training steps on wasm (run from packages/backend):
 *   npx tsx --tsconfig tsconfig.json bench/vgg16_memory.ts <batch> <fc units, 0 = conv part only>
 * e.g. `… 8 0` (conv part, B = 8) or `… 2 4096` (full VGG-16). Two Adam steps at 224×224×3; prints
 * seconds per step and the wasm heap size (which only grows, so it is the peak so far). The
 * 4 GiB wasm32 cap shows up as "RuntimeError: memory access out of bounds".
 */
import os from 'node:os';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/index';

const batch = Number(process.argv[2] ?? 2);
const fc = Number(process.argv[3] ?? 0);
await selectBackend({ backend: 'wasm' });
console.log(
  `machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, ` +
    `load ${os.loadavg()[0].toFixed(1)} (other work shares these cores)`,
);

const input = tf.input({ shape: [224, 224, 3] });
let h: tf.SymbolicTensor = input;
let seed = 1;
for (const block of [
  [64, 64],
  [128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [512, 512, 512],
]) {
  for (const filters of block) {
    h = tf.layers
      .conv2d({
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed++ }),
      })
      .apply(h) as tf.SymbolicTensor;
  }
  h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
}
if (fc > 0) {
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  for (let i = 0; i < 2; i++) {
    h = tf.layers.dense({ units: fc, activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  }
} else {
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
}
h = tf.layers.dense({ units: 16 }).apply(h) as tf.SymbolicTensor;
const model = tf.model({ inputs: input, outputs: h });
const optimizer = tf.train.adam(1e-4);
const x = tf.randomUniform([batch, 224, 224, 3], 0, 1, 'float32', 1);
const y = tf.randomUniform([batch, 16], 0, 1, 'float32', 2);
const backend = tf.backend() as BackendWasm;
const heapMiB = () =>
  ((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length / 2 ** 20).toFixed(0);
console.log(
  `VGG-16, fc ${fc || 'none (global average pool)'}, ${model.countParams()} parameters, B = ${batch}`,
);
for (let step = 0; step < 2; step++) {
  const t0 = performance.now();
  tf.tidy(() => {
    optimizer
      .minimize(
        () => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar,
        true,
      )!
      .dataSync();
  });
  console.log(
    `step ${step}: ${((performance.now() - t0) / 1000).toFixed(1)} s, wasm heap ${heapMiB()} MiB`,
  );
}

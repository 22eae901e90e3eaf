/**
 * One training step of a VGG-16 localiser + MorphableModelSTN at 224² on wasm (with the kernels
 * @3dmm-stn/backend registers), plain SGD (no optimizer state, the smallest memory):
 *   npx tsx --tsconfig tsconfig.json bench/vgg16_stn_step.ts [batch=8] [fc=0] [steps=2] [backend=wasm]
 * fc = 0: VGG-16's 13 convolutions + global average pool + dense(6 + D) (14.7 M parameters);
 * fc > 0: flatten + two dense(fc) layers as fc6/fc7 (fc = 4096 is the full VGG-16, 138 M).
 * The loss is the mean square of the STN's masked UV image against a target plus the landmark
 * error (a stand-in of the real losses, same shapes). Prints seconds per step, the wasm heap
 * (peak so far) and the load average. The 4 GiB wasm32 cap shows as "memory access out of
 * bounds". Steps after the first exclude one-off kernel setup.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '@3dmm-stn/backend/node';
import { defaultModel, resampleToGrid } from '@3dmm-stn/morphable-model';
import { morphableModelSTN } from '../src/index';

const [batch, fc, steps] = [2, 3, 4].map((i, k) => Number(process.argv[i] ?? [8, 0, 2][k]));
const backendName = (process.argv[5] ?? 'wasm') as 'wasm' | 'cpu';
await selectBackend({ backend: backendName });
const info = () =>
  `load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`;
console.log(
  `machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, ` +
    `backend ${tf.getBackend()}, ${info()} (other work shares these cores)`,
);
const face = defaultModel();
if (!face.texCoords) throw new Error('default model without texCoords');
const grid = resampleToGrid(face, face.texCoords, 112, { shapeModes: 5, expressionModes: 5 });
const D = grid.numModes;

const image = tf.input({ shape: [224, 224, 3] });
let h: tf.SymbolicTensor = image;
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
// θ starts at a frontal face in the middle of the image: bias (0,0,0, 112,112, log 0.9, 0…).
const bias = new Float32Array(6 + D);
bias.set([0, 0, 0, 112, 112, Math.log(0.9)]);
const theta = tf.layers
  .dense({
    units: 6 + D,
    kernelInitializer: 'zeros',
    biasInitializer: tf.initializers.constant({ value: 0 }),
  })
  .apply(h) as tf.SymbolicTensor;
const stnLayer = morphableModelSTN({ gridModel: grid });
const [uv, , landmarks] = stnLayer.apply([image, theta]) as tf.SymbolicTensor[];
const model = tf.model({ inputs: image, outputs: [uv, landmarks] });
// Set the θ bias (the dense layer before the STN).
const thetaLayer = model.layers[model.layers.length - 2];
thetaLayer.setWeights([thetaLayer.getWeights()[0], tf.tensor1d(bias)]);

const x = tf.randomUniform([batch, 224, 224, 3], 0, 1, 'float32', 1);
const uvTarget = tf.randomUniform([batch, 112, 112, 3], 0, 1, 'float32', 2);
const lmTarget = tf.add(
  tf.randomNormal([batch, grid.landmarkIds.length, 2], 0, 5, 'float32', 3),
  112,
);
const optimizer = tf.train.sgd(1e-6);
const heapMiB = () =>
  tf.getBackend() === 'wasm'
    ? `${((tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length / 2 ** 20} MiB`
    : 'n/a';
console.log(
  `VGG-16 ${fc ? `fc ${fc}` : 'conv trunk + global average pool'} + dense(${6 + D}) + MorphableModelSTN (112², D = ${D}), ` +
    `${model.countParams()} parameters, B = ${batch}, SGD`,
);
for (let step = 0; step < steps; step++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  tf.tidy(() => {
    optimizer
      .minimize(() => {
        const [u, l] = model.apply(x) as tf.Tensor[];
        return tf.add(
          tf.losses.meanSquaredError(uvTarget, u),
          tf.mul(1e-3, tf.losses.meanSquaredError(lmTarget, l)),
        ) as tf.Scalar;
      }, true)!
      .dataSync();
  });
  const c = process.cpuUsage(c0);
  console.log(
    `step ${step}: wall ${((performance.now() - t0) / 1000).toFixed(1)} s, CPU ${((c.user + c.system) / 1e6).toFixed(1)} s, wasm heap ${heapMiB()}, ${info()}`,
  );
}

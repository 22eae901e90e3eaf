/**
 * Per-kernel profile of the layer's forward+backward (Σ over all outputs w.r.t. θ and image):
 *   npx tsx --tsconfig tsconfig.json bench/profile.ts [--backend wasm|cpu] [--batch 8] [--modes 10]
 * Prints CPU/wall ms per call and the kernels sorted by total kernel time (tf.profile).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import { defaultModel, resampleToGrid } from '@3dmm-stn/morphable-model';
import { morphableModelSTN } from '../src/index';
import { timeIt } from './ops';

const args = process.argv.slice(2);
const flag = (name: string, d: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const backend = flag('--backend', 'wasm') as 'wasm' | 'cpu';
const B = Number(flag('--batch', '8'));
const D = Number(flag('--modes', '10'));
await selectBackend({ backend });
const model = defaultModel();
if (!model.texCoords) throw new Error('default model without texCoords');
const half = Math.floor(D / 2);
const grid = resampleToGrid(model, model.texCoords, 112, {
  shapeModes: D - half,
  expressionModes: half,
});
const image = tf.randomUniform([B, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const theta = tf.tidy(() =>
  tf.concat(
    [
      tf.randomUniform([B, 3], -0.5, 0.5, 'float32', 2),
      tf.add(tf.randomUniform([B, 2], -5, 5, 'float32', 3), 112),
      tf.fill([B, 1], Math.log(0.9)),
      tf.randomNormal([B, grid.numModes], 0, 1, 'float32', 4),
    ],
    1,
  ),
) as tf.Tensor2D;
const layer = morphableModelSTN({ gridModel: grid });
const grads = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
  tf.addN((layer.apply([a, t]) as tf.Tensor[]).map((o) => tf.sum(o))),
);
const fwd = timeIt(
  () =>
    tf.tidy(() => {
      for (const o of layer.apply([image, theta]) as tf.Tensor[]) o.dataSync();
    }),
  Number(flag('--runs', '9')),
);
const fb = timeIt(
  () =>
    tf.tidy(() => {
      for (const g of grads([image, theta])) g.dataSync();
    }),
  Number(flag('--runs', '9')),
);
console.log(
  `${backend} B=${B} D=${grid.numModes} load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(`forward: wall ${fwd.medianMs.toFixed(1)} ms, CPU ${fwd.medianCpuMs.toFixed(1)} ms`);
console.log(`fwd+bwd: wall ${fb.medianMs.toFixed(1)} ms, CPU ${fb.medianCpuMs.toFixed(1)} ms`);
const p = await tf.profile(() => {
  const g = grads([image, theta]);
  for (const x of g) x.dataSync();
  return g;
});
const byName = new Map<string, { ms: number; n: number; shapes: string }>();
for (const k of p.kernels) {
  const e = byName.get(k.name) ?? { ms: 0, n: 0, shapes: '' };
  e.ms += Number(k.kernelTimeMs);
  e.n += 1;
  if (!e.shapes) e.shapes = JSON.stringify(k.inputShapes);
  byName.set(k.name, e);
}
for (const [name, e] of [...byName].sort((x, y) => y[1].ms - x[1].ms)) {
  console.log(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(7)} ms  ×${e.n}  ${e.shapes}`);
}
console.log(`  kernels: ${p.kernels.length}, newTensors ${p.newTensors}`);
tf.dispose(p.result as tf.Tensor[]);

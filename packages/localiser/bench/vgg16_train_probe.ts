/**
 * Can vgg16 at 224 train on wasm at a small batch? One training step (forward + backward +
 * Adam) at B = 2, no warm-up; prints the time or the error. (At B = 8 the step fails with
 * "memory access out of bounds": see README.)
 *
 *   npx tsx --tsconfig tsconfig.json bench/vgg16_train_probe.ts [batch]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend';
import { createLocaliser, preprocess } from '../src/index';

const batch = Number(process.argv[2] ?? 2);
await selectBackend({ backend: 'wasm' });
const model = createLocaliser({ backbone: 'vgg16', inputSize: 224, seed: 1 });
const x = tf.tidy(() => preprocess(tf.randomUniform([batch, 224, 224, 3], 0, 255, 'float32', 2)));
const target = tf.randomNormal([batch, 16], 0, 1, 'float32', 3);
const opt = tf.train.adam(1e-4);
const t0 = performance.now();
try {
  const cost = opt.minimize(
    () =>
      tf.mean(
        tf.square(tf.sub(model.apply(x, { training: true }) as tf.Tensor, target)),
      ) as tf.Scalar,
    true,
  );
  cost?.dataSync();
  const ms = performance.now() - t0;
  console.log(
    `vgg16@224 wasm train B=${batch}: 1 run ${ms.toFixed(0)} ms, ${((batch * 1000) / ms).toFixed(3)} img/s, wasm memory ${(tf.memory() as { numBytes: number }).numBytes / 2 ** 30} GiB in tensors`,
  );
} catch (e) {
  console.log(
    `vgg16@224 wasm train B=${batch}: failed after ${(performance.now() - t0).toFixed(0)} ms: ${(e as Error).message}`,
  );
}

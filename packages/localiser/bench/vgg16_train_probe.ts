/**
 * Can vgg16 at 224 train on wasm? One step, no warm-up; prints the time or the error.
 * Default: forward + backward + Adam at B = 2. `grads`: forward + backward only;
 * `sgd`: plain SGD instead of Adam. Results in README (Adam fails at B = 8, 2, 1 with
 * "memory access out of bounds"; forward + backward and SGD run).
 *
 *   npx tsx --tsconfig tsconfig.json bench/vgg16_train_probe.ts [batch] [grads|sgd]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import { createLocaliser, preprocess } from '../src/index';

const batch = Number(process.argv[2] ?? 2);
// 'grads': forward + backward only (tf.variableGrads), no optimizer state
const gradsOnly = process.argv[3] === 'grads';
await selectBackend({ backend: 'wasm' });
const model = createLocaliser({ backbone: 'vgg16', inputSize: 224, seed: 1 });
const x = tf.tidy(() => preprocess(tf.randomUniform([batch, 224, 224, 3], 0, 255, 'float32', 2)));
const target = tf.randomNormal([batch, 16], 0, 1, 'float32', 3);
// 'sgd': plain SGD (no optimizer state) instead of Adam (two moment tensors per weight)
const opt = process.argv[3] === 'sgd' ? tf.train.sgd(1e-4) : tf.train.adam(1e-4);
const what = gradsOnly
  ? 'forward+backward'
  : process.argv[3] === 'sgd'
    ? 'train (SGD)'
    : 'train (Adam)';
const loss = () =>
  tf.mean(tf.square(tf.sub(model.apply(x, { training: true }) as tf.Tensor, target))) as tf.Scalar;
const t0 = performance.now();
try {
  if (gradsOnly) {
    const { value, grads } = tf.variableGrads(loss);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  } else {
    const cost = opt.minimize(loss, true);
    cost?.dataSync();
  }
  const ms = performance.now() - t0;
  console.log(
    `vgg16@224 wasm ${what} B=${batch}: 1 run ${ms.toFixed(0)} ms, ${((batch * 1000) / ms).toFixed(3)} img/s`,
  );
} catch (e) {
  console.log(
    `vgg16@224 wasm ${what} B=${batch}: failed after ${(performance.now() - t0).toFixed(0)} ms: ${(e as Error).message}`,
  );
}

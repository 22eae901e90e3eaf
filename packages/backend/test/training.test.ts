import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@3dmm-stn/backend/node';
import { randomValues, relativeError } from './helpers';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

// A small VGG-style net in plain ops, so both backends use bit-identical weights:
// conv3×3 (same) → relu → maxPool 2 → conv3×3 stride 2 (valid) → relu → flatten →
// gather of feature-map entries (what a bilinear sampler does) → dense → MSE.
const X_SHAPE: [number, number, number, number] = [3, 11, 11, 2];
const PARAMS: Record<string, number[]> = {
  w1: [3, 3, 2, 4],
  b1: [4],
  w2: [3, 3, 4, 5],
  b2: [5],
  w3: [12, 3],
  b3: [3],
};
// Feature map after the two convs: [3, 2, 2, 5] → 20 per example; gather 12 of them, with repeats.
const GATHER = [0, 3, 3, 7, 19, 11, 5, 5, 5, 14, 2, 18];

function makeParams(): Record<string, tf.Tensor> {
  return Object.fromEntries(
    Object.entries(PARAMS).map(([k, shape], i) => [
      k,
      tf
        .tensor(
          randomValues(
            shape.reduce((a, b) => a * b, 1),
            100 + i,
          ),
          shape,
        )
        .mul(0.5),
    ]),
  );
}

function loss(p: Record<string, tf.Tensor>, x: tf.Tensor4D, target: tf.Tensor2D): tf.Scalar {
  let h = tf.relu(tf.conv2d(x, p.w1 as tf.Tensor4D, 1, 'same').add(p.b1)) as tf.Tensor4D;
  h = tf.maxPool(h, 2, 2, 'valid');
  // The fused kernel (conv + bias + relu), as tfjs-layers uses it, has its own gradient path.
  h = tf.fused.conv2d({
    x: h,
    filter: p.w2 as tf.Tensor4D,
    strides: 2,
    pad: 'valid',
    bias: p.b2,
    activation: 'relu',
  });
  const flat = h.reshape([h.shape[0], -1]);
  const picked = tf.gather(flat, tf.tensor1d(GATHER, 'int32'), 1);
  const y = picked.matMul(p.w3).add(p.b3);
  return tf.losses.meanSquaredError(target, y) as tf.Scalar;
}

async function gradientsOn(backend: string): Promise<Record<string, Float32Array>> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const p = makeParams();
    const names = Object.keys(p);
    const x = tf.tensor(
      randomValues(
        X_SHAPE.reduce((a, b) => a * b, 1),
        7,
      ),
      X_SHAPE,
    ) as tf.Tensor4D;
    const target = tf.tensor(randomValues(9, 8), [3, 3]) as tf.Tensor2D;
    const grads = tf.grads((...ts: tf.Tensor[]) =>
      loss(Object.fromEntries(names.map((k, i) => [k, ts[i]])), x, target),
    )(names.map((k) => p[k]));
    const xGrad = tf.grad((xx: tf.Tensor) => loss(p, xx as tf.Tensor4D, target))(x);
    return Object.fromEntries([
      ...names.map((k, i) => [k, Float32Array.from(grads[i].dataSync())]),
      ['x', Float32Array.from(xGrad.dataSync())],
    ]);
  });
}

describe('training on wasm', () => {
  it('gradients of a conv-relu-maxpool-conv-gather-dense net equal the cpu backend to 1e-4', async () => {
    const cpu = await gradientsOn('cpu');
    const wasm = await gradientsOn('wasm');
    for (const k of Object.keys(cpu)) {
      expect(
        cpu[k].some((v) => v !== 0),
        `${k} gradient is not all zero`,
      ).toBe(true);
      expect(relativeError(wasm[k], cpu[k]), `gradient of ${k}`).toBeLessThan(1e-4);
    }
  });

  it('a layers model (conv, maxPool, batchNorm, avgPool, dropout, dense) trains with Adam on wasm: loss decreases, no tensor growth', async () => {
    await tf.setBackend('wasm');
    const input = tf.input({ shape: [12, 12, 3] });
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    let h = tf.layers
      .conv2d({
        filters: 8,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(1),
      })
      .apply(input) as tf.SymbolicTensor;
    h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers
      .conv2d({
        filters: 8,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(2),
      })
      .apply(h) as tf.SymbolicTensor; // [4, 3, 3, 8]
    h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
    h = tf.layers.averagePooling2d({ poolSize: 2, strides: 1 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    h = tf.layers.dropout({ rate: 0.2, seed: 3 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers
      .dense({ units: 16, activation: 'tanh', kernelInitializer: init(4) })
      .apply(h) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 4, activation: 'sigmoid', kernelInitializer: init(5) })
      .apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const optimizer = tf.train.adam(3e-3);
    const x = tf.tensor(randomValues(4 * 12 * 12 * 3, 21), [4, 12, 12, 3]);
    const y = tf.tensor(randomValues(16, 22), [4, 4]).mul(0.4).add(0.5); // in (0.1, 0.9)
    const idx = tf.tensor1d([3, 0, 2, 2], 'int32');

    const step = () =>
      tf.tidy(() => {
        const cost = optimizer.minimize(() => {
          const pred = model.apply(x, { training: true }) as tf.Tensor2D;
          // A gather in the loss too, so UnsortedSegmentSum is on the path; and the ops the
          // project's losses use (mean squared, Huber, Euclidean norm with its sqrt).
          const t = tf.gather(y, idx);
          const p = tf.gather(pred, idx);
          return tf.losses
            .meanSquaredError(t, p)
            .add(tf.losses.huberLoss(t, p))
            .add(tf.norm(t.sub(p), 'euclidean', 1).mean()) as tf.Scalar;
        }, true);
        return cost!.dataSync()[0];
      });

    const losses = [step()]; // the first step creates Adam's moment variables
    const before = tf.memory().numTensors;
    // Buffers that kernels allocate outside the engine (our intermediates) show up here only.
    const wasmBuffers = (tf.backend() as BackendWasm).numDataIds();
    for (let i = 0; i < 30; i++) losses.push(step());
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as BackendWasm).numDataIds()).toBe(wasmBuffers);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
    tf.dispose([x, y, idx]);
    model.dispose();
    optimizer.dispose();
  });
});

/**
 * The layer caches host copies of its weights (mean, triangles, validity) and the transposed
 * basis (for the α gradient) per weight value. These tests change the weights after the caches
 * are filled and check the outputs and θ/image gradients equal a layer built on the new model,
 * and that disposing the layer frees the cached tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { morphableModelSTN } from '../src/index';
import { BACKENDS, useBackend } from './layer.backends';
import { capGridModel, rng } from './layer.helpers';

const RES = 10;
const [B, H, W, C] = [2, 40, 44, 3];
const opts = { numShapeModes: 2, numExpressionModes: 1, numLandmarks: 5 };
// Same sizes and topology, different values (mean shape and basis).
const g1 = capGridModel(RES, { ...opts, seed: 1 });
const g2base = capGridModel(RES, { ...opts, seed: 2, radius: 70 });
// The cap mirrored in x: its triangles turn clockwise, i.e. face away, so the mask changes too.
const g2 = {
  ...g2base,
  mean: g2base.mean.map((v, i) => (i % 3 === 0 ? -v : v)),
};

function inputs() {
  const rand = rng(3);
  const image = tf.tensor4d(
    Float32Array.from({ length: B * H * W * C }, () => rand()),
    [B, H, W, C],
  );
  const theta = tf.tensor2d(
    [0, 1].map((b) => [0.1 * b, -0.2, 0.05, 22, 20, Math.log(0.12), 0.3, -0.5 * b, 0.2]),
  );
  return { image, theta };
}

function evaluate(layer: ReturnType<typeof morphableModelSTN>, image: tf.Tensor, theta: tf.Tensor) {
  return tf.tidy(() => {
    const outs = (layer.apply([image, theta]) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
    const grads = tf
      .grads((a: tf.Tensor, t: tf.Tensor) =>
        tf.addN((layer.apply([a, t]) as tf.Tensor[]).map((o, i) => tf.mul(tf.sum(o), i + 1))),
      )([image, theta])
      .map((t) => Array.from(t.dataSync()));
    return { outs, grads };
  });
}

afterAll(async () => {
  await useBackend('cpu');
});

describe.each(BACKENDS)('MorphableModelSTN weight caches (%s)', (backend) => {
  it('follows setWeights: outputs and gradients equal a layer built on the new model', async () => {
    await useBackend(backend);
    expect(Array.from(g1.basis)).not.toEqual(Array.from(g2.basis));
    expect(Array.from(g1.mean)).not.toEqual(Array.from(g2.mean));
    const { image, theta } = inputs();
    const a = morphableModelSTN({ gridModel: g1 });
    const b = morphableModelSTN({ gridModel: g2 });
    const before = evaluate(a, image, theta); // fills a's caches with g1's values
    const fresh = evaluate(b, image, theta);
    expect(before.outs[0]).not.toEqual(fresh.outs[0]);
    a.setWeights(b.getWeights());
    const after = evaluate(a, image, theta);
    expect(after.outs).toEqual(fresh.outs);
    expect(after.grads).toEqual(fresh.grads);
    a.dispose();
    b.dispose();
    tf.dispose([image, theta]);
  });

  it('frees its cached tensors on dispose', async () => {
    await useBackend(backend);
    const { image, theta } = inputs();
    const start = tf.memory().numTensors;
    const layer = morphableModelSTN({ gridModel: g1 });
    evaluate(layer, image, theta);
    layer.dispose();
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([image, theta]);
  });
});

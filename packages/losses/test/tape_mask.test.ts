import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { stnLoss } from '../src/index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// A network's mask and landmark confidences are outputs of ops on the gradient tape (the
// STN's visibility is computed from θ). The losses must differentiate through them without
// the caller detaching them first, and the gradient w.r.t. the UV image must be the same as
// with a constant mask.
test('stnLoss differentiates when the mask and confidences are on the tape', () => {
  const [B, L, R] = [2, 3, 4];
  const uvInit = tf.randomUniform([B, R, R, 3], 0, 1, 'float32', 7);
  const maskValues = tf.tensor4d(
    Array.from({ length: B * R * R }, (_, k) => (k % 3 === 0 ? 0 : 1)),
    [B, R, R, 1],
  );
  const uv = tf.variable(uvInit);
  const gate = tf.variable(tf.ones([1])); // mask = maskValues · gate, so the mask is on the tape
  const loss = stnLoss({ landmark: 1, symmetry: 1, multiview: 0, prior: 1 });
  const run = (onTape: boolean) =>
    tf.variableGrads(
      () => {
        const mask = onTape ? tf.mul(maskValues, gate) : maskValues;
        const confidence = onTape ? tf.mul(tf.ones([B, L]), gate) : tf.ones([B, L]);
        const terms = loss({
          landmarks: { pred: tf.zeros([B, L, 2]), target: tf.ones([B, L, 2]), confidence },
          uv,
          mask,
          alpha: tf.zeros([B, 2]),
        });
        return terms.total as tf.Scalar;
      },
      onTape ? [uv, gate] : [uv],
    );
  const withTape = run(true);
  const constant = run(false);
  expect(withTape.value.dataSync()[0]).toBeCloseTo(constant.value.dataSync()[0], 6);
  const a = withTape.grads[uv.name].dataSync();
  const b = constant.grads[uv.name].dataSync();
  expect(Array.from(a)).toEqual(Array.from(b));
  expect(Math.max(...Array.from(a).map(Math.abs))).toBeGreaterThan(0);
  tf.dispose([uv, gate, uvInit, maskValues, withTape.value, constant.value]);
  tf.dispose(Object.values(withTape.grads));
  tf.dispose(Object.values(constant.grads));
});

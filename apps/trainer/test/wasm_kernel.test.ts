import { selectBackend } from '@3dmm-stn/backend';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { registerFastConv2DBackpropInput } from '../src/wasm_conv_backprop_input';

/** dL/dx of L = Σ conv2d(x, w) · g for a fixed random g: exercises Conv2DBackpropInput. */
function inputGrad(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  pad: 'same' | 'valid',
  g: tf.Tensor,
): Float32Array {
  return tf.tidy(
    () =>
      tf
        .grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, w, 1, pad), g)))(x)
        .dataSync() as Float32Array,
  );
}

describe('fast wasm Conv2DBackpropInput', () => {
  it('matches the cpu backend for odd, even and 1×1 kernels, same and valid padding', async () => {
    const cases: [number[], number[], 'same' | 'valid'][] = [
      [[2, 9, 7, 3], [3, 3, 3, 5], 'same'],
      [[1, 8, 8, 4], [2, 2, 4, 3], 'same'], // even kernel: asymmetric padding
      [[2, 10, 9, 2], [5, 3, 2, 4], 'valid'],
      [[3, 6, 6, 8], [1, 1, 8, 8], 'same'],
    ];
    await selectBackend({ backend: 'cpu' });
    const want = cases.map(([xs, ws, pad], k) => {
      const x = tf.randomNormal(
        xs as [number, number, number, number],
        0,
        1,
        'float32',
        10 + k,
      ) as tf.Tensor4D;
      const w = tf.randomNormal(
        ws as [number, number, number, number],
        0,
        1,
        'float32',
        20 + k,
      ) as tf.Tensor4D;
      const y = tf.conv2d(x, w, 1, pad);
      const g = tf.randomNormal(y.shape, 0, 1, 'float32', 30 + k);
      return {
        x: x.arraySync(),
        w: w.arraySync(),
        g: g.arraySync(),
        grad: inputGrad(x, w, pad, g),
        pad,
      };
    });
    await selectBackend({ backend: 'wasm' });
    expect(registerFastConv2DBackpropInput()).toBe(true);
    expect(registerFastConv2DBackpropInput()).toBe(false); // idempotent
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc.name).toBe(
      'fastConv2DBackpropInput',
    );
    for (const c of want) {
      const got = inputGrad(tf.tensor4d(c.x), tf.tensor4d(c.w), c.pad, tf.tensor(c.g));
      let maxErr = 0;
      let maxRef = 0;
      for (let i = 0; i < got.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(got[i] - c.grad[i]));
        maxRef = Math.max(maxRef, Math.abs(c.grad[i]));
      }
      expect(got.length).toBe(c.grad.length);
      expect(maxErr / maxRef).toBeLessThan(1e-5);
    }
  });
});

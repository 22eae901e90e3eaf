import { expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
test('tfjs gradients registered', () => {
  const g = tf.grad((x: tf.Tensor) => x.square().sum())(tf.tensor([1, 2]));
  expect(Array.from(g.dataSync())).toEqual([2, 4]);
});

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BACKBONES } from './backbones';
import { type LocaliserConfig, resolveLocaliserConfig } from './config';
import { POSE_DIMS, THETA_KERNEL_SCALE } from './constants';

/**
 * Standard deviation of the θ kernel: 1e-3 × MatConvNet's `xavier` (the function the
 * original calls as `xavier(1,1,4096,16)`: normal with std √(2 / fan_in)).
 */
export function thetaKernelStddev(fanIn: number): number {
  return THETA_KERNEL_SCALE * Math.sqrt(2 / fanIn);
}
import { initialTheta } from './theta_init';

/**
 * Builds the localiser: images `[B, S, S, 3]` (after {@link preprocess}) → θ `[B, 6 + D]`.
 *
 * Layers (names as in Keras VGGFace `VGG16`, so VGG-Face weights import by name):
 * `conv{b}_{k}` (3×3, 'same', ReLU) … `pool{b}` (2×2 max, stride 2) for each block,
 * `flatten`, `fc6`, `drop6`, `fc7`, `drop7` (Dense + ReLU, dropout), and the θ head
 * `theta` (Dense 6 + D, linear). Keras VGGFace has separate `fc6/relu` activation layers
 * without weights; here the ReLU is fused into `fc6`/`fc7`.
 *
 * Initialisation (the original `dagnn_3dmmasstn_init.m`): backbone with Glorot-uniform
 * kernels and zero biases (replace with {@link loadVggFaceWeightsH5}); the θ kernel is
 * 1e-3 × MatConvNet `xavier`, i.e. normal with std 1e-3 · √(2 / fan_in), and its bias is
 * {@link initialTheta}, so an untrained model outputs ≈ that θ for any input.
 *
 * Dropout is active only when the model is called with `training: true`
 * (`model.apply(x, { training: true })`); `predict` and plain `apply` are deterministic.
 */
export function createLocaliser(config: LocaliserConfig = {}): tfl.LayersModel {
  const c = resolveLocaliserConfig(config);
  const spec = BACKBONES[c.backbone];
  let layerIndex = 0;
  const seed = () => (c.seed === undefined ? undefined : c.seed + 1000 * layerIndex++);
  const model = tfl.sequential({ name: `localiser_${c.backbone.replace('-', '_')}` });
  spec.blocks.forEach((block, b) => {
    block.forEach((filters, k) => {
      model.add(
        tfl.layers.conv2d({
          name: `conv${b + 1}_${k + 1}`,
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: seed() }),
          ...(b === 0 && k === 0 ? { inputShape: [c.inputSize, c.inputSize, 3] } : {}),
        }),
      );
    });
    model.add(tfl.layers.maxPooling2d({ name: `pool${b + 1}`, poolSize: 2, strides: 2 }));
  });
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  spec.fc.forEach((units, k) => {
    const n = 6 + k;
    model.add(
      tfl.layers.dense({
        name: `fc${n}`,
        units,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed() }),
      }),
    );
    model.add(tfl.layers.dropout({ name: `drop${n}`, rate: c.dropout }));
  });
  const thetaSize = POSE_DIMS + c.shapeDims;
  const fanIn = spec.fc[spec.fc.length - 1];
  model.add(
    tfl.layers.dense({
      name: 'theta',
      units: thetaSize,
      kernelInitializer: tfl.initializers.randomNormal({
        mean: 0,
        stddev: thetaKernelStddev(fanIn),
        seed: seed(),
      }),
    }),
  );
  const headBias = model.getLayer('theta').weights[1];
  const bias = tf.tensor1d(initialTheta(c));
  headBias.write(bias); // the variable keeps its own reference to the data
  bias.dispose();
  return model;
}

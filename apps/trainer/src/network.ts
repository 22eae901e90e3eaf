import { VGG_FACE_MEAN_RGB, createLocaliser, type BackboneName } from '@3dmm-stn/localiser';
import type { GridModel } from '@3dmm-stn/morphable-model';
import { morphableModelSTN } from '@3dmm-stn/stn-layer';
import * as tf from '@tensorflow/tfjs';

/**
 * The trained network as one tfjs LayersModel, so that the exported model.json + weights carry
 * everything (the CLI and a browser load it with `tf.loadLayersModel` after importing
 * `@3dmm-stn/stn-layer`, which registers the STN layer class):
 *
 *   image [B,S,S,3] RGB 0..255
 *     ├─ preprocess (frozen 1×1 conv: (RGB→BGR minus the VGG-Face means) × inputScale;
 *     │    with inputScale 1 exactly the localiser's `preprocess`)
 *     │    └─ localiser (VGG-style backbone + θ head) → θ [B, 6+D]
 *     └─ MorphableModelSTN([image, θ]) → maskedUv [B,R,R,3], mask [B,R,R,1], landmarks [B,L,2]
 *
 * Outputs, in order: θ, maskedUv, mask, landmarks.
 *
 * The preprocessing is a standard Conv2D with fixed weights (not a custom layer) so that any
 * tfjs runtime can load it.
 */
export interface Network {
  model: tf.LayersModel;
  localiser: tf.LayersModel;
  /** θ head variables (trained with the larger learning rate). */
  headVariables: tf.Variable[];
  /** All other trainable variables. */
  backboneVariables: tf.Variable[];
}

export interface NetworkOptions {
  backbone: string;
  inputSize: number;
  grid: GridModel;
  meanFaceWidth: number;
  fill: number;
  dropout: number;
  seed: number;
  /** Multiplies the preprocessed image (1 = VGG-Face's scale, for imported weights). */
  inputScale: number;
}

export function buildNetwork(o: NetworkOptions): Network {
  const S = o.inputSize;
  const localiser = createLocaliser({
    backbone: o.backbone as BackboneName,
    inputSize: S,
    shapeDims: o.grid.numModes,
    dropout: o.dropout,
    meanFaceWidth: o.meanFaceWidth,
    fill: o.fill,
    seed: o.seed,
  });
  const input = tf.input({ shape: [S, S, 3], name: 'image' });
  const [mr, mg, mb] = VGG_FACE_MEAN_RGB;
  const k = o.inputScale;
  const pre = tf.layers.conv2d({
    name: 'preprocess',
    filters: 3,
    kernelSize: 1,
    trainable: false,
    // kernel [1,1,in,out]: out BGR = reversed in RGB
    weights: [
      tf.tensor4d(
        [0, 0, 1, 0, 1, 0, 1, 0, 0].map((v) => v * k),
        [1, 1, 3, 3],
      ),
      tf.tensor1d([-mb * k, -mg * k, -mr * k]),
    ],
  });
  const theta = localiser.apply(pre.apply(input)) as tf.SymbolicTensor;
  const stn = morphableModelSTN({
    gridModel: o.grid,
    outputs: ['maskedUv', 'mask', 'landmarks'],
    name: 'stn',
  });
  const outs = stn.apply([input, theta]) as tf.SymbolicTensor[];
  const model = tf.model({ inputs: input, outputs: [theta, ...outs], name: 'mm_stn' });
  const head = localiser.getLayer('theta');
  const headVars = new Set(head.trainableWeights.map((w) => w.read()));
  const all = localiser.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    model,
    localiser,
    headVariables: all.filter((v) => headVars.has(v)),
    backboneVariables: all.filter((v) => !headVars.has(v)),
  };
}

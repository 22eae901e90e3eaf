/**
 * The second panel: `MorphableModelSTN` plugged into a tfjs model — the "Using it in your model"
 * code of the root and stn-layer READMEs, run live in the page: a small conv net regresses θ,
 * the layer turns the image and θ into the UV texture, the visibility mask and the landmarks,
 * and a loss of those outputs is differentiated with respect to the input image (through the
 * bilinear sampler) and to every weight of the net (through θ).
 *
 * The θ head starts as the paper's: a tiny kernel and the bias at `initialTheta` (the mean face
 * frontal at the crop's centre), so the first forward pass already samples the face.
 */
import { landmarkLoss, symmetryLoss } from '@3dmm-stn/losses';
import { initialTheta, THETA_KERNEL_SCALE } from '@3dmm-stn/localiser';
import type { GridModel } from '@3dmm-stn/morphable-model';
import { morphableModelSTN } from '@3dmm-stn/stn-layer';
import * as tf from '@tensorflow/tfjs';

/** The code the panel shows (and runs, below). */
export const EXAMPLE_CODE = `import * as tf from '@tensorflow/tfjs';
import { morphableModelSTN } from '@3dmm-stn/stn-layer';
import { landmarkLoss, symmetryLoss } from '@3dmm-stn/losses';

const image = tf.input({ shape: [224, 224, 3] });
const features = tf.layers.flatten().apply(
  tf.layers.maxPooling2d({ poolSize: 8 }).apply(
    tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }).apply(image)));
const theta = tf.layers.dense({ units: 6 + gridModel.numModes }).apply(features);
const [maskedUv, mask, landmarks] = morphableModelSTN({ gridModel }).apply([image, theta]);
const model = tf.model({ inputs: image, outputs: [maskedUv, mask, landmarks] });

const loss = (x) => {
  const [uv, mask, lm] = model.apply(x);
  return tf.add(tf.mul(0.8998, landmarkLoss(lm, target, confidence)),
                tf.mul(1e-4, symmetryLoss(uv, mask)));
};
const dImage = tf.grad(loss)(x);                             // through the sampler
const { value, grads } = tf.variableGrads(() => loss(x));    // through θ, every weight`;

export interface ExampleInput {
  /** `[224·224·3]` RGB 0…255. */
  image: Float32Array;
  /** `[L, 2]` target landmarks on the model's landmark rows, crop pixels (NaN = none). */
  landmarks?: Float32Array;
  /** Where the input came from, for the panel. */
  source: string;
}

export interface ExampleResult {
  source: string;
  outputs: { name: string; shape: number[] }[];
  loss: number;
  /** `[224, 224]` |∂loss/∂image| summed over channels. */
  imageGradient: Float32Array;
  /** Fraction of input pixels with a non-zero image gradient (the sampled footprint). */
  imageGradientSupport: number;
  weights: { name: string; shape: number[]; gradNorm: number }[];
  /** `[112, 112, 3]` masked UV output and `[112, 112]` mask of the first pass. */
  uv: Float32Array;
  mask: Float32Array;
  seconds: { build: number; forwardBackward: number };
}

export const EXAMPLE_SIZE = 224;

/** A stand-in input when no photo has been fitted: smooth colour gradients. */
export function syntheticInput(): ExampleInput {
  const S = EXAMPLE_SIZE;
  const image = new Float32Array(S * S * 3);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const o = 3 * (y * S + x);
      image[o] = (255 * x) / (S - 1);
      image[o + 1] = (255 * y) / (S - 1);
      image[o + 2] = 128 + 100 * Math.sin((x + y) / 12);
    }
  return { image, source: 'a synthetic gradient image (fit a photo to use its face)' };
}

export function runStnExample(grid: GridModel, input: ExampleInput): ExampleResult {
  const S = EXAMPLE_SIZE;
  const D = grid.numModes;
  const t0 = performance.now();
  const image = tf.input({ shape: [S, S, 3] });
  const features = tf.layers
    .flatten()
    .apply(
      tf.layers
        .maxPooling2d({ poolSize: 8 })
        .apply(tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }).apply(image)),
    ) as tf.SymbolicTensor;
  const bias = initialTheta({ inputSize: S, shapeDims: D });
  const thetaLayer = tf.layers.dense({
    units: 6 + D,
    // Tiny, as the paper's head (θ ≈ the bias at first); the inputs are 0…255 here.
    kernelInitializer: tf.initializers.randomNormal({ stddev: THETA_KERNEL_SCALE / 1000 }),
    biasInitializer: tf.initializers.zeros(),
  });
  const theta = thetaLayer.apply(features) as tf.SymbolicTensor;
  const [maskedUv, mask, landmarks] = morphableModelSTN({ gridModel: grid }).apply([
    image,
    theta,
  ]) as tf.SymbolicTensor[];
  const model = tf.model({ inputs: image, outputs: [maskedUv, mask, landmarks] });
  const L = grid.landmarkIds.length;
  const x = tf.tensor4d(input.image, [1, S, S, 3]);
  const target = tf.tensor3d(input.landmarks ?? new Float32Array(2 * L).fill(0), [1, L, 2]);
  const conf = tf.tidy(() =>
    input.landmarks
      ? tf.cast(tf.logicalNot(tf.isNaN(tf.sum(target, -1))), 'float32')
      : tf.zeros([1, L]),
  );
  try {
    // The paper's head: bias = the mean face frontal at the centre (`write` assigns: the
    // variable shares the data, so the temporary can go).
    const b = tf.tensor1d(bias);
    thetaLayer.weights[1].write(b);
    b.dispose();
    const loss = (inp: tf.Tensor): tf.Scalar => {
      const [u, m, lm] = model.apply(inp) as tf.Tensor[];
      return tf.add(
        tf.mul(0.8998, landmarkLoss(lm, target, conf)),
        tf.mul(1e-4, symmetryLoss(u, m)),
      ) as tf.Scalar;
    };
    const build = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const [uvOut, maskOut] = tf.tidy(() => {
      const outs = model.apply(x) as tf.Tensor[];
      return [outs[0].clone(), outs[1].clone()];
    });
    const uvData = uvOut.dataSync() as Float32Array;
    const maskData = maskOut.dataSync() as Float32Array;
    tf.dispose([uvOut, maskOut]);
    const dImage = tf.tidy(() => tf.sum(tf.abs(tf.grad(loss)(x)), -1).squeeze());
    const imageGradient = dImage.dataSync() as Float32Array;
    dImage.dispose();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => loss(x), vars);
    const lossValue = value.dataSync()[0];
    const weights = model.trainableWeights.map((w, i) => {
      const g = grads[vars[i].name];
      const norm = g ? tf.tidy(() => tf.norm(g).dataSync()[0]) : Number.NaN;
      return { name: w.originalName, shape: w.shape.map(Number), gradNorm: norm };
    });
    tf.dispose([value, ...Object.values(grads)]);
    const forwardBackward = (performance.now() - t1) / 1000;
    let support = 0;
    for (const v of imageGradient) if (v > 0) support++;
    return {
      source: input.source,
      outputs: model.outputs.map((o, i) => ({
        name: ['maskedUv', 'mask', 'landmarks'][i],
        shape: o.shape.map((d) => (d === null ? 1 : d)),
      })),
      loss: lossValue,
      imageGradient,
      imageGradientSupport: support / imageGradient.length,
      weights,
      uv: uvData,
      mask: maskData,
      seconds: { build, forwardBackward },
    };
  } finally {
    tf.dispose([x, target, conf]);
    model.dispose();
  }
}

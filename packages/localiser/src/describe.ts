import { BACKBONES, type BackboneName } from './backbones';
import { type LocaliserConfig, resolveLocaliserConfig } from './config';
import { POSE_DIMS } from './constants';

/** One layer of a localiser, with its cost for one image. */
export interface LayerDescription {
  /** Layer name in the tfjs model (Keras VGGFace names for convolutions and fc layers). */
  name: string;
  kind: 'conv' | 'pool' | 'flatten' | 'dense' | 'dropout';
  /** Output shape for one image: [H, W, C] or [units]. */
  outputShape: number[];
  /** Trainable parameters (weights + biases). */
  params: number;
  /** Forward FLOPs for one image: 2 × multiply-accumulates (bias, ReLU and pooling not counted). */
  flops: number;
}

/** Sizes and costs of a localiser, computed from its config without building it. */
export interface LocaliserDescription {
  backbone: BackboneName;
  inputSize: number;
  shapeDims: number;
  /** 6 + D. */
  thetaSize: number;
  /** Output of the last pool, [H, W, C] (what fc6 sees after flattening). */
  featureShape: [number, number, number];
  /** Total parameters; equals the built model's `countParams()`. */
  params: number;
  /** Forward FLOPs per image (2 × MACs of convolutions and dense layers). */
  flops: number;
  layers: LayerDescription[];
}

/** Parameter and FLOP counts, layer by layer, of the localiser `createLocaliser(config)` builds. */
export function describeLocaliser(config: LocaliserConfig = {}): LocaliserDescription {
  const c = resolveLocaliserConfig(config);
  const spec = BACKBONES[c.backbone];
  const layers: LayerDescription[] = [];
  let [h, w, ch] = [c.inputSize, c.inputSize, 3];
  spec.blocks.forEach((block, b) => {
    block.forEach((out, k) => {
      const macs = h * w * 9 * ch * out;
      layers.push({
        name: `conv${b + 1}_${k + 1}`,
        kind: 'conv',
        outputShape: [h, w, out],
        params: 9 * ch * out + out,
        flops: 2 * macs,
      });
      ch = out;
    });
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
    layers.push({
      name: `pool${b + 1}`,
      kind: 'pool',
      outputShape: [h, w, ch],
      params: 0,
      flops: 0,
    });
  });
  const featureShape: [number, number, number] = [h, w, ch];
  let units = h * w * ch;
  layers.push({ name: 'flatten', kind: 'flatten', outputShape: [units], params: 0, flops: 0 });
  spec.fc.forEach((out, k) => {
    const n = 6 + k;
    layers.push({
      name: `fc${n}`,
      kind: 'dense',
      outputShape: [out],
      params: units * out + out,
      flops: 2 * units * out,
    });
    layers.push({ name: `drop${n}`, kind: 'dropout', outputShape: [out], params: 0, flops: 0 });
    units = out;
  });
  const thetaSize = POSE_DIMS + c.shapeDims;
  layers.push({
    name: 'theta',
    kind: 'dense',
    outputShape: [thetaSize],
    params: units * thetaSize + thetaSize,
    flops: 2 * units * thetaSize,
  });
  return {
    backbone: c.backbone,
    inputSize: c.inputSize,
    shapeDims: c.shapeDims,
    thetaSize,
    featureShape,
    params: layers.reduce((s, l) => s + l.params, 0),
    flops: layers.reduce((s, l) => s + l.flops, 0),
    layers,
  };
}

/** Names of the available backbones. */
export type BackboneName = 'vgg16' | 'vgg-small' | 'vgg-tiny';

/** A VGG-style backbone: blocks of 3×3 'same' ReLU convolutions, each block followed by a 2×2 max-pool, then fully connected ReLU layers. */
export interface BackboneSpec {
  /** Output channels of each convolution, one array per block. */
  readonly blocks: readonly (readonly number[])[];
  /** Units of the fully connected layers (named fc6, fc7, …). */
  readonly fc: readonly number[];
}

/**
 * - `vgg16`: VGG-Face / VGG-16 — 13 convolutions in 5 blocks of 64-128-256-512-512
 *   channels, fc6 and fc7 of 4096. Layer names match Keras VGGFace `VGG16`.
 * - `vgg-small`: the same 13-convolution layout with a quarter of the channels
 *   (16-32-64-128-128) and fc6/fc7 of 1024: ~1/16 of the convolution FLOPs.
 * - `vgg-tiny`: one convolution per block (16-32-64-128-128) and fc6/fc7 of 256: for
 *   CPU training at 112×112.
 */
export const BACKBONES: Readonly<Record<BackboneName, BackboneSpec>> = Object.freeze({
  vgg16: {
    blocks: [
      [64, 64],
      [128, 128],
      [256, 256, 256],
      [512, 512, 512],
      [512, 512, 512],
    ],
    fc: [4096, 4096],
  },
  'vgg-small': {
    blocks: [
      [16, 16],
      [32, 32],
      [64, 64, 64],
      [128, 128, 128],
      [128, 128, 128],
    ],
    fc: [1024, 1024],
  },
  'vgg-tiny': {
    blocks: [[16], [32], [64], [128], [128]],
    fc: [256, 256],
  },
});

export const BACKBONE_NAMES = Object.keys(BACKBONES) as BackboneName[];

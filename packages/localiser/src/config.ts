import { BACKBONE_NAMES, type BackboneName } from './backbones';
import { DEFAULT_DROPOUT, DEFAULT_FILL, DEFAULT_MEAN_FACE_WIDTH } from './constants';

/** Options of {@link createLocaliser} and {@link describeLocaliser}. */
export interface LocaliserConfig {
  /** Backbone layout. Default `'vgg16'` (the original's VGG-Face). */
  backbone?: BackboneName;
  /** Side S of the square input image in pixels. Default 224. At least 32 (five 2×2 pools). */
  inputSize?: number;
  /** Number D of shape coefficients α; θ has 6 + D entries. Default 10. */
  shapeDims?: number;
  /** Dropout rate after fc6 and fc7 (active only with `training: true`). Default 0.5. */
  dropout?: number;
  /** Width of the mean face in mm, for the initial log s. Default 148 (SFM 3448). */
  meanFaceWidth?: number;
  /** Fraction of the crop width the mean face spans initially. Default 1. */
  fill?: number;
  /** Overrides the initial log s (otherwise log(fill · S / meanFaceWidth)). */
  initialLogScale?: number;
  /** Seed for the weight initialisers; each layer derives its own. Default: unseeded. */
  seed?: number;
}

export type ResolvedLocaliserConfig = Required<Omit<LocaliserConfig, 'initialLogScale' | 'seed'>> &
  Pick<LocaliserConfig, 'initialLogScale' | 'seed'>;

const KEYS: readonly (keyof LocaliserConfig)[] = [
  'backbone',
  'inputSize',
  'shapeDims',
  'dropout',
  'meanFaceWidth',
  'fill',
  'initialLogScale',
  'seed',
];

function fail(message: string): never {
  throw new RangeError(`Error in createLocaliser: ${message}`);
}

/** Validates a config (without mutating it) and fills in the defaults. */
export function resolveLocaliserConfig(config: LocaliserConfig = {}): ResolvedLocaliserConfig {
  for (const key of Object.keys(config)) {
    if (!KEYS.includes(key as keyof LocaliserConfig)) {
      fail(`unknown option '${key}' (expected some of ${KEYS.join(', ')}).`);
    }
  }
  const backbone = config.backbone ?? 'vgg16';
  if (!BACKBONE_NAMES.includes(backbone)) {
    fail(
      `backbone must be one of ${BACKBONE_NAMES.map((b) => `'${b}'`).join(', ')}, but got ${JSON.stringify(backbone)}.`,
    );
  }
  const inputSize = config.inputSize ?? 224;
  if (!Number.isInteger(inputSize) || inputSize < 32) {
    fail(`inputSize must be an integer ≥ 32, but got ${inputSize}.`);
  }
  const shapeDims = config.shapeDims ?? 10;
  if (!Number.isInteger(shapeDims) || shapeDims < 0) {
    fail(`shapeDims must be a non-negative integer, but got ${shapeDims}.`);
  }
  const dropout = config.dropout ?? DEFAULT_DROPOUT;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    fail(`dropout must be in [0, 1), but got ${dropout}.`);
  }
  const positive = (name: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      fail(`${name} must be a positive finite number, but got ${v}.`);
    }
  };
  const meanFaceWidth = config.meanFaceWidth ?? DEFAULT_MEAN_FACE_WIDTH;
  positive('meanFaceWidth', meanFaceWidth);
  const fill = config.fill ?? DEFAULT_FILL;
  positive('fill', fill);
  if (config.initialLogScale !== undefined && !Number.isFinite(config.initialLogScale)) {
    fail(`initialLogScale must be a finite number, but got ${config.initialLogScale}.`);
  }
  if (config.seed !== undefined && !Number.isFinite(config.seed)) {
    fail(`seed must be a finite number, but got ${config.seed}.`);
  }
  return {
    backbone,
    inputSize,
    shapeDims,
    dropout,
    meanFaceWidth,
    fill,
    initialLogScale: config.initialLogScale,
    seed: config.seed,
  };
}

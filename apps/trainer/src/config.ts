import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { BACKBONES, type BackboneName } from '@3dmm-stn/localiser';
import { ConfigError } from './errors';

/**
 * The training configuration. Every key has a default (the demo: synthetic faces on the embedded
 * default model, sized to learn within minutes on a 2-core CPU with the wasm backend). Objects
 * are strict: an unknown key is an error naming it and the valid keys.
 */

const int = (min: number) => z.number().int().min(min);
const positive = z.number().positive();
const nonNeg = z.number().min(0);

const lossWeights = z
  .strictObject({
    /** Landmark loss weight (paper: 0.8998). */
    landmark: nonNeg.default(0.8998),
    /** Bilateral symmetry loss weight (paper: 1e-4). */
    symmetry: nonNeg.default(1e-4),
    /** Siamese multi-view loss weight (paper: 1e-4). */
    multiview: nonNeg.default(1e-4),
    /** Statistical prior ‖α‖² weight (paper: 0.1). */
    prior: nonNeg.default(0.1),
  })
  .prefault({});

const synthetic = z
  .strictObject({
    /** Number of distinct identities in the training stream (each has a shape and a texture). */
    identities: int(1).default(100000),
    /** Yaw range ± degrees. */
    yaw: z.number().min(0).max(90).default(75),
    /** Pitch range ± degrees. */
    pitch: z.number().min(0).max(90).default(30),
    /** Roll range ± degrees. */
    roll: z.number().min(0).max(90).default(20),
    /** Fraction of the crop the mean face's outer landmark extent spans at scale 1. */
    faceFill: z.number().gt(0).max(1).default(0.6),
    /** Scale jitter: s = s0·exp(U(−j, j)). */
    scaleJitter: nonNeg.default(0.15),
    /** Translation jitter as a fraction of the input size, uniform ±. */
    translateJitter: nonNeg.default(0.06),
    /** Standard deviation of the expression coefficients (identity ones are N(0, 1)). */
    expressionScale: nonNeg.default(0.7),
    /** Side of the procedural UV textures, pixels. */
    textureSize: int(8).default(64),
    /**
     * Where the mean face's landmark box centre sits at zero pose, [x, y] as fractions of the
     * crop side; null = the model origin at the centre. Match it to a detector's crops.
     */
    landmarkCentre: z.tuple([z.number(), z.number()]).nullable().default(null),
    /**
     * Face appearance: 'procedural' (drawn textures), or 'manifest' — the UV textures that `fit`
     * extracted from the training photos (the manifest's "texture" field; folder data only).
     */
    textures: z.enum(['procedural', 'manifest']).default('procedural'),
    /** Backgrounds: 'procedural', or 'manifest' — squares of the training photos away from every face. */
    backgrounds: z.enum(['procedural', 'manifest']).default('procedural'),
  })
  .prefault({});

export const configSchema = z.strictObject({
  /** Seed of every random stream (weights, data order, synthetic faces, flips). */
  seed: int(0).default(1),
  /** Backend: 'auto' (tfjs-node-gpu → tfjs-node → wasm → cpu) or a name ('wasm', 'cpu', …). */
  backend: z.string().min(1).default('auto'),
  /**
   * Threads of the wasm backend's XNNPACK in Node: a count, 'auto' (the machine's cores, at most
   * 4), or null (the `STN_WASM_THREADS` environment variable, else 1). Results are bit-for-bit
   * reproducible for a fixed seed and thread count; they differ in the last bits between counts.
   */
  wasmThreads: z
    .union([z.literal('auto'), int(1).max(64)])
    .nullable()
    .default(null),
  model: z
    .strictObject({
      /** Morphable model file (`loadModel` formats); null = the embedded default model. */
      path: z.string().min(1).nullable().default(null),
      /** UV grid side (the paper: 112 for 224 input). */
      res: int(4).default(32),
      /** Identity modes used (α's first part). */
      shapeModes: int(0).default(5),
      /** Expression modes used (α's second part). */
      expressionModes: int(0).default(5),
    })
    .prefault({}),
  localiser: z
    .strictObject({
      /** Localiser backbone: 'vgg-tiny', 'vgg-small' or 'vgg16' (the original VGG-Face layout). */
      backbone: z
        .enum(Object.keys(BACKBONES) as [BackboneName, ...BackboneName[]])
        .default('vgg-tiny'),
      /** Square input side, pixels. */
      inputSize: int(32).default(64),
      /**
       * Multiplies the VGG-Face-normalised input (BGR − mean, ±128): 1/128 keeps activations
       * near 1 (an option for training from scratch); 1 = VGG-Face scale, what imported weights expect.
       */
      inputScale: positive.default(1),
      /** Dropout after fc6/fc7 (0 keeps a run bit-reproducible; the original used 0.5). */
      dropout: z.number().min(0).lt(1).default(0),
    })
    .prefault({}),
  data: z
    .strictObject({
      /** 'synthetic' (rendered faces with known θ) or 'folder' (images + ibug .pts). */
      source: z.enum(['synthetic', 'folder']).default('synthetic'),
      /** Folder dataset root (images with .pts beside them, sub-folders = identities). */
      root: z.string().min(1).nullable().default(null),
      /** CSV or JSON manifest (columns image, pts, identity); paths relative to the manifest. */
      manifest: z.string().min(1).nullable().default(null),
      /** Where identities come from: 'auto' (column if present, else sub-folder), 'subfolder', 'column', 'none'. */
      identity: z.enum(['auto', 'subfolder', 'column', 'none']).default('auto'),
      /** Crop margin around the landmark bounding box, as a fraction of its larger side. */
      margin: nonNeg.default(0.25),
      /** Double each training batch with horizontal flips (ibug permutation), as the original. */
      flip: z.boolean().default(true),
      /** Build batches of same-identity pairs for the multi-view loss. */
      pairs: z.boolean().default(true),
      /** Prefetch queue capacity, in batches. */
      prefetch: int(1).default(2),
      /** Worker threads rendering synthetic batches (0 = render in the training thread). */
      workers: int(0).default(1),
      /** Folder datasets: random crop jitter of training samples (0 = none). */
      jitter: z
        .strictObject({
          /** Crop side × exp(U(−scale, scale)). */
          scale: nonNeg.default(0),
          /** Crop centre + U(−translate, translate)·side. */
          translate: nonNeg.default(0),
          /** Probability that a training crop gets the detail of a face s px wide (small faces). */
          lowResProbability: z.number().min(0).max(1).default(0),
          /** Smallest s of the low-resolution augmentation, pixels: s ~ U(lowResMin, inputSize). */
          lowResMin: int(4).default(24),
        })
        .prefault({}),
      /** Folder datasets with pairs: faces without a second image pair with a jittered copy of themselves. */
      pairSingles: z.boolean().default(false),
      /**
       * Folder data: the fraction of each training batch rendered by the synthetic generator
       * (`synthetic`, with real textures and backgrounds when set to 'manifest'); 0 = none.
       */
      syntheticFraction: z.number().min(0).max(0.9).default(0),
      /** Fraction of a folder dataset held out for validation. */
      valFraction: z.number().min(0).max(0.9).default(0.05),
      synthetic,
    })
    .prefault({}),
  train: z
    .strictObject({
      /** Training steps (optimiser updates). */
      steps: int(1).default(700),
      /** Images per step before flip doubling (pairs: 2 views per identity). */
      batchSize: int(1).default(8),
      /**
       * Split each step's batch into this many micro-batches with accumulated gradients: the
       * same update with the activations of a smaller batch (VGG-16@224 at B = 8 on wasm's 4 GiB
       * heap: 2). The batch's pairs and other samples must divide by it.
       */
      microBatches: int(1).default(1),
      /** 'adam' or 'sgd' (with momentum). */
      optimizer: z.enum(['adam', 'sgd']).default('adam'),
      /** Base learning rate (backbone). */
      lr: positive.default(1e-3),
      /** Learning rate multiplier of the θ head (the original trains it faster). */
      headLrMultiplier: positive.default(3),
      /** Learning-rate schedule: 'constant' or 'cosine' (to 5% of lr at the last step). */
      schedule: z.enum(['constant', 'cosine']).default('cosine'),
      /**
       * Wall-clock budget of the whole run in minutes (0 = none). When set, training stops early
       * (then evaluates, exports and reports as usual) so the run ends within it, and the cosine
       * schedule follows max(step / steps, time / budget). Runs with a budget are not
       * bit-reproducible (where they stop depends on the machine).
       */
      maxMinutes: nonNeg.default(0),
      /** Linear warm-up steps. */
      warmupSteps: int(0).default(20),
      /** SGD momentum. */
      momentum: z.number().min(0).max(1).default(0.9),
      /** Adam β1. */
      beta1: z.number().min(0).lt(1).default(0.9),
      /** Adam β2. */
      beta2: z.number().min(0).lt(1).default(0.999),
      /** Adam ε. */
      epsilon: positive.default(1e-7),
      /** Clip the global gradient norm to this (0 = off). */
      clipNorm: nonNeg.default(5),
      /**
       * The original's loss weights (anilbas/3DMMasSTN); how they apply is `lossBalance`.
       */
      lossWeights,
      /**
       * 'paper': `lossWeights` are the original's, converted by `paperLossWeights`
       * (@3dmm-stn/losses) to this input size and landmark count so that the four terms keep the
       * original's balance (prior × k, UV terms × k · 18 816, k = (S/224)² · L/21). 'raw': used as
       * they are on the project's normalised terms (UV terms then ~10⁴× weaker than the paper's).
       * Default 'raw', chosen by measurement on the demo (README "Loss balance": landmark NME and
       * shape error better with 'raw', multi-view UV consistency better with 'paper').
       */
      lossBalance: z.enum(['paper', 'raw']).default('raw'),
    })
    .prefault({}),
  eval: z
    .strictObject({
      /** Evaluate on the validation split every N steps (and at step 0 and the end). */
      every: int(1).default(100),
      /** Validation samples (synthetic: rendered from a held-out seed stream; pairs). */
      samples: int(2).default(64),
    })
    .prefault({}),
  checkpoint: z
    .strictObject({
      /** Write a checkpoint every N steps (and at the end and on Ctrl-C). */
      every: int(1).default(100),
      /** How many checkpoints to keep. */
      keep: int(1).default(2),
    })
    .prefault({}),
  output: z
    .strictObject({
      /** Parent folder of run folders. */
      dir: z.string().min(1).default('runs'),
      /** Run folder name; null = `run-<date>-<seed>`. */
      name: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  report: z
    .strictObject({
      /** Validation samples in the montage. */
      samples: int(1).default(8),
      /** Show a progress bar (off when stdout is not a TTY). */
      progress: z.boolean().default(true),
    })
    .prefault({}),
});

/** The resolved configuration (every key present). */
export type TrainConfig = z.infer<typeof configSchema>;
/** What a user may write: every key optional. */
export type TrainConfigInput = z.input<typeof configSchema>;

/** The defaults, resolved. */
export function defaultConfig(): TrainConfig {
  return configSchema.parse({});
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function getPath(obj: unknown, path: PropertyKey[]): unknown {
  let o = obj;
  for (const k of path) {
    if (o === null || typeof o !== 'object') return undefined;
    o = (o as Record<PropertyKey, unknown>)[k];
  }
  return o;
}

/** Valid keys of the object at `path` in the schema, for unknown-key messages. */
function keysAt(path: PropertyKey[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal defs
  let s: any = configSchema;
  for (const k of path) {
    while (s?.def && !s.def.shape && s.def.innerType) s = s.def.innerType;
    s = s?.def?.shape?.[k as string];
    if (!s) return [];
  }
  while (s?.def && !s.def.shape && s.def.innerType) s = s.def.innerType;
  return s?.def?.shape ? Object.keys(s.def.shape) : [];
}

/** Validate a plain object; throws `ConfigError` with one line per problem. */
export function parseConfig(input: unknown, source = 'config'): TrainConfig {
  const r = configSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const problems = r.error.issues.map((issue) => {
    const where = issue.path.join('.') || '(root)';
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys;
      const prefix = issue.path.length ? `${where}.` : '';
      return `${keys.map((k) => prefix + k).join(', ')}: unknown key; valid keys here: ${keysAt(issue.path).join(', ')}`;
    }
    return `${where}: ${issue.message} (got ${describe(getPath(input, issue.path))})`;
  });
  throw new ConfigError(source, problems);
}

/** Read a JSON (.json) or YAML (.yaml/.yml) config file into a plain object (not validated). */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as Error).message}`]);
  }
  let value: unknown;
  try {
    value = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new ConfigError(file, [`cannot parse: ${(e as Error).message}`]);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(file, ['the top level must be a mapping of keys to values']);
  }
  return value as Record<string, unknown>;
}

/** Set `a.b.c = value` in a nested plain object (creating objects on the way). */
export function setDotted(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let o: Record<string, unknown> = obj;
  for (const p of parts.slice(0, -1)) {
    const next = ownValue(o, p);
    if (next === undefined || next === null || typeof next !== 'object') setOwn(o, p, {});
    o = ownValue(o, p) as Record<string, unknown>;
  }
  setOwn(o, parts[parts.length - 1], value);
}

/**
 * `o[k]` when `k` is `o`'s own key, else undefined: a key named `__proto__`, `constructor` or
 * `prototype` in a config file or a `--set` never reaches an object's prototype.
 */
function ownValue(o: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

/**
 * Sets `o[k]` as an own data property, even for `__proto__` (which plain assignment would turn
 * into a prototype change: a config file with `__proto__: {…}` polluted `Object.prototype`,
 * found by the fuzzer). Such a key then fails validation as an unknown key.
 */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Parse a `key=value` override; the value is read as YAML (numbers, booleans, null, strings). */
export function parseOverride(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError('--set', [`expected key=value, got ${JSON.stringify(text)}`]);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = YAML.parse(raw);
  } catch {
    value = raw;
  }
  return [key, value ?? (raw.trim() === '' ? '' : value)];
}

/**
 * Resolve a configuration: defaults ← file (JSON/YAML) ← overrides (dotted keys, e.g.
 * `{'train.steps': 50}`). The caller's objects are not mutated.
 */
export async function loadConfig(
  options: {
    file?: string | null;
    overrides?: Record<string, unknown>;
    base?: TrainConfigInput;
  } = {},
): Promise<TrainConfig> {
  const merged: Record<string, unknown> = structuredClone(
    (options.base ?? {}) as Record<string, unknown>,
  );
  if (options.file) deepMerge(merged, await readConfigFile(options.file));
  for (const [k, v] of Object.entries(options.overrides ?? {})) setDotted(merged, k, v);
  const source = [
    options.file,
    Object.keys(options.overrides ?? {}).length ? 'command-line flags' : null,
  ]
    .filter(Boolean)
    .join(' + ');
  return parseConfig(merged, source || 'config');
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = ownValue(into, k);
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      cur &&
      typeof cur === 'object' &&
      !Array.isArray(cur)
    ) {
      deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      setOwn(into, k, structuredClone(v));
    }
  }
}

import type { SlotState } from './optimizer';
import { readdir, readFile, rename, rm, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from './errors';
import { writeFileAtomic } from './fs_atomic';

/**
 * Checkpoints: `checkpoints/step-XXXXXXXX/{checkpoint.json, weights.bin}` written into a temp
 * folder and renamed into place (atomic on one file system), then `checkpoints/latest.json`
 * (atomic) points at it. Tensors are stored by position (model weights, then optimiser slots)
 * with shapes, since tfjs layer names depend on how many layers a process created before.
 *
 * weights.bin: the tensors' float32 values concatenated little-endian, in `tensors` order.
 */

export interface TensorSpec {
  name: string;
  shape: number[];
}

export interface CheckpointMeta {
  format: '3dmm-stn-trainer-checkpoint';
  version: 1;
  step: number;
  /** Everything random is a function of (seed, step): this is the RNG state. */
  seed: number;
  optimizer: { kind: string; t: number };
  /** Model weights (trainable and not), in `model.weights` order. */
  weights: TensorSpec[];
  /** Optimiser slots, in `GroupOptimizer.state()` order. */
  slots: TensorSpec[];
  /** Best validation NME so far and its step (for best-model export across resumes). */
  best: { step: number; nme: number } | null;
  /** Wall-clock seconds of training so far. */
  elapsed: number;
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  weights: tf.Tensor[];
  /** Host arrays (never on the backend: Adam's moments may live outside it, `SlotState`). */
  slots: SlotState[];
}

const pad = (step: number) => String(step).padStart(8, '0');

export async function saveCheckpoint(
  dir: string,
  meta: Omit<CheckpointMeta, 'format' | 'version' | 'weights' | 'slots'>,
  weights: { name: string; tensor: tf.Tensor }[],
  slots: SlotState[],
  keep: number,
): Promise<string> {
  const arrays = [
    ...(await Promise.all(weights.map((w) => w.tensor.data() as Promise<Float32Array>))),
    ...slots.map((s) => s.data),
  ];
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const bin = new Float32Array(total);
  let o = 0;
  for (const a of arrays) {
    bin.set(a, o);
    o += a.length;
  }
  const full: CheckpointMeta = {
    format: '3dmm-stn-trainer-checkpoint',
    version: 1,
    ...meta,
    weights: weights.map((w) => ({ name: w.name, shape: w.tensor.shape })),
    slots: slots.map((s, i) => ({ name: `slot${i}`, shape: s.shape })),
  };
  const name = `step-${pad(meta.step)}`;
  const final = join(dir, name);
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, 'weights.bin'), new Uint8Array(bin.buffer));
  await writeFile(join(tmp, 'checkpoint.json'), JSON.stringify(full, null, 1));
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  await writeFileAtomic(join(dir, 'latest.json'), JSON.stringify({ step: meta.step, dir: name }));
  // Keep the newest `keep` checkpoints.
  const names = (await readdir(dir)).filter((n) => /^step-\d{8}$/.test(n)).sort();
  for (const old of names.slice(0, Math.max(0, names.length - keep))) {
    await rm(join(dir, old), { recursive: true, force: true });
  }
  return final;
}

/** Load `checkpoints/latest.json`'s checkpoint (or a given step folder). */
export async function loadCheckpoint(dir: string, stepDir?: string): Promise<LoadedCheckpoint> {
  let folder: string;
  if (stepDir) folder = join(dir, stepDir);
  else {
    let latest: { dir: string };
    try {
      latest = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8'));
    } catch (e) {
      throw new CheckpointError(
        join(dir, 'latest.json'),
        `no checkpoint to resume from (${(e as Error).message})`,
      );
    }
    if (
      !latest ||
      typeof latest !== 'object' ||
      typeof latest.dir !== 'string' ||
      !/^step-\d{8}$/.test(latest.dir)
    ) {
      throw new CheckpointError(
        join(dir, 'latest.json'),
        `expected {"step": N, "dir": "step-NNNNNNNN"}, got ${JSON.stringify(latest).slice(0, 80)}`,
      );
    }
    folder = join(dir, latest.dir);
  }
  let meta: CheckpointMeta;
  let bytes: Buffer;
  try {
    meta = JSON.parse(await readFile(join(folder, 'checkpoint.json'), 'utf8'));
    bytes = await readFile(join(folder, 'weights.bin'));
  } catch (e) {
    throw new CheckpointError(folder, `cannot read the checkpoint: ${(e as Error).message}`);
  }
  checkMeta(meta, join(folder, 'checkpoint.json'));
  const specs = [...meta.weights, ...meta.slots];
  const need = specs.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== need * 4) {
    throw new CheckpointError(
      join(folder, 'weights.bin'),
      `has ${bytes.byteLength} bytes, the specs need ${need * 4}`,
    );
  }
  const values = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  let o = 0;
  const arrays = specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const a = values.subarray(o, o + n);
    o += n;
    return a;
  });
  return {
    meta,
    weights: meta.weights.map((s, i) => tf.tensor(arrays[i], s.shape, 'float32')),
    slots: meta.slots.map((s, i) => ({
      shape: [...s.shape],
      data: arrays[meta.weights.length + i],
    })),
  };
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Checks every field of a checkpoint.json the trainer uses (a typed error naming the field). */
function checkMeta(meta: unknown, file: string): asserts meta is CheckpointMeta {
  const fail = (what: string): never => {
    throw new CheckpointError(file, what);
  };
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) fail('expected a JSON object');
  const m = meta as Record<string, unknown>;
  if (m.format !== '3dmm-stn-trainer-checkpoint' || m.version !== 1)
    fail(`unknown checkpoint format ${String(m.format)} v${String(m.version)}`);
  if (!isCount(m.step)) fail(`"step": expected an integer ≥ 0, got ${JSON.stringify(m.step)}`);
  if (typeof m.seed !== 'number' || !Number.isFinite(m.seed))
    fail(`"seed": expected a number, got ${JSON.stringify(m.seed)}`);
  const opt = m.optimizer as Record<string, unknown> | null;
  if (!opt || typeof opt !== 'object' || typeof opt.kind !== 'string' || !isCount(opt.t))
    fail(`"optimizer": expected {"kind": string, "t": integer ≥ 0}`);
  for (const key of ['weights', 'slots'] as const) {
    const specs = m[key];
    if (!Array.isArray(specs)) fail(`"${key}": expected an array of {"name", "shape"}`);
    (specs as unknown[]).forEach((s, i) => {
      const spec = s as Record<string, unknown> | null;
      if (
        !spec ||
        typeof spec !== 'object' ||
        typeof spec.name !== 'string' ||
        !Array.isArray(spec.shape) ||
        !spec.shape.every(isCount)
      )
        fail(`"${key}"[${i}]: expected {"name": string, "shape": [integers ≥ 0]}`);
    });
  }
  const best = m.best as Record<string, unknown> | null;
  if (
    best !== null &&
    (typeof best !== 'object' ||
      !isCount(best.step) ||
      (typeof best.nme !== 'number' && best.nme !== null)) // JSON writes NaN as null
  )
    fail(`"best": expected null or {"step": integer, "nme": number}`);
  if (typeof m.elapsed !== 'number' || !(m.elapsed >= 0))
    fail(`"elapsed": expected seconds ≥ 0, got ${JSON.stringify(m.elapsed)}`);
}

/**
 * Restore the optimiser's step count and slots from a loaded checkpoint; a count or shape that does
 * not fit the optimiser is a `CheckpointError` naming the folder.
 */
export function restoreOptimizer(
  folder: string,
  optimizer: { loadState(t: number, slots: SlotState[]): void },
  ck: LoadedCheckpoint,
): void {
  try {
    optimizer.loadState(ck.meta.optimizer.t, ck.slots);
  } catch (e) {
    throw new CheckpointError(folder, `optimiser state: ${(e as Error).message}`);
  }
}

/** Assign checkpoint weights to `variables` (same order), checking count and shapes. */
export function assignWeights(
  folder: string,
  variables: { name: string; val: tf.Variable }[],
  values: tf.Tensor[],
): void {
  if (variables.length !== values.length) {
    throw new CheckpointError(
      folder,
      `has ${values.length} weight tensors, the model has ${variables.length}`,
    );
  }
  variables.forEach((v, i) => {
    if (v.val.shape.join(',') !== values[i].shape.join(',')) {
      throw new CheckpointError(
        folder,
        `weight ${i} (${v.name}) has shape [${values[i].shape}], the model expects [${v.val.shape}]`,
      );
    }
    v.val.assign(values[i]);
  });
}

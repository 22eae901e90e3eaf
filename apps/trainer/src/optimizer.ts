import { adamUpdateHostMoments, adamUpdateInPlace } from '@3dmm-stn/backend/node';
import * as tf from '@tensorflow/tfjs';

/**
 * Adam / SGD-with-momentum over parameter groups, each with its own learning-rate multiplier
 * (the θ head learns faster than the backbone, as in the original). Written here rather than
 * using tf.train.* because a checkpoint must restore it exactly: its whole state is the step
 * count `t` and one or two slots per variable, all exposed by `state()`.
 *
 * Where the slots live (`slots`): Adam on wasm keeps its two moments in host memory
 * (`Float32Array`s outside the wasm heap, `adamUpdateHostMoments`), so the heap's 4 GiB hold the
 * weights, gradients and activations only — 1 GiB freed for VGG-16; elsewhere (and SGD) the
 * slots are tensors on the backend (tfjs-node-gpu: on the GPU). Both give the same numbers.
 *
 * Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr·mult·m̂/(√v̂ + ε), with the bias
 * corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ) computed in float64.
 * SGD: u ← μu + g, w ← w − lr·mult·u.
 */

export interface ParamGroup {
  name: string;
  variables: tf.Variable[];
  /** Multiplies the base learning rate for this group. */
  lrMultiplier: number;
}

export interface OptimizerOptions {
  kind: 'adam' | 'sgd';
  beta1: number;
  beta2: number;
  epsilon: number;
  momentum: number;
  /**
   * Where the slots live: 'tensor' (on the backend), 'host' (Float32Arrays; Adam only) or
   * 'auto' (default: 'host' for Adam on wasm, else 'tensor').
   */
  slots?: 'auto' | 'tensor' | 'host';
}

/** One optimiser slot's value (checkpoints): its shape and float32 values. */
export interface SlotState {
  shape: number[];
  data: Float32Array;
}

export class GroupOptimizer {
  /** Updates applied so far. */
  t = 0;
  private readonly slots: tf.Variable[][]; // per variable: [m, v] (adam) or [u] (sgd); tensor slots
  private readonly hostSlots: Float32Array[][]; // per variable: [m, v]; host slots
  /** Where the slots live (`OptimizerOptions.slots` resolved). */
  readonly slotMemory: 'tensor' | 'host';
  readonly variables: tf.Variable[];
  private readonly multipliers: number[];

  constructor(
    readonly groups: ParamGroup[],
    readonly options: OptimizerOptions,
  ) {
    this.variables = groups.flatMap((g) => g.variables);
    this.multipliers = groups.flatMap((g) => g.variables.map(() => g.lrMultiplier));
    const nSlots = options.kind === 'adam' ? 2 : 1;
    const want = options.slots ?? 'auto';
    if (want === 'host' && options.kind !== 'adam')
      throw new Error("GroupOptimizer: slots 'host' is for Adam only");
    this.slotMemory =
      want === 'auto'
        ? options.kind === 'adam' && tf.getBackend() === 'wasm'
          ? 'host'
          : 'tensor'
        : want;
    if (this.slotMemory === 'host') {
      this.slots = [];
      this.hostSlots = this.variables.map((v) => [
        new Float32Array(v.size),
        new Float32Array(v.size),
      ]);
    } else {
      this.hostSlots = [];
      // Made inside tidy so that each slot is the only owner of its buffer (in-place Adam).
      this.slots = this.variables.map((v) =>
        Array.from({ length: nSlots }, () => tf.tidy(() => tf.variable(tf.zerosLike(v), false))),
      );
    }
  }

  /**
   * Apply one update from `grads` (same order as `variables`), each first multiplied by
   * `gradScale` (global-norm clipping); does not dispose `grads`. Variable by variable: on wasm
   * Adam is one pass over the heap (`adamUpdateInPlace`: moments in place, one new buffer for
   * the weights — the tf-ops form needs ~6 temporaries of a weight's size at once, 2.5 GB for
   * VGG-16's fc6); elsewhere tf ops whose temporaries are freed after each variable.
   */
  apply(grads: tf.Tensor[], lr: number, gradScale = 1): void {
    if (grads.length !== this.variables.length) {
      throw new Error(
        `GroupOptimizer.apply: expected ${this.variables.length} gradients, got ${grads.length}`,
      );
    }
    this.t++;
    const o = this.options;
    const c1 = 1 - o.beta1 ** this.t;
    const c2 = 1 - o.beta2 ** this.t;
    grads.forEach((g, i) => {
      const w = this.variables[i];
      const rate = lr * this.multipliers[i];
      if (o.kind === 'adam') {
        const update = {
          stepSize: rate / c1,
          beta1: o.beta1,
          beta2: o.beta2,
          epsilon: o.epsilon,
          biasCorrection2: c2,
          gradScale,
        };
        if (this.slotMemory === 'host') {
          const [hm, hv] = this.hostSlots[i];
          adamUpdateHostMoments(w, hm, hv, g, update);
          return;
        }
        const [m, v] = this.slots[i];
        if (adamUpdateInPlace(w, m, v, g, update)) return;
        tf.tidy(() => {
          const gs = gradScale === 1 ? g : tf.mul(g, gradScale);
          const m1 = tf.add(tf.mul(m, o.beta1), tf.mul(gs, 1 - o.beta1));
          const v1 = tf.add(tf.mul(v, o.beta2), tf.mul(tf.square(gs), 1 - o.beta2));
          m.assign(m1);
          v.assign(v1);
          const step = tf.div(tf.mul(m1, rate / c1), tf.add(tf.sqrt(tf.div(v1, c2)), o.epsilon));
          w.assign(tf.sub(w, step));
        });
      } else {
        tf.tidy(() => {
          const [u] = this.slots[i];
          const u1 = tf.add(tf.mul(u, o.momentum), gradScale === 1 ? g : tf.mul(g, gradScale));
          u.assign(u1);
          w.assign(tf.sub(w, tf.mul(u1, rate)));
        });
      }
    });
  }

  /** Slot values in a fixed order (for checkpoints): copies, or the host arrays themselves. */
  async state(): Promise<SlotState[]> {
    if (this.slotMemory === 'host')
      return this.hostSlots.flatMap((pair, i) =>
        pair.map((data) => ({ shape: [...this.variables[i].shape], data })),
      );
    const flat = this.slots.flat();
    const values = await Promise.all(flat.map((t) => t.data() as Promise<Float32Array>));
    return flat.map((t, i) => ({ shape: [...t.shape], data: values[i] }));
  }

  /** The tensor slots (empty with host slots), for tests of the in-place update. */
  slotTensors(): tf.Variable[] {
    return this.slots.flat();
  }

  /** Restore `t` and slot values (count and shapes checked). */
  loadState(t: number, values: SlotState[]): void {
    const shapes =
      this.slotMemory === 'host'
        ? this.hostSlots.flatMap((pair, i) => pair.map(() => this.variables[i].shape))
        : this.slots.flat().map((s) => s.shape);
    if (values.length !== shapes.length) {
      throw new Error(
        `GroupOptimizer.loadState: expected ${shapes.length} slot tensors, got ${values.length}`,
      );
    }
    values.forEach((v, i) => {
      const n = shapes[i].reduce((a, b) => a * b, 1);
      if (v.shape.join(',') !== shapes[i].join(',') || v.data.length !== n) {
        throw new Error(
          `GroupOptimizer.loadState: slot ${i} has shape [${v.shape}] (${v.data.length} values), expected [${shapes[i]}]`,
        );
      }
    });
    if (this.slotMemory === 'host') {
      const flat = this.hostSlots.flat();
      values.forEach((v, i) => {
        flat[i].set(v.data);
      });
    } else {
      const flat = this.slots.flat();
      values.forEach((v, i) => {
        const t = tf.tensor(v.data, v.shape, 'float32');
        flat[i].assign(t);
        t.dispose();
      });
    }
    this.t = t;
  }

  dispose(): void {
    for (const s of this.slots.flat()) s.dispose();
  }
}

/** Global L2 norm of a list of gradients (a scalar tensor; the caller disposes it). */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  // One tidy per gradient: the squares are freed one by one (fc6's alone is 411 MB).
  return tf.tidy(
    () => tf.sqrt(tf.addN(grads.map((g) => tf.tidy(() => tf.sum(tf.square(g)))))) as tf.Scalar,
  );
}

/** The factor global-norm clipping multiplies every gradient by: min(1, maxNorm / norm). */
export function clipScale(norm: number, maxNorm: number): number {
  return maxNorm > 0 ? maxNorm / Math.max(norm, maxNorm) : 1;
}

/**
 * Scale gradients so that their global L2 norm is at most `maxNorm` (0 = no clipping).
 * Returns new tensors (the caller disposes both lists) and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    if (!(maxNorm > 0)) return { grads: grads.map((g) => tf.clone(g)), norm };
    const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
    return { grads: grads.map((g) => tf.mul(g, scale)), norm };
  });
}

/**
 * Learning rate at `step` (0-based): linear warm-up, then constant or cosine to 5%. `progress`
 * overrides the cosine's position in [0, 1] (default step / (total − 1)).
 */
export function learningRate(
  step: number,
  base: number,
  total: number,
  schedule: 'constant' | 'cosine',
  warmup: number,
  progress?: number,
): number {
  const w = warmup > 0 ? Math.min(1, (step + 1) / warmup) : 1;
  if (schedule === 'constant') return base * w;
  const p = Math.min(1, Math.max(0, progress ?? step / Math.max(1, total - 1)));
  return base * w * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

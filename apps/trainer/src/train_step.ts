import {
  isWasmOutOfMemory,
  WASM_HEAP_MAX_BYTES,
  WasmOutOfMemoryError,
  wasmHeapBytes,
} from '@3dmm-stn/backend/node';
import type { LossWeights } from '@3dmm-stn/losses';
import { stnLoss } from '@3dmm-stn/losses';
import type { GridModel } from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { batchTensors } from './batch_tensors';
import { ConfigError, TrainingOutOfMemoryError } from './errors';
import type { Network } from './network';
import { clipScale, type GroupOptimizer, globalNorm } from './optimizer';
import type { FaceSample } from './sample';

export interface StepResult {
  loss: { total: number; landmark: number; symmetry: number; multiview: number; prior: number };
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** false when the loss or gradient was not finite (no update was made). */
  applied: boolean;
}

/**
 * One optimisation step: images → network (θ, masked UV, mask, landmarks) → the four losses →
 * gradients of the localiser's variables → global-norm clipping → optimiser update. Pairs: the
 * first `pairs` samples are view A of the next `pairs` (multi-view loss). Frees every tensor it
 * makes.
 */
export function createTrainStep(o: {
  net: Network;
  grid: GridModel;
  optimizer: GroupOptimizer;
  lossWeights: Partial<LossWeights>;
  clipNorm: number;
  /** names the model in errors, e.g. `vgg16@224` */
  label?: string;
  /**
   * Split each batch into this many equal micro-batches (each with its share of the pairs) and
   * accumulate their gradients before one update (default 1). Every loss term is a mean over
   * samples (or pairs), so the mean of the micro-batches' gradients is the whole batch's: the same
   * update up to float rounding, for a network without batch statistics (with dropout, the masks
   * differ). The backend's peak memory is a micro-batch's: gradients are summed in host memory
   * (one float32 array per variable) and each micro-batch's are freed at once.
   */
  microBatches?: number;
}): (samples: FaceSample[], pairs: number, lr: number) => Promise<StepResult> {
  const lossFn = stnLoss(o.lossWeights);
  const varList = [...o.net.backboneVariables, ...o.net.headVariables];
  const D = o.grid.numModes;
  const k = o.microBatches ?? 1;
  /** Loss terms and gradients of one (micro-)batch; the caller disposes them. */
  const gradients = (samples: FaceSample[], pairs: number) => {
    const t = batchTensors(samples, o.grid.landmarkIds);
    let kept: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      // The mask carries no gradient (the STN's visibility is constant w.r.t. θ); the losses
      // accept it as it comes off the tape.
      const [theta, uv, mask, lms] = o.net.model.apply(t.images, {
        training: true,
      }) as tf.Tensor[];
      const alpha = tf.slice(theta, [0, 6], [-1, D]);
      const terms = lossFn({
        landmarks: { pred: lms, target: t.target, confidence: t.confidence },
        uv,
        mask,
        alpha,
        pairs:
          pairs > 0
            ? {
                uvA: tf.slice(uv, [0, 0, 0, 0], [pairs, -1, -1, -1]),
                maskA: tf.slice(mask, [0, 0, 0, 0], [pairs, -1, -1, -1]),
                uvB: tf.slice(uv, [pairs, 0, 0, 0], [pairs, -1, -1, -1]),
                maskB: tf.slice(mask, [pairs, 0, 0, 0], [pairs, -1, -1, -1]),
              }
            : undefined,
      });
      kept = [terms.landmark, terms.symmetry, terms.multiview, terms.prior].map((x) => tf.keep(x));
      return terms.total;
    }, varList);
    tf.dispose([t.images, t.target, t.confidence]);
    return { terms: [value, ...kept], gradList: varList.map((v) => grads[v.name]) };
  };
  const step = async (samples: FaceSample[], pairs: number, lr: number): Promise<StepResult> => {
    if (k > 1) return accumulated(samples, pairs, lr);
    const { terms, gradList } = gradients(samples, pairs);
    // Clipping is a factor the optimiser applies as it reads each gradient: no scaled copy of
    // every gradient (0.5 GB for VGG-16).
    const norm = globalNorm(gradList);
    const [total, landmark, symmetry, multiview, prior, gradNorm] = await Promise.all(
      [...terms, norm].map(async (x) => (await x.data())[0]),
    );
    const applied = Number.isFinite(total) && Number.isFinite(gradNorm);
    if (applied) o.optimizer.apply(gradList, lr, clipScale(gradNorm, o.clipNorm));
    tf.dispose([...terms, ...gradList, norm]);
    return { loss: { total, landmark, symmetry, multiview, prior }, gradNorm, applied };
  };
  /**
   * `k` micro-batches: each one's gradients are added into host arrays (float32) and freed at
   * once, so the backend holds one micro-batch's activations and gradients at a time (the wasm
   * heap's peak is the micro-batch's); then one update with their mean.
   */
  const accumulated = async (
    samples: FaceSample[],
    pairs: number,
    lr: number,
  ): Promise<StepResult> => {
    const rest = samples.length - 2 * pairs;
    if (pairs % k !== 0 || rest % k !== 0)
      throw new ConfigError('train.microBatches', [
        `${k} micro-batches need the batch's ${pairs} pairs and ${rest} other samples to divide by ${k}`,
      ]);
    const p = pairs / k;
    const r = rest / k;
    const sums: Float32Array[] = [];
    const terms = [0, 0, 0, 0, 0];
    for (let j = 0; j < k; j++) {
      const chunk = [
        ...samples.slice(j * p, (j + 1) * p),
        ...samples.slice(pairs + j * p, pairs + (j + 1) * p),
        ...samples.slice(2 * pairs + j * r, 2 * pairs + (j + 1) * r),
      ];
      const g = gradients(chunk, p);
      const values = await Promise.all(g.terms.map(async (x) => (await x.data())[0]));
      values.forEach((v, i) => {
        terms[i] += v / k;
      });
      tf.dispose(g.terms);
      for (let i = 0; i < g.gradList.length; i++) {
        const d = (await g.gradList[i].data()) as Float32Array;
        g.gradList[i].dispose();
        // A copy: the cpu backend hands out its own buffer, which another tensor may share.
        if (j === 0) sums.push(d.slice());
        else {
          const acc = sums[i];
          for (let e = 0; e < acc.length; e++) acc[e] += d[e];
        }
      }
    }
    let sq = 0;
    for (const acc of sums) for (let e = 0; e < acc.length; e++) sq += acc[e] * acc[e];
    const gradNorm = Math.sqrt(sq) / k;
    const [total, landmark, symmetry, multiview, prior] = terms;
    const applied = Number.isFinite(total) && Number.isFinite(gradNorm);
    if (applied) {
      const gradSum = sums.map((acc, i) => tf.tensor(acc, varList[i].shape, 'float32'));
      // The mean gradient is the sum / k: one factor with the clipping's.
      o.optimizer.apply(gradSum, lr, clipScale(gradNorm, o.clipNorm) / k);
      tf.dispose(gradSum);
    }
    return { loss: { total, landmark, symmetry, multiview, prior }, gradNorm, applied };
  };
  return async (samples, pairs, lr) => {
    try {
      return await step(samples, pairs, lr);
    } catch (e) {
      if (!isWasmOutOfMemory(e)) throw e;
      throw new TrainingOutOfMemoryError(
        o.label ?? 'the network',
        samples.length,
        wasmHeapBytes(),
        WASM_HEAP_MAX_BYTES,
        e instanceof WasmOutOfMemoryError ? e.requestedBytes : null,
        e,
      );
    }
  };
}

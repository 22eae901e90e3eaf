import * as tf from '@tensorflow/tfjs-core';

/**
 * How a per-sample loss `[B]` becomes the returned value:
 * - `'mean'` (default): the mean over the batch, a scalar;
 * - `'sum'`: the sum over the batch, a scalar;
 * - `'none'`: the per-sample values, `[B]`.
 *
 * Reductions only ever run over the batch axis; what each loss sums or averages
 * inside one sample is part of that loss's definition (see its JSDoc).
 */
export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** Throws a RangeError naming the op when `reduction` is not one of the three values. */
export function checkReduction(op: string, reduction: unknown): Reduction {
  if (!REDUCTIONS.includes(reduction as Reduction)) {
    throw new RangeError(
      `Error in ${op}: reduction must be one of ${REDUCTIONS.map((r) => `'${r}'`).join(', ')}, but got ${JSON.stringify(reduction)}.`,
    );
  }
  return reduction as Reduction;
}

/** Applies `reduction` to per-sample losses `[B]`. Call inside a tidy. */
export function reduceBatch(perSample: tf.Tensor1D, reduction: Reduction): tf.Tensor {
  if (reduction === 'none') return perSample;
  return reduction === 'sum' ? tf.sum(perSample) : tf.mean(perSample);
}

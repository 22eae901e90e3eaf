import type { Batch } from './folder_dataset';

/**
 * One batch of two sources: real faces and synthetic ones of the same step, each with its pairs
 * kept aligned — [A_real…, A_synth…, B_real…, B_synth…] when both are paired, else the samples
 * one after the other (pairs dropped: a pair is only a pair within its own source).
 */
export function mixBatches(real: Batch, synth: Batch): Batch {
  if (real.step !== synth.step)
    throw new Error(`mixBatches: steps differ (${real.step} and ${synth.step})`);
  const Pr = real.pairs;
  const Ps = synth.pairs;
  if (Pr > 0 && Ps > 0) {
    const r = real.samples;
    const s = synth.samples;
    return {
      step: real.step,
      samples: [
        ...r.slice(0, Pr),
        ...s.slice(0, Ps),
        ...r.slice(Pr, 2 * Pr),
        ...s.slice(Ps, 2 * Ps),
      ],
      pairs: Pr + Ps,
    };
  }
  return { step: real.step, samples: [...real.samples, ...synth.samples], pairs: 0 };
}

/** Two step-indexed sources as one: batch k = `mixBatches(real k, synth k)` (resume-safe). */
export class MixedSource {
  constructor(
    private readonly real: { batches(start: number): AsyncIterable<Batch> },
    private readonly synth: { batches(start: number): AsyncIterable<Batch> },
  ) {}

  async *batches(start: number): AsyncGenerator<Batch> {
    const a = this.real.batches(start)[Symbol.asyncIterator]();
    const b = this.synth.batches(start)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const [x, y] = await Promise.all([a.next(), b.next()]);
        if (x.done || y.done) return;
        yield mixBatches(x.value, y.value);
      }
    } finally {
      await Promise.all([a.return?.(), b.return?.()]);
    }
  }
}

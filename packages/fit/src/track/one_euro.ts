/**
 * The One Euro filter (G. Casiez, N. Roussel, D. Vogel, "1 € Filter: A Simple Speed-based Low-pass
 * Filter for Noisy Input in Interactive Systems", CHI 2012): an exponential low-pass filter whose
 * cutoff frequency rises with the signal's speed, so that a still signal is smoothed hard (low
 * jitter) and a moving one is followed closely (low lag).
 *
 * Per sample, with dt the time since the previous one (seconds):
 *   α(fc) = 1 / (1 + τ/dt), τ = 1 / (2π·fc)
 *   dx̂ = α(dCutoff)·(x − x̂₋)/dt + (1 − α(dCutoff))·dx̂₋          (the smoothed speed)
 *   fc = minCutoff + beta·|dx̂|                                   (Hz)
 *   x̂ = α(fc)·x + (1 − α(fc))·x̂₋
 * The first sample passes through unchanged. Browser-safe, no tfjs.
 */

export interface OneEuroParams {
  /** Cutoff at rest, Hz: lower = smoother when still, more lag. */
  minCutoff: number;
  /** Cutoff increase per unit of speed (Hz per unit/s): higher = less lag in fast motion. */
  beta: number;
  /** Cutoff of the speed estimate, Hz. Default 1. */
  dCutoff?: number;
}

/** α of an exponential smoother with cutoff `fc` (Hz) at sampling interval `dt` (s). */
export function smoothingFactor(fc: number, dt: number): number {
  const tau = 1 / (2 * Math.PI * fc);
  return 1 / (1 + tau / dt);
}

/** A One Euro filter on a vector; each component has its own parameters (or one for all). */
export class OneEuroFilter {
  private x: Float64Array | null = null;
  private dx: Float64Array;
  private readonly params: OneEuroParams[];

  constructor(
    readonly size: number,
    params: OneEuroParams | OneEuroParams[],
  ) {
    this.params = Array.isArray(params) ? params : new Array(size).fill(params);
    if (this.params.length !== size)
      throw new RangeError(
        `OneEuroFilter: ${this.params.length} parameter sets for ${size} values.`,
      );
    for (const p of this.params)
      if (!(p.minCutoff > 0) || !(p.beta >= 0) || !((p.dCutoff ?? 1) > 0))
        throw new RangeError(
          `OneEuroFilter: minCutoff and dCutoff must be > 0 and beta ≥ 0, got ${JSON.stringify(p)}.`,
        );
    this.dx = new Float64Array(size);
  }

  /** Forgets the past: the next sample passes through (after a tracking loss). */
  reset(): void {
    this.x = null;
    this.dx.fill(0);
  }

  /**
   * Filters one sample `x` taken `dt` seconds after the previous one; returns the filtered
   * vector (a new array). Non-finite components pass through and do not disturb the state.
   */
  filter(x: ArrayLike<number>, dt: number): Float64Array {
    if (x.length !== this.size)
      throw new RangeError(`OneEuroFilter: expected ${this.size} values, got ${x.length}.`);
    const out = Float64Array.from(x);
    if (this.x === null || !(dt > 0)) {
      this.x = Float64Array.from(x);
      this.dx.fill(0);
      return out;
    }
    for (let i = 0; i < this.size; i++) {
      const xi = x[i];
      if (!Number.isFinite(xi)) continue;
      const prev = this.x[i];
      if (!Number.isFinite(prev)) {
        this.x[i] = xi;
        continue;
      }
      const p = this.params[i];
      const aD = smoothingFactor(p.dCutoff ?? 1, dt);
      this.dx[i] = aD * ((xi - prev) / dt) + (1 - aD) * this.dx[i];
      const fc = p.minCutoff + p.beta * Math.abs(this.dx[i]);
      const a = smoothingFactor(fc, dt);
      out[i] = a * xi + (1 - a) * prev;
      this.x[i] = out[i];
    }
    return out;
  }
}

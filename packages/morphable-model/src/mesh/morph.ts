/**
 * The host shape synthesis, the one place it is written: X = mean + Σ_k α_k · basis_k.
 * (On tensors it is the stn-layer's shape op; every host caller — fits, contour candidates,
 * metrics, reports, the rasteriser — uses this.)
 */

/**
 * X = mean + Σ_k α_k · basis_k over some rows of a model (all its vertices, a grid, the landmark
 * rows, contour candidates).
 *
 * Layouts: `mean` `[N, 3]` flat (`3N` values); `basis` mode-major `[K, N, 3]` (mode k's rows at
 * `k·3N … (k+1)·3N`); α_k = `alpha[offset + k]` for k < `modes` (default: every entry of
 * `alpha` from `offset`, e.g. `offset: 6` reads α from θ). Modes whose weight is 0 are skipped.
 * The sum accumulates in `out` (default a new Float64Array; pass a Float32Array to accumulate in
 * float32), which may be `mean` itself (then the modes are added to it in place).
 *
 * @returns `out`, `[N, 3]` model units (mm for the project's models).
 * @throws RangeError when `basis` holds fewer than `modes` modes or `out` has the wrong length.
 */
export function morphRows<T extends Float32Array | Float64Array = Float64Array>(
  mean: ArrayLike<number>,
  basis: ArrayLike<number>,
  alpha: ArrayLike<number>,
  options: { offset?: number; modes?: number; out?: T } = {},
): T {
  const n3 = mean.length;
  const offset = options.offset ?? 0;
  const modes = options.modes ?? alpha.length - offset;
  if (basis.length < modes * n3)
    throw new RangeError(
      `morphRows: basis must hold ${modes} modes of ${n3} values (${modes * n3}), got ${basis.length}.`,
    );
  const out = (options.out ?? new Float64Array(n3)) as T;
  if (out.length !== n3)
    throw new RangeError(`morphRows: out must have ${n3} values, got ${out.length}.`);
  if (out !== mean) for (let i = 0; i < n3; i++) out[i] = mean[i];
  for (let k = 0; k < modes; k++) {
    const a = alpha[offset + k];
    if (a === 0) continue;
    const off = k * n3;
    for (let i = 0; i < n3; i++) out[i] += a * basis[off + i];
  }
  return out;
}

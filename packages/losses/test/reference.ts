/**
 * Slow, obvious float64 references for the UV losses: plain loops over (b, i, j, c),
 * written from the formulas in the JSDoc, independent of the tensor implementation.
 */
export function referenceMaskedPair(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  w: (bi: number, i: number, j: number) => number,
  bj: (i: number, j: number) => [number, number],
  [B, R, C]: [number, number, number],
): number[] {
  const out: number[] = [];
  for (let n = 0; n < B; n++) {
    let num = 0;
    let count = 0;
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < R; j++) {
        const wij = w(n, i, j);
        if (wij === 0) continue;
        const [i2, j2] = bj(i, j);
        for (let c = 0; c < C; c++) {
          const d = a[((n * R + i) * R + j) * C + c] - b[((n * R + i2) * R + j2) * C + c];
          num += wij * d * d;
        }
        count += wij * C;
      }
    }
    out.push(num / Math.max(count, 1));
  }
  return out;
}

export function referenceSymmetry(
  uv: ArrayLike<number>,
  mask: ArrayLike<number>,
  [B, R, C]: [number, number, number],
): number[] {
  const m = (n: number, i: number, j: number) => mask[(n * R + i) * R + j];
  return referenceMaskedPair(
    uv,
    uv,
    (n, i, j) => m(n, i, j) * m(n, i, R - 1 - j),
    (i, j) => [i, R - 1 - j],
    [B, R, C],
  );
}

export function referenceMultiview(
  uvA: ArrayLike<number>,
  maskA: ArrayLike<number>,
  uvB: ArrayLike<number>,
  maskB: ArrayLike<number>,
  [B, R, C]: [number, number, number],
): number[] {
  const k = (n: number, i: number, j: number) => (n * R + i) * R + j;
  return referenceMaskedPair(
    uvA,
    uvB,
    (n, i, j) => maskA[k(n, i, j)] * maskB[k(n, i, j)],
    (i, j) => [i, j],
    [B, R, C],
  );
}

/** Landmark boxes shared by the label readers and 3DDFA's crop. */

/** `[x, y, w, h]`: the bounding box of the finite landmarks (`[L, 2]` flat). */
export function landmarkBox(lm: ArrayLike<number>): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < lm.length / 2; i++) {
    const x = lm[2 * i];
    const y = lm[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1 - x0, y1 - y0];
}

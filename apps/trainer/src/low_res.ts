/**
 * Low-resolution augmentation: a crop [S, S, 3] is shrunk to s × s by area averaging and brought
 * back to S × S by bilinear interpolation (pixel centres at integers: x_src = (x + ½)·s/S − ½,
 * clamped at the border), so the geometry — and the landmarks — stay where they were while the
 * detail is that of a face s pixels wide (small faces in group photos upsampled to the input).
 */
export function lowRes(image: Float32Array, S: number, s: number): Float32Array {
  if (s >= S) return image;
  const small = new Float32Array(s * s * 3);
  const k = S / s;
  for (let i = 0; i < s; i++) {
    const y0 = i * k;
    const y1 = (i + 1) * k;
    for (let j = 0; j < s; j++) {
      const x0 = j * k;
      const x1 = (j + 1) * k;
      let r = 0;
      let g = 0;
      let b = 0;
      let w = 0;
      // Clamped to S: (i + 1)·S/s can round just above S.
      for (let y = Math.floor(y0); y < Math.min(S, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(S, Math.ceil(x1)); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          const o = 3 * (y * S + x);
          const ww = wx * wy;
          r += ww * image[o];
          g += ww * image[o + 1];
          b += ww * image[o + 2];
          w += ww;
        }
      }
      const o = 3 * (i * s + j);
      small[o] = r / w;
      small[o + 1] = g / w;
      small[o + 2] = b / w;
    }
  }
  const out = new Float32Array(S * S * 3);
  const c = (v: number) => Math.min(s - 1, Math.max(0, v));
  for (let y = 0; y < S; y++) {
    const sy = c((y + 0.5) / k - 0.5);
    const ya = Math.floor(sy);
    const yb = Math.min(s - 1, ya + 1);
    const fy = sy - ya;
    for (let x = 0; x < S; x++) {
      const sx = c((x + 0.5) / k - 0.5);
      const xa = Math.floor(sx);
      const xb = Math.min(s - 1, xa + 1);
      const fx = sx - xa;
      for (let ch = 0; ch < 3; ch++) {
        const v00 = small[3 * (ya * s + xa) + ch];
        const v01 = small[3 * (ya * s + xb) + ch];
        const v10 = small[3 * (yb * s + xa) + ch];
        const v11 = small[3 * (yb * s + xb) + ch];
        out[3 * (y * S + x) + ch] =
          (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
      }
    }
  }
  return out;
}

/**
 * Bilinear grid sampling on flat typed arrays: the arithmetic behind the `GridSample` kernels
 * (forward, image gradient, coordinate gradient), shared by every backend whose tensors live in
 * JS-visible memory (cpu, wasm).
 *
 * Layouts: image [B, H, W, C], coords [B, P, 2] (x, y) with P = Ho·Wo, out / dy [B, P, C],
 * all row-major. Pixel (row i, col j) is centred at (x = j, y = i).
 *
 * Per point: x₀ = ⌊x⌋, fx = x − x₀ (likewise y); corners (x₀, y₀), (x₀+1, y₀), (x₀, y₀+1),
 * (x₀+1, y₀+1) with weights (1−fx)(1−fy), fx(1−fy), (1−fx)fy, fx·fy. A corner outside the
 * image reads 0 (`zeros`) or the nearest edge pixel (`border`, index clamping — the same values
 * and derivatives as clamping the coordinate). Using ⌊x⌋ makes the coordinate derivative at an
 * integer the one from the right. Coordinates are first limited to [−2, W + 1] × [−2, H + 1]
 * (beyond one pixel outside every point reads the same), which keeps ⌊x⌋ + 1 > ⌊x⌋ for huge
 * values; NaN coordinates give NaN outputs and gradients.
 */

export type Padding = 'zeros' | 'border';

type FloatArray = Float32Array | Float64Array;

interface Dims {
  B: number;
  H: number;
  W: number;
  C: number;
  /** Output points per batch element, Ho·Wo. */
  P: number;
}

/** Corner pixel offsets (element index of channel 0, or −1 for a zero read) and weights. */
interface Corners {
  o00: number;
  o01: number;
  o10: number;
  o11: number;
  fx: number;
  fy: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(v, hi));

/** Fills `k` for point (x, y) of batch element b; returns false for NaN coordinates. */
function corners(k: Corners, x: number, y: number, b: number, d: Dims, border: boolean): boolean {
  if (Number.isNaN(x) || Number.isNaN(y)) return false;
  const { H, W, C } = d;
  x = clamp(x, -2, W + 1);
  y = clamp(y, -2, H + 1);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  k.fx = x - x0;
  k.fy = y - y0;
  const x1 = x0 + 1;
  const y1 = y0 + 1;
  const base = b * H * W;
  if (border) {
    const cx0 = clamp(x0, 0, W - 1);
    const cx1 = clamp(x1, 0, W - 1);
    const cy0 = clamp(y0, 0, H - 1);
    const cy1 = clamp(y1, 0, H - 1);
    k.o00 = (base + cy0 * W + cx0) * C;
    k.o01 = (base + cy0 * W + cx1) * C;
    k.o10 = (base + cy1 * W + cx0) * C;
    k.o11 = (base + cy1 * W + cx1) * C;
  } else {
    const vx0 = x0 >= 0 && x0 < W;
    const vx1 = x1 >= 0 && x1 < W;
    const vy0 = y0 >= 0 && y0 < H;
    const vy1 = y1 >= 0 && y1 < H;
    k.o00 = vx0 && vy0 ? (base + y0 * W + x0) * C : -1;
    k.o01 = vx1 && vy0 ? (base + y0 * W + x1) * C : -1;
    k.o10 = vx0 && vy1 ? (base + y1 * W + x0) * C : -1;
    k.o11 = vx1 && vy1 ? (base + y1 * W + x1) * C : -1;
  }
  return true;
}

const newCorners = (): Corners => ({ o00: -1, o01: -1, o10: -1, o11: -1, fx: 0, fy: 0 });

/*
 * The three loops below share one shape: an interior fast path (all four corners inside, so
 * padding is irrelevant) tested on the float coordinates directly — `x >= 0 && x < W − 1` is
 * `0 ≤ ⌊x⌋ < W − 1`, false for NaN — where ⌊x⌋ = `x | 0` (x is non-negative and small), and
 * RGB written out; everything else (edges, outside, NaN) goes to a per-point slow path in its
 * own function, which keeps the hot loop small for V8.
 */

/** Slow path of `gridSampleForward` for one point (edge, outside or NaN). */
function forwardPoint(
  image: FloatArray,
  out: FloatArray,
  dst: number,
  x: number,
  y: number,
  b: number,
  d: Dims,
  border: boolean,
  m: number,
  k: Corners,
): void {
  const C = d.C;
  if (!corners(k, x, y, b, d, border)) {
    for (let c = 0; c < C; c++) out[dst + c] = Number.NaN;
    return;
  }
  const { o00, o01, o10, o11, fx, fy } = k;
  const w00 = (1 - fx) * (1 - fy);
  const w01 = fx * (1 - fy);
  const w10 = (1 - fx) * fy;
  const w11 = fx * fy;
  for (let c = 0; c < C; c++) {
    let s = 0;
    if (o00 >= 0) s += w00 * image[o00 + c];
    if (o01 >= 0) s += w01 * image[o01 + c];
    if (o10 >= 0) s += w10 * image[o10 + c];
    if (o11 >= 0) s += w11 * image[o11 + c];
    out[dst + c] = s * m;
  }
}

/** out[b, p, c] = bilinear sample of image at coords[b, p]. */
/**
 * `weight` [B, P] (optional) scales each output point (the layer's 0/1 visibility mask), after
 * the interpolation, so the result is bit-identical to `sample · weight`. The gradients skip
 * points of weight 0.
 */
export function gridSampleForward(
  image: FloatArray,
  coords: FloatArray,
  out: FloatArray,
  d: Dims,
  padding: Padding,
  weight: FloatArray | null = null,
): void {
  const { B, H, W, C, P } = d;
  const border = padding === 'border';
  const k = newCorners();
  const row = W * C;
  const xLim = W - 1;
  const yLim = H - 1;
  const rgb = C === 3;
  for (let b = 0; b < B; b++) {
    const base = b * H * W;
    for (let p = 0; p < P; p++) {
      const q = b * P + p;
      const dst = q * C;
      const x = coords[2 * q];
      const y = coords[2 * q + 1];
      // Applied after the sum, so that a 0/1 mask gives exactly sample · mask (−0 included).
      const m = weight === null ? 1 : weight[q];
      if (!(x >= 0 && x < xLim && y >= 0 && y < yLim)) {
        forwardPoint(image, out, dst, x, y, b, d, border, m, k);
        continue;
      }
      const x0 = x | 0;
      const y0 = y | 0;
      const fx = x - x0;
      const fy = y - y0;
      const o00 = (base + y0 * W + x0) * C;
      const o10 = o00 + row;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      if (rgb) {
        out[dst] =
          (w00 * image[o00] + w01 * image[o00 + 3] + w10 * image[o10] + w11 * image[o10 + 3]) * m;
        out[dst + 1] =
          (w00 * image[o00 + 1] +
            w01 * image[o00 + 4] +
            w10 * image[o10 + 1] +
            w11 * image[o10 + 4]) *
          m;
        out[dst + 2] =
          (w00 * image[o00 + 2] +
            w01 * image[o00 + 5] +
            w10 * image[o10 + 2] +
            w11 * image[o10 + 5]) *
          m;
      } else {
        for (let c = 0; c < C; c++) {
          out[dst + c] =
            (w00 * image[o00 + c] +
              w01 * image[o00 + C + c] +
              w10 * image[o10 + c] +
              w11 * image[o10 + C + c]) *
            m;
        }
      }
    }
  }
}

/**
 * Slow path of `gridSampleGradImage` for one point; returns false for NaN coordinates (the
 * caller then fills the whole gradient with NaN).
 */
function gradImagePoint(
  dy: FloatArray,
  dImage: FloatArray,
  src: number,
  x: number,
  y: number,
  b: number,
  d: Dims,
  border: boolean,
  m: number,
  k: Corners,
): boolean {
  if (!corners(k, x, y, b, d, border)) return false;
  const C = d.C;
  const { o00, o01, o10, o11, fx, fy } = k;
  const w00 = m * (1 - fx) * (1 - fy);
  const w01 = m * fx * (1 - fy);
  const w10 = m * (1 - fx) * fy;
  const w11 = m * fx * fy;
  for (let c = 0; c < C; c++) {
    const g = dy[src + c];
    if (o00 >= 0) dImage[o00 + c] += w00 * g;
    if (o01 >= 0) dImage[o01 + c] += w01 * g;
    if (o10 >= 0) dImage[o10 + c] += w10 * g;
    if (o11 >= 0) dImage[o11 + c] += w11 * g;
  }
  return true;
}

/**
 * dImage += transpose of the interpolation applied to dy (· weight). `dImage` must start at 0,
 * or `zeroFirst` be true: then each batch element's slice is zeroed right before it is written.
 */
export function gridSampleGradImage(
  dy: FloatArray,
  coords: FloatArray,
  dImage: FloatArray,
  d: Dims,
  padding: Padding,
  weight: FloatArray | null = null,
  zeroFirst = false,
): void {
  const { B, H, W, C, P } = d;
  const border = padding === 'border';
  const k = newCorners();
  const row = W * C;
  const xLim = W - 1;
  const yLim = H - 1;
  const rgb = C === 3;
  for (let b = 0; b < B; b++) {
    const base = b * H * W;
    if (zeroFirst) dImage.fill(0, base * C, (base + H * W) * C);
    for (let p = 0; p < P; p++) {
      const q = b * P + p;
      const src = q * C;
      const x = coords[2 * q];
      const y = coords[2 * q + 1];
      const m = weight === null ? 1 : weight[q];
      if (!(x >= 0 && x < xLim && y >= 0 && y < yLim)) {
        if (m === 0 && !Number.isNaN(x + y)) continue;
        if (!gradImagePoint(dy, dImage, src, x, y, b, d, border, m, k)) {
          // NaN coordinates: the gradient is NaN wherever the point could have read.
          dImage.fill(Number.NaN);
          return;
        }
        continue;
      }
      if (m === 0) continue;
      const x0 = x | 0;
      const y0 = y | 0;
      const fx = x - x0;
      const fy = y - y0;
      const o00 = (base + y0 * W + x0) * C;
      const o10 = o00 + row;
      const v00 = m * (1 - fx) * (1 - fy);
      const v01 = m * fx * (1 - fy);
      const v10 = m * (1 - fx) * fy;
      const v11 = m * fx * fy;
      if (rgb) {
        const g0 = dy[src];
        const g1 = dy[src + 1];
        const g2 = dy[src + 2];
        dImage[o00] += v00 * g0;
        dImage[o00 + 1] += v00 * g1;
        dImage[o00 + 2] += v00 * g2;
        dImage[o00 + 3] += v01 * g0;
        dImage[o00 + 4] += v01 * g1;
        dImage[o00 + 5] += v01 * g2;
        dImage[o10] += v10 * g0;
        dImage[o10 + 1] += v10 * g1;
        dImage[o10 + 2] += v10 * g2;
        dImage[o10 + 3] += v11 * g0;
        dImage[o10 + 4] += v11 * g1;
        dImage[o10 + 5] += v11 * g2;
      } else {
        for (let c = 0; c < C; c++) {
          const g = dy[src + c];
          dImage[o00 + c] += v00 * g;
          dImage[o00 + C + c] += v01 * g;
          dImage[o10 + c] += v10 * g;
          dImage[o10 + C + c] += v11 * g;
        }
      }
    }
  }
}

/** Slow path of `gridSampleGradCoords` for one point: writes its unweighted (gx, gy) to `g2`. */
function gradCoordsPoint(
  dy: FloatArray,
  image: FloatArray,
  src: number,
  x: number,
  y: number,
  b: number,
  d: Dims,
  border: boolean,
  k: Corners,
  g2: Float64Array,
): void {
  if (!corners(k, x, y, b, d, border)) {
    g2[0] = Number.NaN;
    g2[1] = Number.NaN;
    return;
  }
  const C = d.C;
  const { o00, o01, o10, o11, fx, fy } = k;
  let gx = 0;
  let gy = 0;
  for (let c = 0; c < C; c++) {
    const v00 = o00 >= 0 ? image[o00 + c] : 0;
    const v01 = o01 >= 0 ? image[o01 + c] : 0;
    const v10 = o10 >= 0 ? image[o10 + c] : 0;
    const v11 = o11 >= 0 ? image[o11 + c] : 0;
    const g = dy[src + c];
    gx += g * ((1 - fy) * (v01 - v00) + fy * (v11 - v10));
    gy += g * ((1 - fx) * (v10 - v00) + fx * (v11 - v01));
  }
  g2[0] = gx;
  g2[1] = gy;
}

/** dCoords[b, p] = weight[b, p] · Σ_c dy[b, p, c] · ∂out[b, p, c]/∂(x, y). */
export function gridSampleGradCoords(
  dy: FloatArray,
  image: FloatArray,
  coords: FloatArray,
  dCoords: FloatArray,
  d: Dims,
  padding: Padding,
  weight: FloatArray | null = null,
): void {
  const { B, H, W, C, P } = d;
  const border = padding === 'border';
  const k = newCorners();
  const g2 = new Float64Array(2);
  const row = W * C;
  const xLim = W - 1;
  const yLim = H - 1;
  const rgb = C === 3;
  for (let b = 0; b < B; b++) {
    const base = b * H * W;
    for (let p = 0; p < P; p++) {
      const q = b * P + p;
      const src = q * C;
      const x = coords[2 * q];
      const y = coords[2 * q + 1];
      const m = weight === null ? 1 : weight[q];
      if (!(x >= 0 && x < xLim && y >= 0 && y < yLim)) {
        if (m === 0 && !Number.isNaN(x + y)) {
          dCoords[2 * q] = 0;
          dCoords[2 * q + 1] = 0;
          continue;
        }
        gradCoordsPoint(dy, image, src, x, y, b, d, border, k, g2);
        dCoords[2 * q] = m * g2[0];
        dCoords[2 * q + 1] = m * g2[1];
        continue;
      }
      if (m === 0) {
        dCoords[2 * q] = 0;
        dCoords[2 * q + 1] = 0;
        continue;
      }
      const x0 = x | 0;
      const y0 = y | 0;
      const fx = x - x0;
      const fy = y - y0;
      const gfx = 1 - fy;
      const gfy = 1 - fx;
      const o00 = (base + y0 * W + x0) * C;
      const o10 = o00 + row;
      let gx = 0;
      let gy = 0;
      if (rgb) {
        let v00 = image[o00];
        let v01 = image[o00 + 3];
        let v10 = image[o10];
        let v11 = image[o10 + 3];
        let g = dy[src];
        gx += g * (gfx * (v01 - v00) + fy * (v11 - v10));
        gy += g * (gfy * (v10 - v00) + fx * (v11 - v01));
        v00 = image[o00 + 1];
        v01 = image[o00 + 4];
        v10 = image[o10 + 1];
        v11 = image[o10 + 4];
        g = dy[src + 1];
        gx += g * (gfx * (v01 - v00) + fy * (v11 - v10));
        gy += g * (gfy * (v10 - v00) + fx * (v11 - v01));
        v00 = image[o00 + 2];
        v01 = image[o00 + 5];
        v10 = image[o10 + 2];
        v11 = image[o10 + 5];
        g = dy[src + 2];
        gx += g * (gfx * (v01 - v00) + fy * (v11 - v10));
        gy += g * (gfy * (v10 - v00) + fx * (v11 - v01));
      } else {
        for (let c = 0; c < C; c++) {
          const v00 = image[o00 + c];
          const v01 = image[o00 + C + c];
          const v10 = image[o10 + c];
          const v11 = image[o10 + C + c];
          const g = dy[src + c];
          gx += g * (gfx * (v01 - v00) + fy * (v11 - v10));
          gy += g * (gfy * (v10 - v00) + fx * (v11 - v01));
        }
      }
      dCoords[2 * q] = m * gx;
      dCoords[2 * q + 1] = m * gy;
    }
  }
}

/**
 * The fused UV texture of a clip: every frame's visible texels, weighted by how squarely the
 * surface faced the camera and by how sharp the frame was, accumulated into one texture and a
 * coverage map. The UV grid is pose-normalised (every texel is the same point of the face in
 * every frame), so averaging texels across frames is meaningful; frames that see different sides
 * of the head fill different parts of the grid.
 *
 * Weight of texel p in a frame: w = mask_p · inside_p · max(0, n′_z,p)² · sharpness, with
 * n′ = R(θ)·n the texel's unit normal (angle-weighted, `vertexNormals` of the fitted grid mesh)
 * rotated into camera space (z towards the camera: n′_z is the cosine between the normal and the
 * direction to the camera), texels whose cosine is below `minCos` left out (grazing views
 * smear), and sharpness the variance of the Laplacian of the frame's grey face crop
 * (`varianceOfLaplacian`). The fused colour is Σ w·c / Σ w. Browser-safe, no tfjs.
 */
import { type GridModel, rotationFromAxisAngle, vertexNormals } from '@3dmm-stn/morphable-model';

/**
 * Per grid point, the cosine between its surface normal (after the rotation of θ) and the
 * direction to the camera (+z); 0 at invalid points.
 *
 * @param vertices `[res², 3]` the fitted shape in model space (mm, before the rotation).
 * @param r θ[0..2], the axis-angle rotation.
 */
export function texelViewCosines(
  grid: Pick<GridModel, 'res' | 'valid' | 'triangles'>,
  vertices: ArrayLike<number>,
  r: ArrayLike<number>,
): Float32Array {
  const n = vertexNormals(vertices, grid.triangles);
  const R = rotationFromAxisAngle([r[0], r[1], r[2]]);
  const np = grid.res * grid.res;
  const out = new Float32Array(np);
  for (let p = 0; p < np; p++) {
    if (!grid.valid[p]) continue;
    out[p] = R[6] * n[3 * p] + R[7] * n[3 * p + 1] + R[8] * n[3 * p + 2];
  }
  return out;
}

/**
 * Sharpness of an image: the variance of its 4-neighbour Laplacian on the grey image
 * (0.299 R + 0.587 G + 0.114 B), interior pixels. Blurred (motion, focus) frames score low.
 *
 * @param image `[size, size, 3]` (or `[height, width, 3]` with `width`) RGB, any value range.
 */
export function varianceOfLaplacian(
  image: ArrayLike<number>,
  width: number,
  height = image.length / (3 * width),
): number {
  const grey = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++)
    grey[i] = 0.299 * image[3 * i] + 0.587 * image[3 * i + 1] + 0.114 * image[3 * i + 2];
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let y = 1; y + 1 < height; y++)
    for (let x = 1; x + 1 < width; x++) {
      const i = y * width + x;
      const l = 4 * grey[i] - grey[i - 1] - grey[i + 1] - grey[i - width] - grey[i + width];
      sum += l;
      sq += l * l;
      n++;
    }
  if (n === 0) return 0;
  const mean = sum / n;
  return Math.max(0, sq / n - mean * mean);
}

export interface FusionFrame {
  /** `[res², 3]` the frame's UV image (0…255). */
  uv: ArrayLike<number>;
  /** `[res²]` the visibility mask (1 visible). */
  mask: ArrayLike<number>;
  /** `[res²]` per texel cosine to the view (`texelViewCosines`). */
  cosines: ArrayLike<number>;
  /** `[res², 2]` pixel of each texel in the frame: texels outside `[0, width) × [0, height)` are left out. */
  pixels?: ArrayLike<number>;
  /** The frame's size, for `pixels`. */
  width?: number;
  height?: number;
  /** The frame's sharpness (`varianceOfLaplacian` of its face crop); default 1. */
  sharpness?: number;
}

export interface FusionResult {
  /** `[res², 3]` the fused texture, 0…255 (black where no frame saw the texel). */
  uv: Uint8Array;
  /** `[res²]` grey: 255 × the largest cosine any frame saw the texel with; 0 never seen. */
  coverage: Uint8Array;
  /** Covered valid texels / valid texels. */
  covered: number;
  /** The largest single frame's covered fraction, and which frame (0-based order of `add`). */
  bestSingle: { covered: number; frame: number };
  frames: number;
}

/** Accumulates frames into one UV texture (see the module comment). */
export class UvFusion {
  private readonly sumC: Float64Array;
  private readonly sumW: Float64Array;
  private readonly bestCos: Float32Array;
  private readonly valid: Uint8Array;
  private readonly numValid: number;
  private best = { covered: 0, frame: -1 };
  private count = 0;

  /**
   * @param grid the UV grid (its `res` and `valid` points).
   * @param minCos texels seen at a cosine below this are left out of a frame. Default 0.2 (78°).
   */
  constructor(
    grid: Pick<GridModel, 'res' | 'valid'>,
    readonly minCos = 0.2,
  ) {
    const np = grid.res * grid.res;
    this.valid = grid.valid;
    this.sumC = new Float64Array(3 * np);
    this.sumW = new Float64Array(np);
    this.bestCos = new Float32Array(np);
    let v = 0;
    for (let p = 0; p < np; p++) v += grid.valid[p] ? 1 : 0;
    this.numValid = v;
  }

  /** Adds one frame; returns the fraction of valid texels it covered. */
  add(frame: FusionFrame): number {
    const np = this.sumW.length;
    const s = frame.sharpness ?? 1;
    const weight = Number.isFinite(s) && s > 0 ? s : 0;
    let seen = 0;
    for (let p = 0; p < np; p++) {
      if (!this.valid[p] || !(frame.mask[p] > 0.5)) continue;
      const c = frame.cosines[p];
      if (!(c >= this.minCos)) continue;
      if (frame.pixels && frame.width !== undefined && frame.height !== undefined) {
        const x = frame.pixels[2 * p];
        const y = frame.pixels[2 * p + 1];
        if (!(x >= 0 && y >= 0 && x <= frame.width - 1 && y <= frame.height - 1)) continue;
      }
      seen++;
      if (c > this.bestCos[p]) this.bestCos[p] = c;
      const w = c * c * weight;
      if (!(w > 0)) continue;
      this.sumW[p] += w;
      this.sumC[3 * p] += w * frame.uv[3 * p];
      this.sumC[3 * p + 1] += w * frame.uv[3 * p + 1];
      this.sumC[3 * p + 2] += w * frame.uv[3 * p + 2];
    }
    const covered = this.numValid > 0 ? seen / this.numValid : 0;
    if (covered > this.best.covered) this.best = { covered, frame: this.count };
    this.count++;
    return covered;
  }

  /** The fused texture and coverage so far. */
  result(): FusionResult {
    const np = this.sumW.length;
    const uv = new Uint8Array(3 * np);
    const coverage = new Uint8Array(np);
    let covered = 0;
    for (let p = 0; p < np; p++) {
      if (this.bestCos[p] > 0) {
        coverage[p] = Math.round(255 * Math.min(1, this.bestCos[p]));
        covered++;
      }
      const w = this.sumW[p];
      if (!(w > 0)) continue;
      for (let c = 0; c < 3; c++) {
        const v = this.sumC[3 * p + c] / w;
        uv[3 * p + c] = v > 0 ? (v < 255 ? Math.round(v) : 255) : 0;
      }
    }
    return {
      uv,
      coverage,
      covered: this.numValid > 0 ? covered / this.numValid : 0,
      bestSingle: { ...this.best },
      frames: this.count,
    };
  }
}

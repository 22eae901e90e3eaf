/**
 * The STN forward pass that fitting needs, through the `MorphableModelSTN` layer (the same
 * assembly the trainer and the web app use): θ → grid vertices in pixels → bilinear UV sample,
 * visibility mask, landmarks.
 *
 * Convention (DESIGN.md): θ = [r0 r1 r2, tx ty, log s, α…], pixels of the image θ refers to
 * (x right, y down, pixel centres at integers); UV grid row 0 at the top of the face.
 */
import { type GridModel, morphRows } from '@3dmm-stn/morphable-model';
import { type MorphableModelSTN, morphableModelSTN, type STNOutput } from '@3dmm-stn/stn-layer';
import * as tf from '@tensorflow/tfjs-core';
import { subGridModel, symmetrySubgrid } from './subgrid';

/**
 * The layers one GridModel needs for fitting, built once and reused for every face and photo;
 * `dispose()` frees their weights.
 * - `full` (uv, mask, vertices, landmarks) on the whole grid: texture extraction and the mask;
 * - `landmarks` on a one-point grid: the landmark loss without any grid work;
 * - `symmetry` (uv, landmarks) on a mirror-closed subgrid: the landmark + symmetry losses in one
 *   pass at a quarter of the sampling cost (see `symmetrySubgrid`).
 */
export class FitStn {
  readonly grid: GridModel;
  readonly full: MorphableModelSTN;
  readonly landmarks: MorphableModelSTN;
  readonly symmetry: MorphableModelSTN;
  /** [side²] full-grid point of each subgrid point, row-major; `side` the subgrid side. */
  readonly sub: { index: Int32Array; side: number };
  private disposed = false;

  constructor(grid: GridModel) {
    this.grid = grid;
    this.sub = symmetrySubgrid(grid);
    const make = (g: GridModel, outputs: STNOutput[]) =>
      morphableModelSTN({ gridModel: g, outputs });
    this.full = make(grid, ['uv', 'mask', 'vertices', 'landmarks']);
    this.landmarks = make(landmarkOnlyGrid(grid), ['landmarks']);
    this.symmetry = make(subGridModel(grid, this.sub.index, this.sub.side), ['uv', 'landmarks']);
    // One call each now: the weights and the layers' caches are allocated here, once, not at
    // the first fit (so the tensor count stays flat from then on).
    tf.tidy(() => {
      const image = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
      const theta = tf.zeros([1, 6 + grid.numModes]) as tf.Tensor2D;
      for (const layer of [this.full, this.landmarks, this.symmetry]) layer.apply([image, theta]);
    });
  }

  /** [B, L, 2] landmark pixels for θ [B, 6 + D] (differentiable). */
  projectLandmarks(theta: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const b = theta.shape[0];
      // The landmark output reads the image for its batch size only.
      const image = tf.zeros([b, 1, 1, 1]);
      return this.landmarks.apply([image, theta]) as tf.Tensor3D;
    });
  }

  /**
   * Subgrid UV image [B, side, side, C] sampled from `image` and landmarks [B, L, 2], one pass
   * (differentiable w.r.t. θ).
   */
  symmetryPass(
    image: tf.Tensor4D,
    theta: tf.Tensor2D,
  ): { uv: tf.Tensor4D; landmarks: tf.Tensor3D } {
    const [uv, landmarks] = this.symmetry.apply([image, theta]) as [tf.Tensor4D, tf.Tensor3D];
    return { uv, landmarks };
  }

  /** The full-grid outputs for θ [B, 6 + D] on `image` [B, H, W, C]. */
  forward(
    image: tf.Tensor4D,
    theta: tf.Tensor2D,
  ): { uv: tf.Tensor4D; mask: tf.Tensor4D; vertices: tf.Tensor4D; landmarks: tf.Tensor3D } {
    const [uv, mask, vertices, landmarks] = this.full.apply([image, theta]) as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor3D,
    ];
    return { uv, mask, vertices, landmarks };
  }

  /** [B, side, side, 1] the full-grid visibility mask picked at the subgrid points (no gradient). */
  subgridMask(image: tf.Tensor4D, theta: tf.Tensor2D): tf.Tensor4D {
    const out = this.forward(image, theta);
    const m = out.mask.dataSync();
    tf.dispose(Object.values(out));
    const b = theta.shape[0];
    const np = this.grid.res * this.grid.res;
    const { index, side } = this.sub;
    const n = index.length;
    const picked = new Float32Array(b * n);
    for (let i = 0; i < b; i++)
      for (let k = 0; k < n; k++) picked[i * n + k] = m[i * np + index[k]];
    return tf.tensor4d(picked, [b, side, side, 1]);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const layer of [this.full, this.landmarks, this.symmetry]) layer.dispose();
  }
}

/** Everything the outputs of one face need, on the CPU. */
export interface StnForward {
  /** [res, res, 3] float 0…255 (unmasked; 0 outside the image). */
  uv: Float32Array;
  /** [res, res] 0/1 */
  mask: Float32Array;
  /** [res², 2] pixel (x, y) of every grid point. */
  pixels: Float32Array;
  /** [res², 3] morphed model-space vertices (mm), before the rotation. */
  vertices: Float32Array;
  /** [L, 2] landmark pixels. */
  landmarks: Float32Array;
}

/**
 * The texture, mask and geometry of one face: θ [6 + D] (pixels of `image`) on `image`
 * [1, H, W, 3] → UV image, mask, vertex pixels, model-space vertices, landmarks.
 */
export function extractTexture(
  stn: FitStn,
  image: tf.Tensor4D,
  theta: ArrayLike<number>,
): StnForward {
  const grid = stn.grid;
  const P = 6 + grid.numModes;
  if (theta.length !== P)
    throw new RangeError(`extractTexture: θ must have length 6 + D = ${P}, got ${theta.length}.`);
  if (image.rank !== 4 || image.shape[0] !== 1)
    throw new RangeError(
      `extractTexture: image must be [1, H, W, C], got [${image.shape.join(', ')}].`,
    );
  const out = tf.tidy(() => stn.forward(image, tf.tensor2d(Array.from(theta), [1, P])));
  const result: StnForward = {
    uv: out.uv.dataSync() as Float32Array,
    mask: out.mask.dataSync() as Float32Array,
    pixels: out.vertices.dataSync() as Float32Array,
    vertices: morphVertices(grid, theta),
    landmarks: out.landmarks.dataSync() as Float32Array,
  };
  tf.dispose(Object.values(out));
  return result;
}

/** [res², 3] mean + Σ_d α_d · basis_d (host; the layer outputs only projected vertices). */
export function morphVertices(grid: GridModel, theta: ArrayLike<number>): Float32Array {
  return morphRows(grid.mean, grid.basis, theta, {
    offset: 6,
    modes: grid.numModes,
    out: new Float32Array(grid.mean.length),
  });
}

/**
 * A 2×2 grid with no valid point and the GridModel's landmark rows: the layer's landmark output
 * without the grid's weights (its landmark rows do not depend on the grid).
 */
function landmarkOnlyGrid(grid: GridModel): GridModel {
  return {
    ...grid,
    res: 2,
    mean: new Float32Array(12),
    basis: new Float32Array(grid.numModes * 12),
    valid: new Uint8Array(4),
    triangles: new Uint32Array(0),
    mirror: Uint32Array.from([1, 0, 3, 2]),
  };
}

import {
  engine,
  expandDims,
  getBackend,
  mul,
  type NamedAttrMap,
  op,
  type Tensor3D,
  type Tensor4D,
  tidy,
} from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/morphable-model';
import { gridSampleComposed } from './grid_sample_composed';
import { GRID_SAMPLE_BACKENDS, GridSample, GridSampleMasked } from './grid_sample_kernels';

/** What `gridSample` reads outside the image. */
export type GridSamplePadding = 'zeros' | 'border';

export interface GridSampleOptions {
  /**
   * `'zeros'` (default): the image is extended with zeros beyond its outermost pixel centres;
   * `'border'`: it is extended by repeating its edge pixels.
   */
  padding?: GridSamplePadding;
}

const PADDINGS: readonly GridSamplePadding[] = ['zeros', 'border'];

/**
 * Bilinear sampling of an image at pixel coordinates.
 *
 *   out[b, i, j, c] = Σ over the 4 pixel centres around (x, y) = coords[b, i, j] of
 *                     (1 − |x − xₖ|)(1 − |y − yₖ|) · image[b, yₖ, xₖ, c]
 *
 * **Convention:** pixel coordinates (not normalised): x right, y down, 0-based, the centre of
 * pixel (row i, col j) at (x = j, y = i); coords hold (x, y) in that order. The image is
 * extended beyond its pixel centres by zeros or by its border pixels (`padding`) and the
 * extended image is interpolated, so e.g. with zeros x = −0.5 reads half of column 0 and
 * x ≤ −1 reads 0. Bilinear interpolation is exact on images that are linear in (x, y)
 * (inside the pixel centres).
 *
 * **Gradients:** with respect to the image, the transpose of the interpolation (each output
 * gradient is scattered to the 4 neighbours with the bilinear weights). With respect to the
 * coords, the analytic derivative of the bilinear interpolant, which is piecewise linear with
 * kinks at integer x or y: there the piece on [k, k + 1) is used (the one-sided derivative from
 * the right, consistent with x₀ = ⌊x⌋). Outside the padded support (zeros) or beyond the
 * border (border) the coordinate gradient is 0.
 *
 * **Backends:** on cpu and wasm the op runs the `StnGridSample` kernels (plain typed-array
 * loops on the backend's memory, registered on first use; each gradient is computed only if
 * backprop needs it). Other backends (webgl, webgpu, tensorflow) get the same function composed
 * of tfjs ops (gather + `unsortedSegmentSum`). Second derivatives are not supported.
 * A NaN coordinate gives NaN outputs (on cpu/wasm also a NaN coordinate gradient and a NaN
 * image gradient).
 *
 * @param image [B, H, W, C] float32, H, W ≥ 1.
 * @param coords [B, Ho, Wo, 2] (x, y) pixel coordinates of the input image, float32. For
 *   scattered points (the 3DMM STN) use [B, N, 1, 2].
 * @param options padding, default `'zeros'`.
 * @returns [B, Ho, Wo, C] samples. Differentiable in image and coords.
 * @throws ShapeError on wrong shapes, Error on an unknown padding or a non-float32 input.
 */
function gridSample_(image: Tensor4D, coords: Tensor4D, options: GridSampleOptions = {}): Tensor4D {
  const bound = assertShape('gridSample', 'image', image.shape, ['B', 'H', 'W', 'C']);
  assertShape('gridSample', 'coords', coords.shape, ['B', 'Ho', 'Wo', 2], bound);
  const padding = options.padding ?? 'zeros';
  if (!PADDINGS.includes(padding)) {
    throw new Error(
      `Error in gridSample: padding must be one of ${PADDINGS.map((p) => `'${p}'`).join(', ')}, but got '${String(padding)}'.`,
    );
  }
  for (const [name, t] of [
    ['image', image],
    ['coords', coords],
  ] as const) {
    if (t.dtype !== 'float32') {
      throw new Error(`Error in gridSample: ${name} must be float32, but got ${t.dtype}.`);
    }
  }
  const [, H, W] = image.shape;
  if (H < 1 || W < 1) {
    throw new Error(
      `Error in gridSample: image must have H, W ≥ 1, but got [${image.shape.join(',')}].`,
    );
  }
  if (GRID_SAMPLE_BACKENDS.includes(getBackend() as (typeof GRID_SAMPLE_BACKENDS)[number])) {
    return engine().runKernel(GridSample, { image, coords }, {
      padding,
    } as unknown as NamedAttrMap) as Tensor4D;
  }
  return gridSampleComposed(image, coords, padding);
}

export const gridSample = op({ gridSample_ });

/**
 * `gridSample(image, coords) · mask` in one kernel on cpu and wasm (points of mask 0 skipped,
 * forward and backward); elsewhere the two ops. For the layer's `maskedUv`.
 * @param mask [B, Ho, Wo] float32 weights, a constant (no gradient flows to it).
 */
export function gridSampleMasked(
  image: Tensor4D,
  coords: Tensor4D,
  mask: Tensor3D,
  padding: GridSamplePadding,
): Tensor4D {
  if (GRID_SAMPLE_BACKENDS.includes(getBackend() as (typeof GRID_SAMPLE_BACKENDS)[number])) {
    return engine().runKernel(GridSampleMasked, { image, coords, mask }, {
      padding,
    } as unknown as NamedAttrMap) as Tensor4D;
  }
  return tidy(() => mul(gridSample(image, coords, { padding }), expandDims(mask, 3)));
}

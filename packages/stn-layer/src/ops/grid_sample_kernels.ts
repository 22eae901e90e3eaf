/**
 * The `GridSample` kernels, in tfjs house style: kernel names with typed inputs/attrs, one
 * kernel per backend, a `GradConfig`. Two backends keep tensors in JS-visible memory — cpu
 * (JS typed arrays) and wasm (the wasm heap) — so both run the same typed-array loops
 * (`grid_sample_impl.ts`) with zero-copy access; other backends use `gridSample`'s composed
 * fallback.
 *
 * Registration is explicit (`registerGridSampleKernels`) and idempotent; `gridSample` calls it
 * on first use so that importing the package has no side effects.
 */
import {
  engine,
  type GradConfig,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type Tensor,
  type TensorInfo,
  zerosLike,
} from '@tensorflow/tfjs-core';
import { JS_KERNEL_BACKENDS, type JsKernelBackend, memoryOf } from './kernel_memory';
import {
  gridSampleForward,
  gridSampleGradCoords,
  gridSampleGradImage,
  type Padding,
} from './grid_sample_impl';

export const GridSample = 'StnGridSample';
export const GridSampleGradImage = 'StnGridSampleGradImage';
export const GridSampleGradCoords = 'StnGridSampleGradCoords';
/**
 * `GridSample` times a per-point weight (the layer's 0/1 mask) in the same pass; points of
 * weight 0 are skipped forward and backward. Internal to the layer (`maskedUv`).
 */
export const GridSampleMasked = 'StnGridSampleMasked';
/** image, coords as `GridSample`; mask [B, Ho, Wo] (no gradient). */
export type GridSampleMaskedInputs = GridSampleInputs & { mask: TensorInfo };

/** image [B, H, W, C] float32, coords [B, Ho, Wo, 2] float32 → [B, Ho, Wo, C]. */
export type GridSampleInputs = { image: TensorInfo; coords: TensorInfo };
export interface GridSampleAttrs {
  padding: Padding;
}
/** dy [B, Ho, Wo, C], coords [B, Ho, Wo, 2] → dImage of shape attrs.imageShape. */
export type GridSampleGradImageInputs = { dy: TensorInfo; coords: TensorInfo };
export interface GridSampleGradImageAttrs {
  padding: Padding;
  imageShape: number[];
}
/** dy [B, Ho, Wo, C], image [B, H, W, C], coords [B, Ho, Wo, 2] → dCoords [B, Ho, Wo, 2]. */
export type GridSampleGradCoordsInputs = { dy: TensorInfo; image: TensorInfo; coords: TensorInfo };

/** Backends whose kernels here exist. */
export const GRID_SAMPLE_BACKENDS = JS_KERNEL_BACKENDS;

function dims(image: readonly number[], coords: readonly number[]) {
  const [B, H, W, C] = image;
  return { B, H, W, C, P: coords[1] * coords[2] };
}

function kernels(kind: JsKernelBackend) {
  const memory = (backend: unknown) => memoryOf(kind, backend);
  // `mask` is an optional input of every kernel here (present for GridSampleMasked).
  const maskOf = (inputs: object) => (inputs as { mask?: TensorInfo }).mask ?? null;
  const forward: KernelFunc = ({ inputs, backend, attrs }) => {
    const { image, coords } = inputs as GridSampleInputs;
    const mask = maskOf(inputs);
    const { padding } = attrs as unknown as GridSampleAttrs;
    const [B, Ho, Wo] = coords.shape;
    return memory(backend).output(
      [B, Ho, Wo, image.shape[3]],
      (out, read) =>
        gridSampleForward(
          read(image),
          read(coords),
          out,
          dims(image.shape, coords.shape),
          padding,
          mask && read(mask),
        ),
      false, // every element is written
    );
  };
  const gradImage: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, coords } = inputs as GridSampleGradImageInputs;
    const mask = maskOf(inputs);
    const { padding, imageShape } = attrs as unknown as GridSampleGradImageAttrs;
    // Not zeroed here: the loop zeroes each batch element's slice just before scattering into
    // it, while that slice is still in cache.
    return memory(backend).output(
      imageShape,
      (out, read) =>
        gridSampleGradImage(
          read(dy),
          read(coords),
          out,
          dims(imageShape, coords.shape),
          padding,
          mask && read(mask),
          true,
        ),
      false,
    );
  };
  const gradCoords: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, image, coords } = inputs as GridSampleGradCoordsInputs;
    const mask = maskOf(inputs);
    const { padding } = attrs as unknown as GridSampleAttrs;
    return memory(backend).output(
      coords.shape,
      (out, read) =>
        gridSampleGradCoords(
          read(dy),
          read(image),
          read(coords),
          out,
          dims(image.shape, coords.shape),
          padding,
          mask && read(mask),
        ),
      false, // every element is written
    );
  };
  return { forward, gradImage, gradCoords };
}

const KERNELS: Record<JsKernelBackend, ReturnType<typeof kernels>> = {
  cpu: kernels('cpu'),
  wasm: kernels('wasm'),
};

/** Gradients of `GridSample`; each input's gradient is computed only if backprop asks for it. */
export const gridSampleGradConfig: GradConfig = {
  kernelName: GridSample,
  inputsToSave: ['image', 'coords'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [image, coords] = saved;
    const { padding } = attrs as unknown as GridSampleAttrs;
    return {
      image: () =>
        engine().runKernel(GridSampleGradImage, { dy: dy as Tensor, coords }, {
          padding,
          imageShape: image.shape,
        } as unknown as NamedAttrMap) as Tensor,
      coords: () =>
        engine().runKernel(GridSampleGradCoords, { dy: dy as Tensor, image, coords }, {
          padding,
        } as unknown as NamedAttrMap) as Tensor,
    };
  },
};

/** Gradients of `GridSampleMasked`: those of `GridSample` with dy scaled by the mask. */
export const gridSampleMaskedGradConfig: GradConfig = {
  kernelName: GridSampleMasked,
  inputsToSave: ['image', 'coords', 'mask'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [image, coords, mask] = saved;
    const { padding } = attrs as unknown as GridSampleAttrs;
    const g = dy as Tensor;
    return {
      image: () =>
        engine().runKernel(GridSampleGradImage, { dy: g, coords, mask }, {
          padding,
          imageShape: image.shape,
        } as unknown as NamedAttrMap) as Tensor,
      coords: () =>
        engine().runKernel(GridSampleGradCoords, { dy: g, image, coords, mask }, {
          padding,
        } as unknown as NamedAttrMap) as Tensor,
      // The mask is a constant (no gradient by design); zeros if a caller ever asks.
      mask: () => zerosLike(mask),
    };
  },
};

/** Kernels of this module for every backend with JS kernels (cpu, wasm); registered by
 * `register_all_kernels.ts`. */
export const gridSampleKernelConfigs: KernelConfig[] = JS_KERNEL_BACKENDS.flatMap(
  (backendName): KernelConfig[] => {
    const k = KERNELS[backendName];
    return [
      { kernelName: GridSample, backendName, kernelFunc: k.forward },
      { kernelName: GridSampleGradImage, backendName, kernelFunc: k.gradImage },
      { kernelName: GridSampleGradCoords, backendName, kernelFunc: k.gradCoords },
      { kernelName: GridSampleMasked, backendName, kernelFunc: k.forward },
    ];
  },
);

/** Gradients of this module's ops; registered by `register_all_kernels.ts`. */
export const gridSampleGradConfigs: GradConfig[] = [
  gridSampleGradConfig,
  gridSampleMaskedGradConfig,
];

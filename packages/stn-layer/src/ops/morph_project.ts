/**
 * The morphable model's grid generator in one kernel on cpu and wasm: p = M(pose)·(X + mean) + t
 * for X = α·basis (a matMul the backend does well), so the broadcasting `mean + α·basis`, the
 * three θ slices and their concat, and the separate projection pass are gone. Internal to the
 * layer (the public ops stay `morphShape` + `projectVertices`); tested against them.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  engine,
  type GradConfig,
  getBackend,
  type KernelConfig,
  type KernelFunc,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  isJsKernelBackend,
  JS_KERNEL_BACKENDS,
  type JsKernelBackend,
  memoryOf,
} from './kernel_memory';
import { projectVertices } from './project_vertices';
import {
  projectVerticesForward,
  projectVerticesGradMean,
  projectVerticesGradPose,
} from './project_vertices_impl';
import { ProjectVerticesGradX } from './project_vertices_kernels';

export const MorphProject = 'StnMorphProject';
export const MorphProjectGradMean = 'StnMorphProjectGradMean';
export const MorphProjectGradPose = 'StnMorphProjectGradPose';

/** offsets [B, N, 3], mean [N, 3], pose [B, 6] → p [B, N, 2]. */
export type MorphProjectInputs = { offsets: TensorInfo; mean: TensorInfo; pose: TensorInfo };
/** dy [B, N, 2], pose [B, 6] → dMean [N, 3]. */
export type MorphProjectGradMeanInputs = { dy: TensorInfo; pose: TensorInfo };
/** dy [B, N, 2], offsets [B, N, 3], mean [N, 3], pose [B, 6] → dPose [B, 6]. */
export type MorphProjectGradPoseInputs = {
  dy: TensorInfo;
  offsets: TensorInfo;
  mean: TensorInfo;
  pose: TensorInfo;
};

function kernels(kind: JsKernelBackend) {
  const forward: KernelFunc = ({ inputs, backend }) => {
    const { offsets, mean, pose } = inputs as MorphProjectInputs;
    const [B, N] = offsets.shape;
    return memoryOf(kind, backend).output([B, N, 2], (out, read) =>
      projectVerticesForward(read(offsets), read(pose), out, B, N, read(mean)),
    );
  };
  const gradMean: KernelFunc = ({ inputs, backend }) => {
    const { dy, pose } = inputs as MorphProjectGradMeanInputs;
    const [B, N] = dy.shape;
    return memoryOf(kind, backend).output([N, 3], (out, read) =>
      projectVerticesGradMean(read(dy), read(pose), out, B, N),
    );
  };
  const gradPose: KernelFunc = ({ inputs, backend }) => {
    const { dy, offsets, mean, pose } = inputs as MorphProjectGradPoseInputs;
    const [B, N] = offsets.shape;
    return memoryOf(kind, backend).output([B, 6], (out, read) =>
      projectVerticesGradPose(read(dy), read(offsets), read(pose), out, B, N, read(mean)),
    );
  };
  return { forward, gradMean, gradPose };
}

const KERNELS: Record<JsKernelBackend, ReturnType<typeof kernels>> = {
  cpu: kernels('cpu'),
  wasm: kernels('wasm'),
};

/** Gradients of `MorphProject`; each computed only if backprop asks for it. */
export const morphProjectGradConfig: GradConfig = {
  kernelName: MorphProject,
  inputsToSave: ['offsets', 'mean', 'pose'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [offsets, mean, pose] = saved;
    const g = dy as Tensor;
    return {
      // ∂p/∂X is the same with or without the mean: the ProjectVertices X gradient.
      offsets: () => engine().runKernel(ProjectVerticesGradX, { dy: g, pose }) as Tensor,
      mean: () => engine().runKernel(MorphProjectGradMean, { dy: g, pose }) as Tensor,
      pose: () =>
        engine().runKernel(MorphProjectGradPose, { dy: g, offsets, mean, pose }) as Tensor,
    };
  },
};

/** Kernels of this module for every backend with JS kernels (cpu, wasm); registered by
 * `register_all_kernels.ts`. */
export const morphProjectKernelConfigs: KernelConfig[] = JS_KERNEL_BACKENDS.flatMap(
  (backendName): KernelConfig[] => {
    const k = KERNELS[backendName];
    return [
      { kernelName: MorphProject, backendName, kernelFunc: k.forward },
      { kernelName: MorphProjectGradMean, backendName, kernelFunc: k.gradMean },
      { kernelName: MorphProjectGradPose, backendName, kernelFunc: k.gradPose },
    ];
  },
);

/** Gradients of this module's ops; registered by `register_all_kernels.ts`. */
export const morphProjectGradConfigs: GradConfig[] = [morphProjectGradConfig];

/**
 * p = exp(log s)·[x′, −y′] + t with X′ = R(r)(offsets + mean), pose = (r0 r1 r2, tx ty, log s).
 * Differentiable in offsets, mean and pose. On backends without the kernel it is
 * `projectVertices(offsets + mean, …)`.
 *
 * @param offsets [B, N, 3] (α·basis reshaped).
 * @param mean [N, 3].
 * @param pose [B, 6] (the first 6 columns of θ).
 * @returns [B, N, 2] pixel coordinates.
 */
export function morphProject(offsets: Tensor3D, mean: Tensor2D, pose: Tensor2D): Tensor3D {
  if (isJsKernelBackend(getBackend())) {
    return engine().runKernel(MorphProject, { offsets, mean, pose }) as Tensor3D;
  }
  return morphProjectComposed(offsets, mean, pose);
}

/** `morphProject` composed of tfjs ops, for backends without the kernel. */
export function morphProjectComposed(offsets: Tensor3D, mean: Tensor2D, pose: Tensor2D): Tensor3D {
  return tf.tidy(() => {
    const b = pose.shape[0];
    const X = tf.add(offsets, tf.expandDims(mean, 0)) as Tensor3D;
    return projectVertices(
      X,
      tf.slice(pose, [0, 0], [b, 3]),
      tf.slice(pose, [0, 3], [b, 2]),
      tf.slice(pose, [0, 5], [b, 1]),
    );
  });
}

/**
 * α·basis [B, 3N] whose α gradient is `dy · basisT` with a caller-cached `basisT` [3N, D]: the
 * wasm backend's matMul with `transposeB` (what tfjs's own MatMul gradient uses) is ~10× slower
 * than on a pre-transposed operand at this shape (8.5 vs 0.6 ms for [8, 37632] · [37632, 10]).
 * No gradient reaches `basis` (the layer's non-trainable weight).
 */
export function morphOffsets(alpha: Tensor2D, basis: Tensor2D, basisT: Tensor2D): Tensor2D {
  const f = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const a = args[0] as Tensor2D;
    return {
      value: tf.matMul(a, basis),
      gradFunc: (dy: Tensor | Tensor[]) => tf.matMul(dy as Tensor2D, basisT),
    };
  });
  return f(alpha) as Tensor2D;
}

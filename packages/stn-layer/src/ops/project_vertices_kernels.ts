/**
 * The `ProjectVertices` kernels (cpu and wasm, one typed-array loop for both) and their
 * `GradConfig`: p = exp(log s) · [x′, −y′] + t with X′ = R(r) X, for X [B, N, 3] and
 * pose [B, 6] = (r0 r1 r2, tx ty, log s). Fusing rotation, projection and translation into one
 * pass replaces ~40 small tfjs ops whose per-op overhead dominates at this size.
 */
import {
  engine,
  type GradConfig,
  type KernelConfig,
  type KernelFunc,
  type Tensor,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { JS_KERNEL_BACKENDS, type JsKernelBackend, memoryOf } from './kernel_memory';
import {
  projectVerticesForward,
  projectVerticesGradPose,
  projectVerticesGradX,
} from './project_vertices_impl';

export const ProjectVertices = 'StnProjectVertices';
export const ProjectVerticesGradX = 'StnProjectVerticesGradX';
export const ProjectVerticesGradPose = 'StnProjectVerticesGradPose';

/** X [B, N, 3], pose [B, 6] → p [B, N, 2]. */
export type ProjectVerticesInputs = { X: TensorInfo; pose: TensorInfo };
/** dy [B, N, 2], pose [B, 6] → dX [B, N, 3]. */
export type ProjectVerticesGradXInputs = { dy: TensorInfo; pose: TensorInfo };
/** dy [B, N, 2], X [B, N, 3], pose [B, 6] → dPose [B, 6]. */
export type ProjectVerticesGradPoseInputs = { dy: TensorInfo; X: TensorInfo; pose: TensorInfo };

function kernels(kind: JsKernelBackend) {
  const forward: KernelFunc = ({ inputs, backend }) => {
    const { X, pose } = inputs as ProjectVerticesInputs;
    const [B, N] = X.shape;
    return memoryOf(kind, backend).output([B, N, 2], (out, read) =>
      projectVerticesForward(read(X), read(pose), out, B, N),
    );
  };
  const gradX: KernelFunc = ({ inputs, backend }) => {
    const { dy, pose } = inputs as ProjectVerticesGradXInputs;
    const [B, N] = dy.shape;
    return memoryOf(kind, backend).output([B, N, 3], (out, read) =>
      projectVerticesGradX(read(dy), read(pose), out, B, N),
    );
  };
  const gradPose: KernelFunc = ({ inputs, backend }) => {
    const { dy, X, pose } = inputs as ProjectVerticesGradPoseInputs;
    const [B, N] = X.shape;
    return memoryOf(kind, backend).output([B, 6], (out, read) =>
      projectVerticesGradPose(read(dy), read(X), read(pose), out, B, N),
    );
  };
  return { forward, gradX, gradPose };
}

const KERNELS: Record<JsKernelBackend, ReturnType<typeof kernels>> = {
  cpu: kernels('cpu'),
  wasm: kernels('wasm'),
};

/** Gradients of `ProjectVertices`; each computed only if backprop asks for it. */
export const projectVerticesGradConfig: GradConfig = {
  kernelName: ProjectVertices,
  inputsToSave: ['X', 'pose'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [X, pose] = saved;
    return {
      X: () => engine().runKernel(ProjectVerticesGradX, { dy: dy as Tensor, pose }) as Tensor,
      pose: () =>
        engine().runKernel(ProjectVerticesGradPose, { dy: dy as Tensor, X, pose }) as Tensor,
    };
  },
};

/** Kernels of this module for every backend with JS kernels (cpu, wasm); registered by
 * `register_all_kernels.ts`. */
export const projectVerticesKernelConfigs: KernelConfig[] = JS_KERNEL_BACKENDS.flatMap(
  (backendName): KernelConfig[] => {
    const k = KERNELS[backendName];
    return [
      { kernelName: ProjectVertices, backendName, kernelFunc: k.forward },
      { kernelName: ProjectVerticesGradX, backendName, kernelFunc: k.gradX },
      { kernelName: ProjectVerticesGradPose, backendName, kernelFunc: k.gradPose },
    ];
  },
);

/** Gradients of this module's ops; registered by `register_all_kernels.ts`. */
export const projectVerticesGradConfigs: GradConfig[] = [projectVerticesGradConfig];

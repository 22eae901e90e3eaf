/**
 * Kernels for `axisAngleToRotation` and `rotateVertices` on cpu and wasm (typed-array loops,
 * float64 Rodrigues with Taylor branches from `project_vertices_impl.ts`) and their
 * `GradConfig`s. At B = 8 the composed `axisAngleToRotation` is ~35 tiny tfjs ops whose
 * per-op overhead dominates; `rotateVertices` is a batched matMul with inner size 3.
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
import { rodrigues } from '@3dmm-stn/morphable-model';

export const AxisAngleToRotation = 'StnAxisAngleToRotation';
export const AxisAngleToRotationGrad = 'StnAxisAngleToRotationGrad';
export const RotateVertices = 'StnRotateVertices';
export const RotateVerticesGradX = 'StnRotateVerticesGradX';
export const RotateVerticesGradR = 'StnRotateVerticesGradR';

/** r [B, 3] → R [B, 3, 3]. */
export type AxisAngleToRotationInputs = { r: TensorInfo };
/** dy [B, 3, 3], r [B, 3] → dr [B, 3]. */
export type AxisAngleToRotationGradInputs = { dy: TensorInfo; r: TensorInfo };
/** X [B, N, 3], R [B, 3, 3] → X′ [B, N, 3], X′ₙ = R Xₙ. */
export type RotateVerticesInputs = { X: TensorInfo; R: TensorInfo };
/** dy [B, N, 3], R [B, 3, 3] → dX [B, N, 3]. */
export type RotateVerticesGradXInputs = { dy: TensorInfo; R: TensorInfo };
/** dy [B, N, 3], X [B, N, 3] → dR [B, 3, 3]. */
export type RotateVerticesGradRInputs = { dy: TensorInfo; X: TensorInfo };

function kernels(kind: JsKernelBackend) {
  const mem = (backend: unknown) => memoryOf(kind, backend);
  const rotation: KernelFunc = ({ inputs, backend }) => {
    const { r } = inputs as AxisAngleToRotationInputs;
    const B = r.shape[0];
    return mem(backend).output([B, 3, 3], (out, read) => {
      const rv = read(r);
      const R = new Float64Array(9);
      for (let b = 0; b < B; b++) {
        rodrigues(rv[3 * b], rv[3 * b + 1], rv[3 * b + 2], R);
        out.set(R, 9 * b);
      }
    });
  };
  const rotationGrad: KernelFunc = ({ inputs, backend }) => {
    const { dy, r } = inputs as AxisAngleToRotationGradInputs;
    const B = r.shape[0];
    return mem(backend).output([B, 3], (out, read) => {
      const rv = read(r);
      const g = read(dy);
      const R = new Float64Array(9);
      const jac = new Float64Array(27);
      for (let b = 0; b < B; b++) {
        rodrigues(rv[3 * b], rv[3 * b + 1], rv[3 * b + 2], R, jac);
        for (let k = 0; k < 3; k++) {
          let s = 0;
          for (let e = 0; e < 9; e++) s += g[9 * b + e] * jac[9 * k + e];
          out[3 * b + k] = s;
        }
      }
    });
  };
  const rotate: KernelFunc = ({ inputs, backend }) => {
    const { X, R } = inputs as RotateVerticesInputs;
    const [B, N] = X.shape;
    return mem(backend).output([B, N, 3], (out, read) => {
      const x = read(X);
      const m = read(R);
      for (let b = 0; b < B; b++) {
        const o = 9 * b;
        for (let n = 0; n < N; n++) {
          const i = (b * N + n) * 3;
          const x0 = x[i];
          const x1 = x[i + 1];
          const x2 = x[i + 2];
          out[i] = m[o] * x0 + m[o + 1] * x1 + m[o + 2] * x2;
          out[i + 1] = m[o + 3] * x0 + m[o + 4] * x1 + m[o + 5] * x2;
          out[i + 2] = m[o + 6] * x0 + m[o + 7] * x1 + m[o + 8] * x2;
        }
      }
    });
  };
  const rotateGradX: KernelFunc = ({ inputs, backend }) => {
    const { dy, R } = inputs as RotateVerticesGradXInputs;
    const [B, N] = dy.shape;
    return mem(backend).output([B, N, 3], (out, read) => {
      const g = read(dy);
      const m = read(R);
      for (let b = 0; b < B; b++) {
        const o = 9 * b;
        for (let n = 0; n < N; n++) {
          const i = (b * N + n) * 3;
          const g0 = g[i];
          const g1 = g[i + 1];
          const g2 = g[i + 2];
          // dX = Rᵀ dy
          out[i] = m[o] * g0 + m[o + 3] * g1 + m[o + 6] * g2;
          out[i + 1] = m[o + 1] * g0 + m[o + 4] * g1 + m[o + 7] * g2;
          out[i + 2] = m[o + 2] * g0 + m[o + 5] * g1 + m[o + 8] * g2;
        }
      }
    });
  };
  const rotateGradR: KernelFunc = ({ inputs, backend }) => {
    const { dy, X } = inputs as RotateVerticesGradRInputs;
    const [B, N] = X.shape;
    return mem(backend).output([B, 3, 3], (out, read) => {
      const g = read(dy);
      const x = read(X);
      const acc = new Float64Array(9);
      for (let b = 0; b < B; b++) {
        acc.fill(0);
        for (let n = 0; n < N; n++) {
          const i = (b * N + n) * 3;
          for (let p = 0; p < 3; p++) {
            const gp = g[i + p];
            acc[3 * p] += gp * x[i];
            acc[3 * p + 1] += gp * x[i + 1];
            acc[3 * p + 2] += gp * x[i + 2];
          }
        }
        out.set(acc, 9 * b);
      }
    });
  };
  return { rotation, rotationGrad, rotate, rotateGradX, rotateGradR };
}

const KERNELS: Record<JsKernelBackend, ReturnType<typeof kernels>> = {
  cpu: kernels('cpu'),
  wasm: kernels('wasm'),
};

export const axisAngleToRotationGradConfig: GradConfig = {
  kernelName: AxisAngleToRotation,
  inputsToSave: ['r'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [r] = saved;
    return {
      r: () => engine().runKernel(AxisAngleToRotationGrad, { dy: dy as Tensor, r }) as Tensor,
    };
  },
};

export const rotateVerticesGradConfig: GradConfig = {
  kernelName: RotateVertices,
  inputsToSave: ['X', 'R'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [X, R] = saved;
    return {
      X: () => engine().runKernel(RotateVerticesGradX, { dy: dy as Tensor, R }) as Tensor,
      R: () => engine().runKernel(RotateVerticesGradR, { dy: dy as Tensor, X }) as Tensor,
    };
  },
};

/** Kernels of this module for every backend with JS kernels (cpu, wasm); registered by
 * `register_all_kernels.ts`. */
export const rotationKernelConfigs: KernelConfig[] = JS_KERNEL_BACKENDS.flatMap(
  (backendName): KernelConfig[] => {
    const k = KERNELS[backendName];
    return [
      { kernelName: AxisAngleToRotation, backendName, kernelFunc: k.rotation },
      { kernelName: AxisAngleToRotationGrad, backendName, kernelFunc: k.rotationGrad },
      { kernelName: RotateVertices, backendName, kernelFunc: k.rotate },
      { kernelName: RotateVerticesGradX, backendName, kernelFunc: k.rotateGradX },
      { kernelName: RotateVerticesGradR, backendName, kernelFunc: k.rotateGradR },
    ];
  },
);

/** Gradients of this module's ops; registered by `register_all_kernels.ts`. */
export const rotationGradConfigs: GradConfig[] = [
  axisAngleToRotationGradConfig,
  rotateVerticesGradConfig,
];

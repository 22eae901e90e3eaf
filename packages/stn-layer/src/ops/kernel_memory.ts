/**
 * Typed-array access to tensors for the package's JS kernels. The cpu backend keeps tensors in
 * JS typed arrays and the wasm backend in its heap, so one plain loop serves both, with
 * zero-copy views. Structural types, so that the library depends on tfjs-core only.
 */
import {
  type BackendValues,
  type DataId,
  type DataType,
  getKernel,
  type KernelConfig,
  registerKernel,
  type TensorInfo,
  type TypedArray,
} from '@tensorflow/tfjs-core';

/** Backends with JS kernels in this package. */
export const JS_KERNEL_BACKENDS = ['cpu', 'wasm'] as const;
export type JsKernelBackend = (typeof JS_KERNEL_BACKENDS)[number];

export const isJsKernelBackend = (name: string): name is JsKernelBackend =>
  (JS_KERNEL_BACKENDS as readonly string[]).includes(name);

/** float32 views of inputs, and float32 outputs filled by a callback. */
export interface Memory {
  read(t: TensorInfo): Float32Array;
  /**
   * Allocates a float32 output, zero-filled unless `zeroed` is false (then `fill` must write
   * every element), and lets `fill` write it. Input views must be taken inside `fill` (with its
   * `read`): allocating can move the wasm heap.
   */
  output(
    shape: number[],
    fill: (out: Float32Array, read: (t: TensorInfo) => Float32Array) => void,
    zeroed?: boolean,
  ): TensorInfo;
}

interface CpuBackendLike {
  data: { get(id: DataId): { values: BackendValues } };
  makeTensorInfo(shape: number[], dtype: DataType, values?: BackendValues): TensorInfo;
}
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): TypedArray;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function cpuMemory(backend: CpuBackendLike): Memory {
  const read = (t: TensorInfo) => backend.data.get(t.dataId).values as Float32Array;
  return {
    read,
    output(shape, fill) {
      const out = new Float32Array(size(shape));
      fill(out, read);
      return backend.makeTensorInfo(shape, 'float32', out);
    },
  };
}

function wasmMemory(backend: WasmBackendLike): Memory {
  const read = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  return {
    read,
    output(shape, fill, zeroed = true) {
      const info = backend.makeOutput(shape, 'float32');
      const out = backend.typedArrayFromHeap(info) as Float32Array;
      if (zeroed) out.fill(0);
      fill(out, read);
      return info;
    },
  };
}

/** The memory adapter for a backend instance of the given kind. */
export function memoryOf(kind: JsKernelBackend, backend: unknown): Memory {
  return kind === 'cpu'
    ? cpuMemory(backend as CpuBackendLike)
    : wasmMemory(backend as WasmBackendLike);
}

/** Registers each config unless that kernel already exists; returns "name/backend" of new ones. */
export function registerMissing(configs: KernelConfig[]): string[] {
  const done: string[] = [];
  for (const config of configs) {
    if (getKernel(config.kernelName, config.backendName) == null) {
      registerKernel(config);
      done.push(`${config.kernelName}/${config.backendName}`);
    }
  }
  return done;
}

/**
 * Typed-array access to a tfjs backend's tensor memory: the one adapter through which every JS
 * kernel of the project (the STN ops in `@3dmm-stn/stn-layer`, the training kernels and the
 * in-place Adam of `@3dmm-stn/backend`) reads its inputs and writes its outputs. The cpu backend
 * keeps tensors in JS typed arrays, the wasm backend in its heap; both are reached with zero-copy
 * views, so one plain loop serves both. Structural types only: this package depends on nothing
 * (not even tfjs), so it can be shared by packages built on `tfjs-core` and on `tfjs`.
 */

/** The part of tfjs's `TensorInfo` this adapter uses. */
export interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

/** Output element types the adapter allocates. */
export type KernelOutputDtype = 'float32' | 'int32';

/** Backends whose tensor memory the adapter reaches. */
export const HEAP_BACKENDS = ['cpu', 'wasm'] as const;
export type HeapBackend = (typeof HEAP_BACKENDS)[number];

export const isHeapBackend = (name: string): name is HeapBackend =>
  (HEAP_BACKENDS as readonly string[]).includes(name);

export interface KernelMemory<TI extends TensorInfoLike = TensorInfoLike> {
  /** float32 view of a float32 tensor's values (zero-copy). */
  read(t: TI): Float32Array;
  /** View of a tensor's values in its own element type (zero-copy). */
  view(t: TI): Float32Array | Int32Array | Uint8Array;
  /**
   * Allocates an output (float32 unless `dtype` says otherwise), zero-filled unless `zeroed` is
   * false (then `fill` must write every element), and lets `fill` write it. Input views must be
   * taken inside `fill` (with its `read`/`view`): allocating can grow, and so detach, the wasm heap.
   */
  output<A extends Float32Array | Int32Array = Float32Array>(
    shape: number[],
    fill: (out: A, read: (t: TI) => Float32Array, view: KernelMemory<TI>['view']) => void,
    zeroed?: boolean,
    dtype?: KernelOutputDtype,
  ): TI;
}

interface CpuBackendLike<TI> {
  data: { get(id: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: string, values?: unknown): TI;
}
interface WasmBackendLike<TI> {
  makeOutput(shape: number[], dtype: string): TI;
  typedArrayFromHeap(t: TI): Float32Array | Int32Array | Uint8Array;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function cpuMemory<TI extends TensorInfoLike>(backend: CpuBackendLike<TI>): KernelMemory<TI> {
  const view = (t: TI) =>
    backend.data.get(t.dataId).values as Float32Array | Int32Array | Uint8Array;
  const read = (t: TI) => view(t) as Float32Array;
  return {
    read,
    view,
    output(shape, fill, _zeroed, dtype = 'float32') {
      // A fresh typed array is already zero-filled.
      const out = dtype === 'int32' ? new Int32Array(size(shape)) : new Float32Array(size(shape));
      fill(out as never, read, view);
      return backend.makeTensorInfo(shape, dtype, out);
    },
  };
}

function wasmMemory<TI extends TensorInfoLike>(backend: WasmBackendLike<TI>): KernelMemory<TI> {
  const view = (t: TI) => backend.typedArrayFromHeap(t);
  const read = (t: TI) => view(t) as Float32Array;
  return {
    read,
    view,
    output(shape, fill, zeroed = true, dtype = 'float32') {
      const info = backend.makeOutput(shape, dtype);
      // The view is taken after the allocation: it can grow (and detach) the heap.
      const out = backend.typedArrayFromHeap(info) as Float32Array | Int32Array;
      if (zeroed) out.fill(0);
      fill(out as never, read, view);
      return info;
    },
  };
}

/**
 * The memory adapter of a backend instance of the given kind (`tf.backend()` inside a kernel:
 * the `backend` argument of a kernel function).
 */
export function memoryOf<TI extends TensorInfoLike>(
  kind: HeapBackend,
  backend: unknown,
): KernelMemory<TI> {
  return kind === 'cpu'
    ? cpuMemory(backend as CpuBackendLike<TI>)
    : wasmMemory(backend as WasmBackendLike<TI>);
}

/**
 * The package's JS kernels reach tensor memory through the project's one adapter
 * (`memoryOf` of `@3dmm-stn/checks`, shared with `@3dmm-stn/backend`'s kernels); this module
 * names the backends they are registered for and registers kernel configs idempotently.
 */
import {
  HEAP_BACKENDS,
  type HeapBackend,
  isHeapBackend,
  type KernelMemory,
  memoryOf as sharedMemoryOf,
} from '@3dmm-stn/checks';
import {
  getKernel,
  type KernelConfig,
  registerKernel,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/** Backends with JS kernels in this package: those the shared memory adapter reaches. */
export const JS_KERNEL_BACKENDS = HEAP_BACKENDS;
export type JsKernelBackend = HeapBackend;
export const isJsKernelBackend = isHeapBackend;

/** float32 views of inputs, and float32 outputs filled by a callback (`@3dmm-stn/checks`). */
export type Memory = KernelMemory<TensorInfo>;

/** The memory adapter for a backend instance of the given kind. */
export const memoryOf = (kind: JsKernelBackend, backend: unknown): Memory =>
  sharedMemoryOf<TensorInfo>(kind, backend);

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

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getKernel, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';

/** The wasm backend's name in the tfjs kernel registry. */
export const WASM = 'wasm';

/**
 * Runs one of the wasm backend's own kernels from inside another kernel. The result is a new
 * backend buffer that the caller owns: hand it back to the engine or free it with
 * {@link freeAll}. (Kernels run here do not go through the engine, so they are neither
 * recorded on the gradient tape nor counted by `tf.memory()`.)
 */
export function runWasmKernel(
  kernelName: string,
  inputs: Record<string, TensorInfo> | TensorInfo[],
  attrs: NamedAttrMap,
  backend: BackendWasm,
): TensorInfo {
  const kernel = getKernel(kernelName, WASM);
  if (kernel === undefined) {
    throw new Error(
      `@3dmm-stn/backend: the wasm backend has no '${kernelName}' kernel to compose with ` +
        `(is @tensorflow/tfjs-backend-wasm 4.22 loaded?).`,
    );
  }
  const out = kernel.kernelFunc({
    inputs: inputs as unknown as Record<string, TensorInfo>,
    attrs,
    backend,
  });
  if (Array.isArray(out)) {
    throw new Error(`@3dmm-stn/backend: wasm kernel '${kernelName}' returned several outputs.`);
  }
  return out;
}

/** Frees intermediate buffers made by {@link runWasmKernel} (reference counted by the backend). */
export function freeAll(backend: BackendWasm, infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

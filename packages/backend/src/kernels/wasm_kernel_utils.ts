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

/**
 * Zero-stuffs an NHWC gradient for a strided convolution's backward pass: dy [B, oh, ow, C]
 * becomes [B, oh·sh, ow·sw, C] with sh−1 zero rows after every row and sw−1 zero columns after
 * every column, so that a stride-1 convolution over it equals the strided transpose. Returns dy
 * itself when both strides are 1; every intermediate it creates is pushed onto `temps` for the
 * caller to free.
 */
export function zeroStuff(
  dy: TensorInfo,
  [B, oh, ow, C]: readonly number[],
  sh: number,
  sw: number,
  backend: BackendWasm,
  temps: TensorInfo[],
): TensorInfo {
  if (sh === 1 && sw === 1) return dy;
  const dy6 = runWasmKernel('Reshape', { x: dy }, { shape: [B, oh, 1, ow, 1, C] }, backend);
  temps.push(dy6);
  const paddings = [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ];
  const padded = runWasmKernel('PadV2', { x: dy6 }, { paddings, constantValue: 0 }, backend);
  temps.push(padded);
  const z = runWasmKernel('Reshape', { x: padded }, { shape: [B, oh * sh, ow * sw, C] }, backend);
  temps.push(z);
  return z;
}

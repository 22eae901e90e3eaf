import { getKernel, type KernelConfig, registerKernel } from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasmConfig } from './kernels/conv2d_backprop_filter_wasm';
import { unsortedSegmentSumWasmConfig } from './kernels/unsorted_segment_sum_wasm';
import { WASM } from './kernels/wasm_kernel_utils';

/**
 * Kernels the wasm backend of tfjs 4.22 lacks and that training needs. Everything else a
 * training step of a VGG-style net (conv2d, relu, maxPool, dense, dropout), gathers, Adam and
 * the project's losses runs is already registered for wasm (checked in the tests).
 */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterWasmConfig, // gradient of conv2d w.r.t. its filter (tfjs issue 8474)
  unsortedSegmentSumWasmConfig, // gradient of gather / gatherV2 (tfjs issue 8082)
];

// Marks our kernel functions so that a second copy of this package (or a second call) sees
// that the kernel is already ours.
const OURS = Symbol.for('@3dmm-stn/backend:wasm-training-kernel');

/**
 * Registers {@link WASM_TRAINING_KERNELS} for the `'wasm'` backend, each only if the wasm backend
 * does not have it yet (a future tfjs that ships its own keeps it). Idempotent, safe to call
 * before or after the wasm backend is initialised, and from several copies of this package.
 *
 * @returns the names of the kernels that are ours and active on wasm after the call.
 */
export function registerWasmTrainingKernels(): string[] {
  const active: string[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    const existing = getKernel(config.kernelName, WASM);
    if (existing === undefined) {
      const kernelFunc = config.kernelFunc;
      Object.defineProperty(kernelFunc, OURS, { value: true });
      registerKernel({ ...config, kernelFunc });
      active.push(config.kernelName);
    } else if ((existing.kernelFunc as unknown as Record<symbol, unknown>)[OURS] === true) {
      active.push(config.kernelName);
    }
  }
  return active;
}

import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasmConfig } from './kernels/conv2d_backprop_filter_wasm';
import { conv2DBackpropInputWasmConfig } from './kernels/conv2d_backprop_input_wasm';
import {
  depthwiseConv2dNativeBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropInputWasmConfig,
} from './kernels/depthwise_conv2d_backprop_wasm';
import { maxPoolGradWasmConfig } from './kernels/max_pool_grad_wasm';
import { unsortedSegmentSumWasmConfig } from './kernels/unsorted_segment_sum_wasm';
import { WASM } from './kernels/wasm_kernel_utils';
import { guardWasmAllocations } from './wasm_memory';

/**
 * Kernels this package provides for the wasm backend of tfjs 4.22 so that training works (and is
 * fast). Everything else a training step of a VGG-style net (conv2d, relu, maxPool, dense,
 * dropout), gathers, Adam and the project's losses run is already a wasm kernel (checked by the
 * tests, which run such a step).
 */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterWasmConfig, // missing: gradient of conv2d w.r.t. its filter (tfjs issue 8474)
  unsortedSegmentSumWasmConfig, // missing: gradient of gather / gatherV2 (tfjs issue 8082)
  conv2DBackpropInputWasmConfig, // present but a slow loop: gradient of conv2d w.r.t. its input
  depthwiseConv2dNativeBackpropFilterWasmConfig, // missing: depthwise / separable conv gradients
  depthwiseConv2dNativeBackpropInputWasmConfig, // missing
  maxPoolGradWasmConfig, // present but a slow C++ loop (≈ 25 % of a vgg-tiny step): 4–5× faster
];

/** Kernels that wasm has but that ours replace (for speed); the others are only added if absent. */
const REPLACES = new Set<string>([
  conv2DBackpropInputWasmConfig.kernelName,
  maxPoolGradWasmConfig.kernelName,
]);

// Marks our kernel functions so that a second copy of this package (or a second call) sees
// that the kernel is already ours.
const OURS = Symbol.for('@3dmm-stn/backend:wasm-training-kernel');

function isOurs(config: KernelConfig | undefined): boolean {
  return (config?.kernelFunc as unknown as Record<symbol, unknown> | undefined)?.[OURS] === true;
}

/**
 * Registers {@link WASM_TRAINING_KERNELS} for the `'wasm'` backend: `Conv2DBackpropFilter` and
 * `UnsortedSegmentSum` only if wasm does not have them yet (a future tfjs that ships its own
 * keeps it), and `Conv2DBackpropInput` and `MaxPoolGrad` in place of wasm's slow ones. Idempotent, safe to call
 * before or after the wasm backend is initialised, and from several copies of this package.
 *
 * @returns the names of the kernels that are ours and active on wasm after the call.
 */
export function registerWasmTrainingKernels(): string[] {
  const active: string[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    const existing = getKernel(config.kernelName, WASM);
    if (isOurs(existing)) {
      active.push(config.kernelName);
      continue;
    }
    if (existing !== undefined) {
      if (!REPLACES.has(config.kernelName)) continue;
      unregisterKernel(config.kernelName, WASM);
    }
    const kernelFunc = config.kernelFunc;
    if (!Object.hasOwn(kernelFunc, OURS)) Object.defineProperty(kernelFunc, OURS, { value: true });
    registerKernel({ ...config, kernelFunc });
    active.push(config.kernelName);
  }
  // A full heap becomes a WasmOutOfMemoryError at the allocation (once wasm is initialised).
  guardWasmAllocations();
  return active;
}

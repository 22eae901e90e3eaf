/**
 * Registers the package's kernels (cpu and wasm, which share the typed-array loops) and the
 * gradients of its ops with the tfjs engine. tfjs's own discipline: a backend's kernels are
 * registered by its `register_all_kernels.ts`, the package's only side-effect module besides
 * `register_layers.ts`; `index.ts` imports both, so importing the package is enough and the op
 * functions stay pure. Registering for 'wasm' does not need the wasm backend to be loaded (the
 * registry is keyed by name), so the browser's wasm backend gets them too.
 *
 * A kernel or gradient that is already registered is left alone: a second copy of this package
 * (ESM beside CJS) or a later tfjs that ships its own keeps the first.
 */
import {
  getGradient,
  type GradConfig,
  type KernelConfig,
  registerGradient,
} from '@tensorflow/tfjs-core';
import { gridSampleGradConfigs, gridSampleKernelConfigs } from './ops/grid_sample_kernels';
import { registerMissing } from './ops/kernel_memory';
import { morphProjectGradConfigs, morphProjectKernelConfigs } from './ops/morph_project';
import {
  projectVerticesGradConfigs,
  projectVerticesKernelConfigs,
} from './ops/project_vertices_kernels';
import { rotationGradConfigs, rotationKernelConfigs } from './ops/rotation_kernels';

const KERNEL_CONFIGS: KernelConfig[] = [
  ...rotationKernelConfigs,
  ...projectVerticesKernelConfigs,
  ...morphProjectKernelConfigs,
  ...gridSampleKernelConfigs,
];

const GRAD_CONFIGS: GradConfig[] = [
  ...rotationGradConfigs,
  ...projectVerticesGradConfigs,
  ...morphProjectGradConfigs,
  ...gridSampleGradConfigs,
];

registerMissing(KERNEL_CONFIGS);
for (const config of GRAD_CONFIGS) {
  if (getGradient(config.kernelName) == null) registerGradient(config);
}

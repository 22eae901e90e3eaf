// Backends for this package's visibility/layer tests: cpu, and wasm with the kernels
// @3dmm-stn/backend registers for training there.
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';

export const BACKENDS: ('cpu' | 'wasm')[] = ['cpu', 'wasm'];

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  await selectBackend({ backend: name });
  await tf.ready();
  if (tf.getBackend() !== name)
    throw new Error(`backend ${name} not active (got ${tf.getBackend()})`);
}

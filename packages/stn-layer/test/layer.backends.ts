// Backend choice for this package's visibility/layer tests: cpu always, wasm through
// @3dmm-stn/backend (which also registers the kernels wasm lacks).
import * as tf from '@tensorflow/tfjs';
import * as backendPkg from '@3dmm-stn/backend';

type Select = (o: { backend: 'wasm' | 'cpu' }) => Promise<unknown>;
const select = (backendPkg as unknown as { selectBackend?: Select }).selectBackend;

/** Backends the tests run on: wasm only once @3dmm-stn/backend can select it. */
export const BACKENDS: ('cpu' | 'wasm')[] = select ? ['cpu', 'wasm'] : ['cpu'];

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (select) await select({ backend: name });
  else await tf.setBackend(name);
  await tf.ready();
  if (tf.getBackend() !== name)
    throw new Error(`backend ${name} not active (got ${tf.getBackend()})`);
}

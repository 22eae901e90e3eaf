/** Node-only: Keras `.h5` weights read in place by h5wasm's Node build (VGG-Face is 500 MB+). */
import { open } from 'node:fs/promises';
import { ModelFormatError } from '@3dmm-stn/checks';
import {
  type H5Lib,
  isHdf5Signature,
  type KerasWeights,
  readKerasWeightsH5 as readKerasWeightsH5Bytes,
  readKerasWeightsOpenedBy,
  signatureOffsets,
} from './keras_h5';

/**
 * {@link readKerasWeightsH5Bytes} for a path (opened in place, not copied into memory) or bytes.
 * h5wasm/node is ESM-only: imported dynamically so that the CommonJS build loads.
 */
export async function readKerasWeightsH5(
  source: string | Uint8Array | ArrayBuffer,
): Promise<KerasWeights> {
  if (typeof source !== 'string') return readKerasWeightsH5Bytes(source);
  await checkFileSignature(source);
  const { default: h5wasm } = (await import('h5wasm/node')) as unknown as { default: H5Lib };
  await h5wasm.ready;
  return readKerasWeightsOpenedBy(h5wasm, source, source);
}

async function checkFileSignature(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw new ModelFormatError(path, '(file)', `cannot read: ${(e as Error).message}`);
  }
  try {
    const { size } = await handle.stat();
    const buf = new Uint8Array(8);
    for (const offset of signatureOffsets(size)) {
      await handle.read(buf, 0, 8, offset);
      if (isHdf5Signature(buf)) return;
    }
  } finally {
    await handle.close();
  }
  throw new ModelFormatError(path, '(file)', 'cannot open as HDF5: no HDF5 signature');
}

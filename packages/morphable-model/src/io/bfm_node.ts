/** Node-only: BFM `.h5` files read in place by h5wasm's Node build (no copy into memory). */
import { open } from 'node:fs/promises';
import type { MorphableModel } from '../types';
import {
  checkHdf5Head,
  type H5Module,
  type ReadBfmOptions,
  readBfmH5 as readBfmH5Bytes,
  readBfmOpenedBy,
} from './bfm';

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function loadH5wasmNode(): Promise<H5Module> {
  // Dynamic import: h5wasm/node is ESM-only, and this keeps the package's CJS build loadable.
  const mod = (await import('h5wasm/node')) as unknown as H5Module & { default?: H5Module };
  const h5 = (mod.default ?? mod) as H5Module;
  await h5.ready;
  return h5;
}

/**
 * Reads a Basel Face Model 2017/2019 `.h5` (statismo layout) from a path (opened in place by
 * h5wasm's Node build: a 1 GB model is not copied into WebAssembly memory) or from bytes (the
 * browser-safe reader). Conversions as the browser-safe `readBfmH5`.
 *
 * @throws ModelFormatError naming the dataset and the expected shape.
 */
export async function readBfmH5(
  source: string | Uint8Array,
  options: ReadBfmOptions = {},
): Promise<MorphableModel> {
  if (typeof source !== 'string') return readBfmH5Bytes(source, options);
  checkHdf5Head(await readHead(source), source);
  return readBfmOpenedBy(await loadH5wasmNode(), source, source, options);
}

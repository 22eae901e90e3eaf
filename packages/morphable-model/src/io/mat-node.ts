/** Node-only: `node:zlib` inflate for MAT-files (native zlib, ~3× faster than the pure-JS one). */
import { inflateSync } from 'node:zlib';
import type { MatInflate } from './mat';

/**
 * Inflates into one output chunk of the expected size (+64 so that zlib sees the stream end
 * without a second chunk); `maxOutputLength` stops a corrupt stream from inflating without bound.
 */
export const inflateNode: MatInflate = (zlib, size) => {
  const out = inflateSync(zlib, {
    chunkSize: Math.max(size + 64, 1024),
    maxOutputLength: size + 64,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
};

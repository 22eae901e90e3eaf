import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageFormatError } from './errors';

/** Decoded RGB pixels, `[H, W, 3]` interleaved, row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes `input` (a path or the bytes of a JPEG, PNG, WebP, TIFF, GIF, AVIF … file) to
 * `[H, W, 3]` uint8 RGB: EXIF orientation applied, alpha dropped, sRGB. The one decode of the
 * trainer and the CLI. `file` names bytes in errors (default: the path, or `<bytes>`).
 *
 * @throws ImageFormatError naming the file for anything the decoder rejects (truncated or corrupt
 *   data, not an image, more pixels than libvips' limit); a path that cannot be read throws Node's
 *   own error (`ENOENT`, `EISDIR`, …), which the programs report as a file error.
 */
export async function decodeRgb(input: string | Uint8Array, file?: string): Promise<RgbImage> {
  const name = file ?? (typeof input === 'string' ? input : '<bytes>');
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  let out: { data: Buffer; info: { channels: number; width: number; height: number } };
  try {
    out = await sharp(bytes)
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new ImageFormatError(
      name,
      `cannot decode the image (JPEG, PNG, WebP, …): ${(e as Error).message?.trim() || String(e)}`,
    );
  }
  const { data, info } = out;
  if (info.channels !== 3)
    throw new ImageFormatError(name, `decoded to ${info.channels} channels, expected 3`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

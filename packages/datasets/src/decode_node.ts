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
 * The most pixels `decodeRgb` decodes by default: 2²⁶ = 67,108,864 (8,192 × 8,192; a 61-megapixel
 * camera's 9,504 × 6,336 fits). A 6.5 kB JPEG whose header claims 42,934 × 4,413 pixels made the
 * decoder allocate 570 MB and work for seconds before it found the data missing (the fuzzer
 * counted it as a hang on a busy machine); now the header is read first and such a file refused.
 */
export const DEFAULT_MAX_PIXELS = 2 ** 26;

/**
 * Decodes `input` (a path or the bytes of a JPEG, PNG, WebP, TIFF, GIF, AVIF … file) to
 * `[H, W, 3]` uint8 RGB: EXIF orientation applied, alpha dropped, sRGB. The one decode of the
 * trainer and the CLI. `file` names bytes in errors (default: the path, or `<bytes>`);
 * `maxPixels` (default `DEFAULT_MAX_PIXELS`) bounds width × height, checked on the header.
 *
 * @throws ImageFormatError naming the file for anything the decoder rejects (truncated or corrupt
 *   data, not an image, more pixels than libvips' limit); a path that cannot be read throws Node's
 *   own error (`ENOENT`, `EISDIR`, …), which the programs report as a file error.
 */
export async function decodeRgb(
  input: string | Uint8Array,
  file?: string,
  options: { maxPixels?: number } = {},
): Promise<RgbImage> {
  const name = file ?? (typeof input === 'string' ? input : '<bytes>');
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  let out: { data: Buffer; info: { channels: number; width: number; height: number } };
  try {
    // The header first: refuse an image too large to decode before allocating for it.
    const { width = 0, height = 0 } = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (width * height > maxPixels)
      throw new ImageFormatError(
        name,
        `${width} × ${height} pixels is more than the ${maxPixels.toLocaleString('en')} decodeRgb decodes (maxPixels)`,
      );
    out = await sharp(bytes, { limitInputPixels: maxPixels })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (e instanceof ImageFormatError) throw e;
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

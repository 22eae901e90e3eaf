import sharp from 'sharp';

/** Decoded RGB pixels, `[H, W, 3]` interleaved, row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes `input` (a path or the bytes of a JPEG, PNG, WebP, TIFF, GIF, AVIF … file) to
 * `[H, W, 3]` uint8 RGB: EXIF orientation applied, alpha dropped, sRGB. The one decode of the
 * trainer and the CLI. Throws sharp's error for unreadable images (the caller names the file).
 */
export async function decodeRgb(input: string | Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(input)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

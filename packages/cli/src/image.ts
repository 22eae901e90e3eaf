/**
 * Image IO through sharp (libvips): JPEG, PNG, WebP (and whatever else libvips reads) in,
 * PNG out, written atomically.
 *
 * Convention: an `RgbImage` is row-major [height, width, 3] uint8 RGB, row 0 at the top,
 * the centre of pixel (row i, column j) at (x = j, y = i).
 */
import { writeFileAtomic } from '@3dmm-stn/morphable-model/node';
import { decodeRgb } from '@3dmm-stn/datasets/node';
import type { RgbImage } from '@3dmm-stn/fit';
import sharp from 'sharp';
import { InputError } from './errors';

/** `[H, W, 3]` uint8 RGB: @3dmm-stn/fit's (the detection and drawing work on it). */
export type { RgbImage } from '@3dmm-stn/fit';
export { toUint8 } from '@3dmm-stn/fit';

/** Decodes an image file to RGB (alpha dropped, EXIF orientation applied, sRGB): the trainer's decode. */
export async function readRgb(path: string): Promise<RgbImage> {
  try {
    return await decodeRgb(path);
  } catch (e) {
    throw new InputError(path, `cannot read image: ${(e as Error).message}`);
  }
}

/** Encodes [H, W, C] uint8 (C = 1 grey, 3 RGB, 4 RGBA) as PNG and writes it atomically. */
export async function writePng(
  path: string,
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 | 4 = 3,
): Promise<void> {
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `writePng: data must have ${width}×${height}×${channels} = ${width * height * channels} bytes, got ${data.length}.`,
    );
  }
  let img = sharp(data, { raw: { width, height, channels } });
  // libvips would otherwise widen one raw channel to sRGB.
  if (channels === 1) img = img.toColourspace('b-w');
  const png = await img.png({ compressionLevel: 6 }).toBuffer();
  await writeFileAtomic(path, png);
}

/**
 * Resize of an RGB photo with sharp's default kernel, lanczos3 (sharper than bilinear when
 * shrinking; it would ring on drawings, so it is used on photos only: the whole-photo preview).
 * Crops of faces go through `cropFace` (@3dmm-stn/localiser) instead.
 */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

/**
 * A picked or dropped file → the photo the page fits: decoded by the browser
 * (`createImageBitmap`, EXIF orientation applied, as the CLI's decode), drawn on a canvas, and
 * its RGBA pixels. Photos larger than {@link MAX_SIDE} on their longer side are scaled down to
 * it first (the record's `imageSize` and pixel coordinates are then those of the scaled photo).
 */
import type { PixelImage } from '@3dmm-stn/localiser';

/** Longer side, pixels, of the photo the page works on. */
export const MAX_SIDE = 2560;

/** The file is not an image the browser can decode; the message names it and its type. */
export class NotAnImageError extends Error {
  override readonly name = 'NotAnImageError';
}

export interface DecodedPhoto {
  /** The photo at the size the page works on. */
  canvas: HTMLCanvasElement;
  /** `[H, W, 4]` RGBA of the canvas (`channels: 4`; cropFace ignores alpha). */
  image: PixelImage & { data: Uint8ClampedArray; channels: 4 };
  /** Size of the file's image before any scaling. */
  original: { width: number; height: number };
}

export async function decodePhoto(file: File): Promise<DecodedPhoto> {
  let bitmap: ImageBitmap;
  const what = `${file.name || 'the file'} (${file.type || 'unknown type'}, ${file.size} bytes)`;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch (e) {
    throw new NotAnImageError(
      `${what} is not an image this browser can decode (JPEG, PNG, WebP, …): ${(e as Error).message}`,
    );
  }
  const original = { width: bitmap.width, height: bitmap.height };
  if (!(original.width > 0 && original.height > 0)) {
    bitmap.close();
    throw new NotAnImageError(
      `${what} decodes to an empty image (${original.width}×${original.height})`,
    );
  }
  const k = Math.min(1, MAX_SIDE / Math.max(original.width, original.height));
  const width = Math.max(1, Math.round(original.width * k));
  const height = Math.max(1, Math.round(original.height * k));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const data = ctx.getImageData(0, 0, width, height).data;
  return { canvas, image: { data, width, height, channels: 4 }, original };
}

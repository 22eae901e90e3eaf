/**
 * decodeRgb on corrupt images (issue 24 §3; the fuzzer's "images" kind): every image the decoder
 * rejects is an ImageFormatError naming the file — before, sharp's bare Error escaped
 * ("VipsJpeg: premature end of JPEG image" for 99 of 300 mutated JPEGs) and the programs printed
 * it as an internal error.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { errorKind } from '@3dmm-stn/checks';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb } from '../src/decode_node';
import { ImageFormatError } from '../src/errors';
import { REPO_ROOT } from '../../../testing/fixtures';

const photo = resolve(REPO_ROOT, 'node_modules', '@vladmandic', 'face-api', 'demo', 'sample1.jpg');
let jpeg: Uint8Array;
let png: Uint8Array;
let webp: Uint8Array;

beforeAll(async () => {
  const small = sharp(await readFile(photo)).resize({ width: 64 });
  jpeg = new Uint8Array(await small.clone().jpeg().toBuffer());
  png = new Uint8Array(await small.clone().png().toBuffer());
  webp = new Uint8Array(await small.clone().webp().toBuffer());
});

async function rejected(input: Uint8Array | string, file?: string): Promise<ImageFormatError> {
  const e = await decodeRgb(input, file).then(
    () => null,
    (x) => x,
  );
  expect(e).toBeInstanceOf(ImageFormatError);
  expect(errorKind(e)).not.toBeNull(); // the programs print it as one line
  return e as ImageFormatError;
}

describe('decodeRgb: corrupt images are ImageFormatError naming the file', () => {
  it('decodes the intact images', async () => {
    for (const b of [jpeg, png, webp]) expect((await decodeRgb(b)).width).toBe(64);
  });

  it('a truncated JPEG (the premature end of issue 24)', async () => {
    const e = await rejected(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 'a.jpg');
    expect(e.message).toMatch(/^a\.jpg: cannot decode the image .*JPEG/);
    expect(e.file).toBe('a.jpg');
  });

  it('truncated PNG and WebP, and bytes that are no image', async () => {
    await rejected(png.subarray(0, png.length >> 1), 'a.png');
    await rejected(webp.subarray(0, webp.length >> 1), 'a.webp');
    await rejected(new TextEncoder().encode('not an image at all'), 'a.txt');
    await rejected(new Uint8Array(0), 'empty.jpg');
  });

  it('a header claiming 65,535 × 65,535 pixels (over the decoder limit)', async () => {
    const big = png.slice();
    const dv = new DataView(big.buffer);
    dv.setUint32(16, 65535); // IHDR width
    dv.setUint32(20, 65535); // IHDR height
    await rejected(big, 'big.png');
    const j = jpeg.slice();
    const jv = new DataView(j.buffer);
    for (let i = 2; i + 9 < j.length; i += 2 + jv.getUint16(i + 2)) {
      if (j[i + 1] === 0xc0 || j[i + 1] === 0xc2) {
        jv.setUint16(i + 5, 65535);
        jv.setUint16(i + 7, 65535);
        break;
      }
    }
    await rejected(j, 'big.jpg');
  });

  it('a header claiming more than maxPixels is refused from the header (the fuzzer’s hang: 42,934 × 4,413 in a 6.5 kB progressive JPEG)', async () => {
    const j = new Uint8Array(
      await sharp(await readFile(photo))
        .resize({ width: 64 })
        .jpeg({ progressive: true })
        .toBuffer(),
    );
    const jv = new DataView(j.buffer);
    for (let i = 2; i + 9 < j.length; i += 2 + jv.getUint16(i + 2)) {
      if (j[i + 1] === 0xc2) {
        jv.setUint16(i + 5, 4413);
        jv.setUint16(i + 7, 42934);
        break;
      }
    }
    const t0 = performance.now();
    const e = await rejected(j, 'big.jpg');
    expect(e.message).toMatch(/42934 × 4413 pixels is more than the 67,108,864/);
    expect(performance.now() - t0).toBeLessThan(500);
    // a small limit applies to ordinary images too
    const small = await decodeRgb(jpeg, 'a.jpg', { maxPixels: 10 }).catch((x) => x);
    expect(small).toBeInstanceOf(ImageFormatError);
  });

  it('a path names itself; a missing path is Node’s ENOENT (a file error)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'decode-'));
    const p = join(dir, 'cut.jpg');
    await writeFile(p, jpeg.subarray(0, 100));
    expect((await rejected(p)).message.startsWith(`${p}: `)).toBe(true);
    const e = await decodeRgb(join(dir, 'missing.jpg')).catch((x) => x);
    expect(e.code).toBe('ENOENT');
    expect(errorKind(e)?.what).toBe('file');
  });
});

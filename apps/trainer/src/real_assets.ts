import { cropFace } from '@3dmm-stn/localiser';
import sharp from 'sharp';
import { decodeRgb, readPts } from '@3dmm-stn/datasets/node';
import type { DataReport } from './data_report';
import { DatasetError } from './errors';
import type { FolderEntry } from './folder_dataset';
import { Rng } from './rng';
import type { SyntheticAssets } from './synthetic';
import type { Texture } from './texture';

/**
 * Real appearance for synthetic faces (the paper's own product fed back as data): the UV
 * textures that `fit` extracted from the training photos (`3dmm-stn pseudo-label --textures`),
 * and background squares cut from the same photos away from every face.
 *
 * A fit texture is a res × res UV grid image, grid point (i, j) at u = j/(res − 1),
 * v = 1 − i/(res − 1) (corner-aligned, `gridTexCoords`), RGBA with alpha = the visibility mask.
 * The renderer samples texel centres ((j + ½)/T, 1 − (i + ½)/T), so textures are resampled to
 * that convention. Texels the photo did not see (self-occlusion, outside the photo) take their
 * mirror texel (i, res − 1 − j) when that one was seen — the face's bilateral symmetry, which is
 * what the symmetric UV embedding gives — and the mean seen colour otherwise.
 */

/** Textures with less than this fraction of the face seen (after mirroring) are left out. */
export const MIN_TEXTURE_COVERAGE = 0.5;

/**
 * A fit texture (RGBA grid image, alpha = mask) as a renderer texture of side `size`: holes filled
 * from the mirror texel, then with the mean seen colour.
 *
 * @param rgba [res, res, 4] uint8.
 * @returns the texture and the fraction of grid texels seen directly or through the mirror.
 */
export function textureFromFit(
  rgba: Uint8Array,
  res: number,
  size: number,
): { texture: Texture; coverage: number } {
  if (rgba.length !== res * res * 4)
    throw new RangeError(
      `textureFromFit: rgba must be [${res}, ${res}, 4] (${res * res * 4} values), got ${rgba.length}`,
    );
  const n = res * res;
  const filled = new Float32Array(n * 3);
  const known = new Uint8Array(n);
  const seen = (p: number) => rgba[4 * p + 3] >= 128;
  const mean = [0, 0, 0];
  let count = 0;
  for (let i = 0; i < res; i++)
    for (let j = 0; j < res; j++) {
      const p = i * res + j;
      const q = i * res + (res - 1 - j);
      const src = seen(p) ? p : seen(q) ? q : -1;
      if (src < 0) continue;
      known[p] = 1;
      for (let c = 0; c < 3; c++) filled[3 * p + c] = rgba[4 * src + c];
      if (src === p) {
        for (let c = 0; c < 3; c++) mean[c] += rgba[4 * p + c];
        count++;
      }
    }
  let covered = 0;
  for (let p = 0; p < n; p++) covered += known[p];
  if (count > 0) for (let c = 0; c < 3; c++) mean[c] /= count;
  for (let p = 0; p < n; p++)
    if (!known[p]) for (let c = 0; c < 3; c++) filled[3 * p + c] = mean[c];
  // Resample: texel (r, k) centre → grid position ((k + ½)(res − 1)/size, same for rows).
  const data = new Float32Array(size * size * 3);
  const f = (res - 1) / size;
  for (let r = 0; r < size; r++) {
    const gy = (r + 0.5) * f;
    const i0 = Math.min(res - 2, Math.floor(gy));
    const wy = gy - i0;
    for (let k = 0; k < size; k++) {
      const gx = (k + 0.5) * f;
      const j0 = Math.min(res - 2, Math.floor(gx));
      const wx = gx - j0;
      const a = i0 * res + j0;
      for (let c = 0; c < 3; c++) {
        const top = filled[3 * a + c] * (1 - wx) + filled[3 * (a + 1) + c] * wx;
        const bot = filled[3 * (a + res) + c] * (1 - wx) + filled[3 * (a + res + 1) + c] * wx;
        data[3 * (r * size + k) + c] = top * (1 - wy) + bot * wy;
      }
    }
  }
  return {
    texture: { data, width: size, height: size, channels: 3 },
    coverage: covered / n,
  };
}

/** Reads one fit texture PNG (RGBA, square) and converts it (`textureFromFit`). */
export async function readFitTexture(
  file: string,
  size: number,
): Promise<{ texture: Texture; coverage: number }> {
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    raw = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new DatasetError(file, `cannot read the UV texture: ${(e as Error).message}`);
  }
  const { width, height, channels } = raw.info;
  if (width !== height || width < 2 || channels !== 4)
    throw new DatasetError(
      file,
      `a UV texture must be a square RGBA grid image (alpha = visibility mask), got ${width}×${height}×${channels}`,
    );
  const rgba = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length);
  return textureFromFit(rgba, width, size);
}

/** Axis-aligned box [x0, y0, x1, y1]. */
type Rect = [number, number, number, number];

function overlaps(a: Rect, b: Rect): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/** A face's exclusion rectangle: its box (or landmark box) grown by half its size each way, and by its height below (neck, shoulders). */
async function faceRect(e: FolderEntry): Promise<Rect> {
  let x: number;
  let y: number;
  let w: number;
  let h: number;
  if (e.box) [x, y, w, h] = e.box;
  else {
    const p = await readPts(e.pts);
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let k = 0; k < p.length / 2; k++) {
      if (!Number.isFinite(p[2 * k])) continue;
      x0 = Math.min(x0, p[2 * k]);
      x1 = Math.max(x1, p[2 * k]);
      y0 = Math.min(y0, p[2 * k + 1]);
      y1 = Math.max(y1, p[2 * k + 1]);
    }
    [x, y, w, h] = [x0, y0, x1 - x0, y1 - y0];
  }
  return [x - w / 2, y - h / 2, x + 1.5 * w, y + 2 * h];
}

/**
 * Background squares of side `size`: up to `perImage` random squares per photo (side 25–60 % of
 * the photo's shorter side, at least `size / 4` px) that overlap no face's exclusion rectangle
 * (`faceRect`: the box grown by half its size, and a box more below it for the neck and body).
 * Photos without room are skipped. Deterministic in `seed`.
 */
export async function cutBackgrounds(
  entries: FolderEntry[],
  size: number,
  perImage: number,
  seed: number,
): Promise<Uint8Array[]> {
  const byImage = new Map<string, FolderEntry[]>();
  for (const e of entries) byImage.set(e.image, [...(byImage.get(e.image) ?? []), e]);
  const out: Uint8Array[] = [];
  for (const [image, faces] of [...byImage.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const rects = await Promise.all(faces.map(faceRect));
    const photo = await decodeRgb(image);
    const { width: W, height: H } = photo;
    const rng = Rng.derive(seed, 'background', image);
    let found = 0;
    for (let attempt = 0; attempt < 60 && found < perImage; attempt++) {
      const side = Math.round(rng.range(0.25, 0.6) * Math.min(W, H));
      if (side < Math.max(8, size / 4)) break;
      const x0 = Math.floor(rng.range(0, W - side + 1));
      const y0 = Math.floor(rng.range(0, H - side + 1));
      const r: Rect = [x0, y0, x0 + side, y0 + side];
      if (rects.some((f) => overlaps(r, f))) continue;
      const { image: crop } = cropFace(photo, { x0, y0, side }, size);
      const u8 = new Uint8Array(crop.length);
      for (let i = 0; i < crop.length; i++) u8[i] = Math.max(0, Math.min(255, Math.round(crop[i])));
      out.push(u8);
      found++;
    }
  }
  return out;
}

/**
 * The real assets of a folder dataset's training entries: the fit textures their manifest names
 * (entries without one, or mostly unseen, are reported and skipped) and background squares
 * (none when no photo has room: reported, and the generator draws procedural ones).
 */
export async function loadRealAssets(
  entries: FolderEntry[],
  options: {
    inputSize: number;
    textureSize: number;
    textures: boolean;
    backgrounds: boolean;
    seed: number;
    report?: DataReport;
  },
): Promise<SyntheticAssets & { texturesSkipped: number }> {
  const textures: Texture[] = [];
  let texturesSkipped = 0;
  if (options.textures) {
    for (const e of entries) {
      if (!e.texture) {
        texturesSkipped++;
        continue;
      }
      const { texture, coverage } = await readFitTexture(e.texture, options.textureSize);
      if (coverage < MIN_TEXTURE_COVERAGE) {
        options.report?.add(
          e.texture,
          `UV texture left out: ${(100 * coverage).toFixed(0)} % of the face seen (< ${100 * MIN_TEXTURE_COVERAGE} %)`,
        );
        texturesSkipped++;
        continue;
      }
      textures.push(texture);
    }
    if (textures.length === 0)
      throw new DatasetError(
        entries[0]?.image ?? '?',
        'data.synthetic.textures is "manifest" but no training entry has a usable "texture" (run `3dmm-stn pseudo-label --textures`)',
      );
  }
  const backgrounds = options.backgrounds
    ? await cutBackgrounds(entries, options.inputSize, 4, options.seed)
    : [];
  if (options.backgrounds && backgrounds.length === 0)
    options.report?.add(
      entries[0]?.image ?? '?',
      'data.synthetic.backgrounds: no photo has a face-free square; procedural backgrounds are used',
    );
  return { textures, backgrounds, texturesSkipped };
}

/**
 * `pseudo-label <images or folders…> --out DIR [--exclude XML…]`: the training data of the
 * pretrained localiser. face-api detects every face of every photo; its 68 landmarks become an
 * ibug `.pts` file (pseudo-labels: another network's output, not ground truth) and the face's
 * detection box and score go into `manifest.json` (the trainer's JSON manifest: `box` is the crop
 * the localiser sees at inference, `confidence` weights the landmark loss). Photos named by a
 * dlib XML given with `--exclude` are left out whole (every face in them), so an evaluation set
 * is never trained on.
 *
 * With `--textures`, each face is also fitted (`fit`'s optimisation on the same detection) and
 * its UV texture written as `textures/<stem>_<k>.png`: the res × res grid image of the default
 * model's symmetric UV embedding, RGBA with alpha = the visibility mask. The trainer renders
 * synthetic faces with them (`data.synthetic.textures: manifest`).
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '@3dmm-stn/morphable-model/node';
import { formatPts, IMAGE_EXTENSIONS, isImageFile, readDlibXml } from '@3dmm-stn/datasets/node';
import { selectBackend } from '@3dmm-stn/backend/node';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import { readRgb } from '../image';
import type { CliIO } from '../io';
import { faceDetector } from '../fit/run';
import { FitStn, fitFaces } from '@3dmm-stn/fit';
import * as tf from '@tensorflow/tfjs';
import { gridFromModel, loadAnyModel } from '../model';
import { writePng } from '../image';
import { parseNumberFlag } from '../options';

export interface PseudoLabelOptions {
  out?: string;
  exclude?: string[];
  minConfidence?: string;
  json?: boolean;
  /** Also fit every face and write its UV texture (RGBA, alpha = mask) for synthetic data. */
  textures?: boolean;
  /** UV grid side of the textures. Default 112. */
  textureRes?: string;
}

export interface PseudoLabelSample {
  image: string;
  pts: string;
  identity: string | null;
  box: [number, number, number, number];
  confidence: number;
  detector: string;
  /** The fitted UV texture (with --textures), relative to the manifest. */
  texture?: string;
}

export interface PseudoLabelManifest {
  note: string;
  samples: PseudoLabelSample[];
  excluded: string[];
  noFace: string[];
  failed: { image: string; error: string }[];
}

/**
 * Expand folders (one level, sorted) into image files; files are kept as given. What a folder
 * holds besides images (other files, subfolders, which are not descended into) is skipped and
 * said through `notice` (one line per folder), never dropped silently.
 */
export async function expandImages(
  inputs: string[],
  notice: (line: string) => void = () => {},
): Promise<string[]> {
  const out: string[] = [];
  for (const p of inputs) {
    const s = await stat(p).catch(() => null);
    if (s?.isDirectory()) {
      const entries = (await readdir(p, { withFileTypes: true })).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      const skipped: string[] = [];
      for (const e of entries) {
        if (!e.isDirectory() && isImageFile(e.name)) out.push(join(p, e.name));
        else skipped.push(e.isDirectory() ? `${e.name}/` : e.name);
      }
      if (skipped.length > 0) {
        const shown = skipped.slice(0, 5).join(', ') + (skipped.length > 5 ? ', …' : '');
        notice(
          `${p}: skipped ${skipped.length} entr${skipped.length === 1 ? 'y' : 'ies'} that ` +
            `${skipped.length === 1 ? 'is' : 'are'} not an image file (${shown}); folders are ` +
            `read one level deep (images: ${IMAGE_EXTENSIONS.join(' ')})`,
        );
      }
    } else out.push(p);
  }
  return out;
}

/** face-api.js's portraits are `<name>_<name><k>.png`: the person is the identity. */
export function identityOf(image: string): string | null {
  const stem = basename(image, extname(image));
  const m = /^([a-z]+)_\1\d+$/i.exec(stem);
  return m ? m[1].toLowerCase() : null;
}

export async function pseudoLabel(
  inputs: string[],
  opts: PseudoLabelOptions,
  io: CliIO,
): Promise<{ code: number; manifest: PseudoLabelManifest }> {
  if (!opts.out) throw new UsageError('pseudo-label: --out DIR is required');
  const minConfidence = parseNumberFlag('--min-confidence', opts.minConfidence, 0, 1) ?? 0.5;
  const outDir = resolve(opts.out);
  const excludedPaths = new Set<string>();
  for (const xml of opts.exclude ?? [])
    for (const img of await readDlibXml(xml)) excludedPaths.add(resolve(img.path));
  const images = await expandImages(inputs, (line) => io.stderr(`pseudo-label: ${line}\n`));
  if (images.length === 0) throw new UsageError('pseudo-label: no image given');
  await selectBackend({});
  const detector = await faceDetector();
  await mkdir(join(outDir, 'pts'), { recursive: true });
  const textureRes = parseNumberFlag('--texture-res', opts.textureRes, 8, 1024) ?? 112;
  if (!Number.isInteger(textureRes))
    throw new UsageError(`pseudo-label: --texture-res must be an integer, got ${opts.textureRes}`);
  const stn = opts.textures
    ? new FitStn(gridFromModel(await loadAnyModel(), textureRes).grid)
    : null;
  if (stn) await mkdir(join(outDir, 'textures'), { recursive: true });
  const manifest: PseudoLabelManifest = {
    note: 'Pseudo-labels: face-api (SSD MobileNet v1 + 68-point net) landmarks, not ground truth; confidence = detection score.',
    samples: [],
    excluded: [],
    noFace: [],
    failed: [],
  };
  const used = new Set<string>();
  for (const image of images) {
    const abs = resolve(image);
    if (excludedPaths.has(abs)) {
      manifest.excluded.push(image);
      continue;
    }
    try {
      const rgb = await readRgb(image);
      const det = await detector.detect(rgb, { minConfidence });
      if (det.faces.length === 0) {
        manifest.noFace.push(image);
        continue;
      }
      let stem = basename(image, extname(image));
      while (used.has(stem)) stem = `${stem}_`;
      used.add(stem);
      const identity = identityOf(image);
      const textures = stn
        ? await writeTextures(rgb, det.faces, stn, join(outDir, 'textures', stem))
        : null;
      for (let k = 0; k < det.faces.length; k++) {
        const f = det.faces[k];
        const pts = join(outDir, 'pts', `${stem}_${k}.pts`);
        await writeFileAtomic(pts, formatPts(f.landmarks));
        manifest.samples.push({
          ...(textures ? { texture: relative(outDir, textures[k]) } : {}),
          image: relative(outDir, abs),
          pts: relative(outDir, pts),
          identity,
          box: f.box.map((v) => Math.round(v * 100) / 100) as [number, number, number, number],
          confidence: Math.min(1, Math.max(1e-3, Math.round(f.score * 1e4) / 1e4)),
          detector: f.detector + (f.padded ? ' padded' : ''),
        });
      }
      if (!opts.json) io.stderr(`${image}: ${det.faces.length} face(s)\n`);
    } catch (e) {
      manifest.failed.push({ image, error: (e as Error).message });
      io.stderr(`error: ${image}: ${(e as Error).message}\n`);
    }
  }
  stn?.dispose();
  await writeFileAtomic(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  const summary = {
    manifest: join(outDir, 'manifest.json'),
    images: images.length,
    faces: manifest.samples.length,
    excluded: manifest.excluded.length,
    noFace: manifest.noFace,
    failed: manifest.failed,
  };
  if (opts.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else
    io.stdout(
      `${summary.faces} faces from ${images.length - summary.excluded - summary.noFace.length - summary.failed.length} photos → ${summary.manifest}; ${summary.excluded} photos excluded (evaluation XML), ${summary.noFace.length} without a face, ${summary.failed.length} failed\n`,
    );
  return { code: manifest.failed.length ? EXIT_FAILURE : EXIT_OK, manifest };
}

/** Fits the detected faces of one photo and writes each UV texture as `<prefix>_<k>.png` (RGBA). */
async function writeTextures(
  photo: Awaited<ReturnType<typeof readRgb>>,
  faces: Parameters<typeof fitFaces>[2],
  g: FitStn,
  prefix: string,
): Promise<string[]> {
  const photoT = tf.tensor4d(Float32Array.from(photo.data), [1, photo.height, photo.width, 3]);
  try {
    const { fits } = fitFaces(photo, photoT, faces, g);
    const res = g.grid.res;
    const files: string[] = [];
    for (let k = 0; k < fits.length; k++) {
      const { uv, mask, pixels } = fits[k].forward;
      const rgba = new Uint8Array(res * res * 4);
      for (let p = 0; p < res * res; p++) {
        for (let c = 0; c < 3; c++)
          rgba[4 * p + c] = Math.max(0, Math.min(255, Math.round(uv[3 * p + c])));
        // Seen: visible, and inside the photo (the sampler reads black beyond its border).
        const x = pixels[2 * p];
        const y = pixels[2 * p + 1];
        const inside = x >= 0 && y >= 0 && x <= photo.width - 1 && y <= photo.height - 1;
        rgba[4 * p + 3] = mask[p] > 0.5 && inside ? 255 : 0;
      }
      const file = `${prefix}_${k}.png`;
      await writePng(file, rgba, res, res, 4);
      files.push(file);
    }
    return files;
  } finally {
    photoT.dispose();
  }
}

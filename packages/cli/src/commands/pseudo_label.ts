/**
 * `pseudo-label <images or folders…> --out DIR [--exclude XML…]`: the training data of the
 * pretrained localiser. face-api detects every face of every photo; its 68 landmarks become an
 * ibug `.pts` file (pseudo-labels: another network's output, not ground truth) and the face's
 * detection box and score go into `manifest.json` (the trainer's JSON manifest: `box` is the crop
 * the localiser sees at inference, `confidence` weights the landmark loss). Photos named by a
 * dlib XML given with `--exclude` are left out whole (every face in them), so an evaluation set
 * is never trained on.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '@3dmm-stn/morphable-model/node';
import { formatPts, IMAGE_EXTENSIONS, readDlibXml } from '@3dmm-stn/trainer';
import { selectBackend } from '@3dmm-stn/backend/node';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import { readRgb } from '../image';
import type { CliIO } from '../io';
import { faceDetector } from '../fit/run';
import { parseNumberFlag } from '../options';

export interface PseudoLabelOptions {
  out?: string;
  exclude?: string[];
  minConfidence?: string;
  json?: boolean;
}

export interface PseudoLabelSample {
  image: string;
  pts: string;
  identity: string | null;
  box: [number, number, number, number];
  confidence: number;
  detector: string;
}

export interface PseudoLabelManifest {
  note: string;
  samples: PseudoLabelSample[];
  excluded: string[];
  noFace: string[];
  failed: { image: string; error: string }[];
}

/** Expand folders (one level, sorted) into image files; files are kept as given. */
export async function expandImages(inputs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of inputs) {
    const s = await stat(p).catch(() => null);
    if (s?.isDirectory()) {
      const names = (await readdir(p)).sort();
      for (const n of names)
        if (IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())) out.push(join(p, n));
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
  const images = await expandImages(inputs);
  if (images.length === 0) throw new UsageError('pseudo-label: no image given');
  await selectBackend({});
  const detector = await faceDetector();
  await mkdir(join(outDir, 'pts'), { recursive: true });
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
      for (let k = 0; k < det.faces.length; k++) {
        const f = det.faces[k];
        const pts = join(outDir, 'pts', `${stem}_${k}.pts`);
        await writeFileAtomic(pts, formatPts(f.landmarks));
        manifest.samples.push({
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

/**
 * Landmark labels for `eval`: a dlib / ibug XML file (many faces per photo), a folder of ibug
 * `.pts` files (one face per photo, `<stem>.pts` beside or apart from `<stem>.jpg`), or a folder
 * of AFLW2000-3D `.mat` files (one face per photo, with its ground-truth pose; `aflw.ts`).
 * Coordinates are 0-based photo pixels whatever the format (the readers convert `.pts` and
 * `.mat`, both 1-based on disk).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { LandmarkFormatError, readDlibXml, readPts } from '@3dmm-stn/datasets/node';
import type { PosePara } from '@3dmm-stn/morphable-model';
import { InputError, LabelFormatError } from '../errors';
import { readAflwMat } from './aflw';
import { landmarkBox } from './box';

export { landmarkBox };

export interface LabelledFace {
  /** `[x, y, width, height]`: the label's box (dlib's), or the landmarks' bounding box. */
  box: [number, number, number, number];
  /** `[68, 2]` 0-based photo pixels; NaN where undefined. */
  landmarks: Float32Array;
  /** Where the label came from (file and line, for the report). */
  source: string;
  /** Ground-truth head pose (AFLW2000-3D `Pose_Para`, radians); only `.mat` labels have one. */
  pose?: PosePara;
}

export interface LabelSet {
  /** What was read: dlib XML, a .pts folder or an AFLW2000-3D .mat folder. */
  kind: 'dlib-xml' | 'pts-folder' | 'aflw-mat';
  /** Faces by absolute image path (XML) or by file stem (.pts folder). */
  byPath: Map<string, LabelledFace[]>;
  byStem: Map<string, LabelledFace[]>;
}

/** Read labels from dlib XML files (merged) or one folder of `.pts` files. */
export async function readLabels(paths: string | string[]): Promise<LabelSet> {
  const list = typeof paths === 'string' ? [paths] : paths;
  const sets = [];
  for (const p of list) sets.push(await readLabelsOne(p));
  if (sets.length === 1) return sets[0];
  if (sets.some((s) => s.kind !== 'dlib-xml'))
    throw new LabelFormatError(
      list.join(', '),
      'expected several label sources to be dlib XML files (a .pts or .mat folder comes alone)',
    );
  const merged: LabelSet = { kind: 'dlib-xml', byPath: new Map(), byStem: new Map() };
  for (const s of sets) {
    for (const [k, v] of s.byPath) merged.byPath.set(k, [...(merged.byPath.get(k) ?? []), ...v]);
    for (const [k, v] of s.byStem) merged.byStem.set(k, [...(merged.byStem.get(k) ?? []), ...v]);
  }
  return merged;
}

async function readLabelsOne(path: string): Promise<LabelSet> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new InputError(path, 'label file or folder not found');
  const byPath = new Map<string, LabelledFace[]>();
  const byStem = new Map<string, LabelledFace[]>();
  const add = (image: string, face: LabelledFace) => {
    const p = resolve(image);
    byPath.set(p, [...(byPath.get(p) ?? []), face]);
    const stem = basename(image, extname(image));
    byStem.set(stem, [...(byStem.get(stem) ?? []), face]);
  };
  if (s.isDirectory()) {
    const all = (await readdir(path)).sort();
    const pts = all.filter((n) => extname(n).toLowerCase() === '.pts');
    const mats = all.filter((n) => extname(n).toLowerCase() === '.mat');
    // One format per folder: a mix is usually two datasets copied together, whose conventions
    // (and photos) differ; scoring them as one would be silently wrong.
    if (pts.length > 0 && mats.length > 0)
      throw new LabelFormatError(
        path,
        `expected one label format per folder, found ${pts.length} .pts and ${mats.length} .mat files`,
      );
    if (pts.length === 0 && mats.length === 0)
      throw new InputError(path, 'no .pts or .mat file in the label folder');
    if (mats.length > 0) {
      for (const n of mats) {
        const file = join(path, n);
        const { landmarks, pose } = await readAflwMat(file);
        add(join(path, basename(n, extname(n))), {
          box: landmarkBox(landmarks),
          landmarks,
          source: file,
          pose,
        });
      }
      return { kind: 'aflw-mat', byPath: new Map(), byStem };
    }
    for (const n of pts) {
      const file = join(path, n);
      const landmarks = await readPts(file);
      add(join(path, basename(n, '.pts')), {
        box: landmarkBox(landmarks),
        landmarks,
        source: file,
      });
    }
    return { kind: 'pts-folder', byPath: new Map(), byStem };
  }
  if (extname(path).toLowerCase() !== '.xml')
    throw new InputError(
      path,
      'expected a dlib XML file (.xml), a folder of .pts files or a folder of AFLW2000-3D .mat files',
    );
  for (const img of await readDlibXml(path)) {
    for (const f of img.faces) {
      if (f.ignore) continue;
      if (!f.landmarks) continue; // a boxes-only file has nothing to evaluate against
      add(img.path, { box: f.box, landmarks: f.landmarks, source: `${path}:${f.line}` });
    }
  }
  if (byPath.size === 0)
    throw new LandmarkFormatError(path, 0, 'expected <part> landmarks in at least one <box>');
  return { kind: 'dlib-xml', byPath, byStem };
}

/** The labelled faces of one photo (by path for XML, by stem for `.pts` folders), or null. */
export function labelsOf(set: LabelSet, image: string): LabelledFace[] | null {
  if (set.kind === 'dlib-xml') return set.byPath.get(resolve(image)) ?? null;
  return set.byStem.get(basename(image, extname(image))) ?? null;
}

/** Intersection over union of two `[x, y, w, h]` boxes. */
export function iou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy one-to-one matching by box overlap (highest IoU first), pairs with IoU ≥ `minIou`.
 * Returns, per labelled face, the index of its detected face or -1 (missed).
 */
export function matchFaces(
  labelled: readonly (readonly number[])[],
  detected: readonly (readonly number[])[],
  minIou = 0.3,
): number[] {
  const pairs: [number, number, number][] = [];
  labelled.forEach((a, i) => {
    detected.forEach((b, j) => {
      const o = iou(a, b);
      if (o >= minIou) pairs.push([o, i, j]);
    });
  });
  pairs.sort((p, q) => q[0] - p[0] || p[1] - q[1] || p[2] - q[2]);
  const out = new Array<number>(labelled.length).fill(-1);
  const used = new Set<number>();
  for (const [, i, j] of pairs) {
    if (out[i] >= 0 || used.has(j)) continue;
    out[i] = j;
    used.add(j);
  }
  return out;
}

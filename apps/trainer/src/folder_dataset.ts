import { opendir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { cropBox, cropSquare, squareAroundBox } from './crop';
import { parseCsv } from './csv';
import { lowRes } from './low_res';
import { DataReport } from './data_report';
import { IMAGE_EXTENSIONS, LandmarkFormatError } from '@3dmm-stn/datasets';
import { readPts } from '@3dmm-stn/datasets/node';
import { DatasetError } from './errors';
import { hashKeys, Rng } from './rng';
import { type FaceSample, sampleProblem } from './sample';

/**
 * Folder datasets: images with ibug `.pts` landmarks (300-W, 300W-LP, AFLW2000-3D style), or a
 * CSV/JSON manifest. Only the index (paths, ≈ 100 bytes per image) is held in memory; images
 * are decoded when a batch needs them, through the bounded prefetch queue (`stream.ts`).
 *
 * Layouts:
 *   root/<identity>/<name>.jpg + root/<identity>/<name>.pts   (sub-folders = identities)
 *   root/<name>.png + root/<name>.pts                          (no identities)
 *   manifest.csv: image,pts,identity (pts optional: the image path with .pts; identity optional)
 *   manifest.json: [{"image": …, "pts": …, "identity": …}, …] or {"samples": [...]}
 */

export { IMAGE_EXTENSIONS };

export interface FolderEntry {
  /** Absolute image path. */
  image: string;
  /** Absolute `.pts` path. */
  pts: string;
  /** Identity label, or null. */
  identity: string | null;
  /**
   * A face detector's box `[x, y, width, height]` (image pixels): when given, the crop is the
   * square around it (`squareAroundBox`), as at inference, instead of around the landmarks.
   */
  box?: [number, number, number, number] | null;
  /** Landmark confidence of this face in (0, 1] (pseudo-labels: the detector's score); default 1. */
  confidence?: number;
  /**
   * Absolute path of the face's UV texture extracted by `fit` (RGBA grid PNG, alpha = mask;
   * `3dmm-stn pseudo-label --textures`): real appearance for synthetic faces.
   */
  texture?: string;
}

/** Random crop jitter (training only): side × exp(U(±scale)), centre + U(±translate)·side. */
export interface CropJitter {
  scale: number;
  translate: number;
  /** Probability of the low-resolution augmentation (`lowRes`): detail of an s-pixel face. */
  lowResProbability?: number;
  /** Smallest s, pixels (s ~ U(lowResMin, S)). Default 24. */
  lowResMin?: number;
}

export type IdentityMode = 'auto' | 'subfolder' | 'column' | 'none';

/**
 * Walk `root` for images with a `.pts` of the same name beside them. Images without landmarks
 * are reported to `report` and left out. Identity = the image's folder relative to `root`.
 */
export async function listFolderDataset(
  root: string,
  options: { identity?: IdentityMode; report?: DataReport } = {},
): Promise<FolderEntry[]> {
  const mode = options.identity ?? 'auto';
  if (mode === 'column') throw new DatasetError(root, "identity: 'column' needs a manifest");
  const absRoot = resolve(root);
  const entries: FolderEntry[] = [];
  async function walk(dir: string): Promise<void> {
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(dir);
    } catch (e) {
      if (dir === absRoot)
        throw new DatasetError(root, `cannot open the dataset folder: ${(e as Error).message}`);
      options.report?.add(dir, `cannot open folder: ${(e as Error).message}`);
      return;
    }
    const names: { name: string; isDir: boolean }[] = [];
    for await (const d of handle) names.push({ name: d.name, isDir: d.isDirectory() });
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files = new Set(names.filter((n) => !n.isDir).map((n) => n.name));
    for (const n of names) {
      const p = join(dir, n.name);
      if (n.isDir) {
        await walk(p);
        continue;
      }
      const ext = extname(n.name).toLowerCase();
      if (!IMAGE_EXTENSIONS.includes(ext)) continue;
      const ptsName = n.name.slice(0, n.name.length - ext.length) + '.pts';
      if (!files.has(ptsName)) {
        options.report?.add(p, 'no .pts landmark file beside the image');
        continue;
      }
      const rel = relative(absRoot, dir);
      const identity = mode === 'none' || rel === '' ? null : rel.split(sep).join('/');
      entries.push({ image: p, pts: join(dir, ptsName), identity });
    }
  }
  await walk(absRoot);
  if (entries.length === 0)
    throw new DatasetError(root, 'no image with a .pts landmark file found');
  return entries;
}

/** Read a CSV or JSON manifest; relative paths are relative to the manifest's folder. */
export async function readManifest(
  file: string,
  options: { identity?: IdentityMode } = {},
): Promise<FolderEntry[]> {
  const mode = options.identity ?? 'auto';
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new DatasetError(file, `cannot read the manifest: ${(e as Error).message}`);
  }
  const base = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const ptsOf = (img: string) => img.slice(0, img.length - extname(img).length) + '.pts';
  const records: {
    image?: unknown;
    pts?: unknown;
    identity?: unknown;
    box?: unknown;
    confidence?: unknown;
    texture?: unknown;
    where: string;
  }[] = [];
  if (extname(file).toLowerCase() === '.json') {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new DatasetError(file, `invalid JSON: ${(e as Error).message}`);
    }
    const list = Array.isArray(v) ? v : (v as { samples?: unknown })?.samples;
    if (!Array.isArray(list))
      throw new DatasetError(
        file,
        'expected an array of {image, pts?, identity?} or {"samples": [...]}',
      );
    list.forEach((r, i) => {
      records.push({ ...(r as object), where: `[${i}]` });
    });
  } else {
    const { header, rows, lines } = parseCsv(text);
    const col = (name: string) => header.indexOf(name);
    const ci = col('image');
    if (ci < 0)
      throw new DatasetError(
        file,
        `the CSV header must have an "image" column, got: ${header.join(',')}`,
      );
    const cp = col('pts');
    const cid = col('identity');
    rows.forEach((r, i) => {
      records.push({
        image: r[ci],
        pts: cp >= 0 && r[cp] !== '' ? r[cp] : undefined,
        identity: cid >= 0 && r[cid] !== '' ? r[cid] : undefined,
        where: `line ${lines[i]}`,
      });
    });
  }
  const hasColumn = records.some((r) => r.identity !== undefined && r.identity !== null);
  if (mode === 'column' && !hasColumn)
    throw new DatasetError(file, "identity: 'column' but the manifest has no identity values");
  const entries = records.map((r) => {
    if (typeof r.image !== 'string' || r.image === '')
      throw new DatasetError(file, `${r.where}: "image" must be a non-empty path`);
    if (r.pts !== undefined && typeof r.pts !== 'string')
      throw new DatasetError(file, `${r.where}: "pts" must be a path`);
    const box = r.box;
    if (
      box !== undefined &&
      box !== null &&
      !(
        Array.isArray(box) &&
        box.length === 4 &&
        box.every((v) => typeof v === 'number' && Number.isFinite(v)) &&
        box[2] > 0 &&
        box[3] > 0
      )
    )
      throw new DatasetError(
        file,
        `${r.where}: "box" must be [x, y, width, height] (finite, positive size), got ${JSON.stringify(box)}`,
      );
    const conf = r.confidence;
    if (conf !== undefined && !(typeof conf === 'number' && conf > 0 && conf <= 1))
      throw new DatasetError(
        file,
        `${r.where}: "confidence" must be a number in (0, 1], got ${JSON.stringify(conf)}`,
      );
    const image = abs(r.image);
    let identity: string | null = null;
    if (mode === 'column' || (mode === 'auto' && hasColumn))
      identity = r.identity == null ? null : String(r.identity);
    else if (mode === 'subfolder') identity = basename(dirname(image));
    const entry: FolderEntry = {
      image,
      pts: r.pts ? abs(r.pts as string) : ptsOf(image),
      identity,
    };
    if (Array.isArray(box)) entry.box = box as [number, number, number, number];
    if (typeof conf === 'number') entry.confidence = conf;
    if (r.texture !== undefined && r.texture !== null) {
      if (typeof r.texture !== 'string' || r.texture === '')
        throw new DatasetError(
          file,
          `${r.where}: "texture" must be a path, got ${JSON.stringify(r.texture)}`,
        );
      entry.texture = abs(r.texture);
    }
    return entry;
  });
  if (entries.length === 0) throw new DatasetError(file, 'the manifest lists no images');
  return entries;
}

/**
 * Validation split by identity when there are identities (unseen people), else by the image's
 * file name — not its full path, so that a split does not depend on where the data (or the
 * checkout) lives: the same photos give the same split on every machine.
 */
export function splitEntries(
  entries: FolderEntry[],
  valFraction: number,
): { train: FolderEntry[]; val: FolderEntry[] } {
  const threshold = valFraction * 4294967296;
  const train: FolderEntry[] = [];
  const val: FolderEntry[] = [];
  for (const e of entries) {
    (hashKeys('split', e.identity ?? basename(e.image)) < threshold ? val : train).push(e);
  }
  if (train.length === 0)
    throw new DatasetError(
      entries[0]?.image ?? '?',
      'the validation split took every image; lower data.valFraction',
    );
  return { train, val };
}

/** One training batch: `samples` = views A (P of them) then views B (P) when `pairs` > 0. */
export interface Batch {
  step: number;
  samples: FaceSample[];
  /** P: how many (A, B) pairs lead the batch; 0 = no pairs. */
  pairs: number;
}

export interface FolderDatasetOptions {
  inputSize: number;
  margin: number;
  seed: number;
  batchSize: number;
  pairs: boolean;
  valFraction: number;
  report?: DataReport;
  /** Random crop jitter of training samples (validation is never jittered). Default none. */
  jitter?: CropJitter;
  /**
   * With `pairs`, also pair faces that have no second image with themselves (two jittered crops
   * of one face), so that single faces train too. Default false: only identities with ≥ 2 images.
   */
  pairSingles?: boolean;
}

/** Per-epoch permutations of [0, n) seeded by (seed, stream, epoch); one epoch cached. */
class EpochOrder {
  private epoch = -1;
  private perm: Uint32Array = new Uint32Array(0);
  constructor(
    readonly n: number,
    readonly seed: number,
    readonly stream: string,
  ) {}
  at(position: number): number {
    const e = Math.floor(position / this.n);
    if (e !== this.epoch) {
      this.perm = new Uint32Array(this.n);
      for (let i = 0; i < this.n; i++) this.perm[i] = i;
      Rng.derive(this.seed, this.stream, e).shuffle(this.perm);
      this.epoch = e;
    }
    return this.perm[position % this.n];
  }
}

export class FolderDataset {
  readonly train: FolderEntry[];
  readonly val: FolderEntry[];
  readonly report: DataReport;
  /** Identities with ≥ 2 training images (≥ 1 with `pairSingles`) → their entry indices. */
  private readonly pairGroups: number[][];
  private readonly order: EpochOrder;

  constructor(
    entries: FolderEntry[],
    readonly options: FolderDatasetOptions,
  ) {
    const { train, val } = splitEntries(entries, options.valFraction);
    this.train = train;
    this.val = val;
    this.report = options.report ?? new DataReport();
    const groups = new Map<string, number[]>();
    train.forEach((e, i) => {
      if (e.identity === null) return;
      const g = groups.get(e.identity);
      if (g) g.push(i);
      else groups.set(e.identity, [i]);
    });
    if (options.pairSingles)
      train.forEach((e, i) => {
        if (e.identity === null) groups.set(`\0${i}`, [i]);
      });
    this.pairGroups = [...groups.values()].filter((g) => g.length >= (options.pairSingles ? 1 : 2));
    const usePairs = this.usesPairs;
    this.order = new EpochOrder(
      usePairs ? this.pairGroups.length : train.length,
      options.seed,
      usePairs ? 'pair-order' : 'order',
    );
  }

  /** Whether batches are made of same-identity pairs. */
  get usesPairs(): boolean {
    return this.options.pairs && this.pairGroups.length > 0 && this.options.batchSize >= 2;
  }

  /**
   * Load, crop and check one entry; on failure report it and return null. `rng` (training only)
   * draws the crop jitter.
   */
  async load(entry: FolderEntry, rng?: Rng): Promise<FaceSample | null> {
    let landmarks: Float32Array;
    try {
      landmarks = await readPts(entry.pts);
    } catch (e) {
      this.report.add(
        entry.pts,
        e instanceof LandmarkFormatError
          ? e.message
          : `cannot read landmarks: ${(e as Error).message}`,
      );
      return null;
    }
    let crop: Awaited<ReturnType<typeof cropSquare>>;
    try {
      const margin = this.options.margin;
      let square = entry.box ? squareAroundBox(entry.box, margin) : cropBox(landmarks, margin);
      const j = this.options.jitter;
      if (rng && j && (j.scale > 0 || j.translate > 0)) {
        const [x0, y0, side] = square;
        const s2 = Math.max(2, Math.round(side * Math.exp(rng.range(-j.scale, j.scale))));
        const cx = x0 + side / 2 + rng.range(-j.translate, j.translate) * side;
        const cy = y0 + side / 2 + rng.range(-j.translate, j.translate) * side;
        square = [Math.round(cx - s2 / 2), Math.round(cy - s2 / 2), s2];
      }
      crop = await cropSquare(entry.image, landmarks, square, this.options.inputSize);
      const S = this.options.inputSize;
      if (rng && j?.lowResProbability && rng.uniform() < j.lowResProbability) {
        const s = Math.round(rng.range(Math.min(j.lowResMin ?? 24, S), S));
        crop = { ...crop, image: lowRes(crop.image, S, s) };
      }
    } catch (e) {
      this.report.add(entry.image, `unreadable image: ${(e as Error).message}`);
      return null;
    }
    const confidence = new Float32Array(68);
    const weight = entry.confidence ?? 1;
    for (let i = 0; i < 68; i++)
      confidence[i] = Number.isFinite(crop.landmarks[2 * i]) ? weight : 0;
    const sample: FaceSample = {
      image: crop.image,
      size: this.options.inputSize,
      landmarks: crop.landmarks,
      confidence,
      visible: new Uint8Array(68).fill(1),
      identity: entry.identity,
      source: entry.image,
    };
    const problem = sampleProblem(sample);
    if (problem) {
      this.report.add(entry.image, `bad sample: ${problem}`);
      return null;
    }
    return sample;
  }

  /**
   * The entry indices of step `step`: [A…, B…] (pairs) or a plain list. A pure function of
   * (seed, step), so a resumed run sees the same batches as an uninterrupted one.
   */
  planStep(step: number): { indices: number[]; pairs: number } {
    const B = this.options.batchSize;
    if (this.usesPairs) {
      const P = Math.floor(B / 2);
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < P; i++) {
        const g = this.pairGroups[this.order.at(step * P + i)];
        const rng = Rng.derive(this.options.seed, 'pair-views', step, i);
        const j = rng.int(g.length);
        const k = (j + 1 + rng.int(g.length - 1)) % g.length;
        a.push(g[j]);
        b.push(g[k]);
      }
      return { indices: [...a, ...b], pairs: P };
    }
    const out: number[] = [];
    for (let i = 0; i < B; i++) out.push(this.order.at(step * B + i));
    return { indices: out, pairs: 0 };
  }

  /** The crop-jitter stream of one batch slot (a function of seed, step, slot), or none. */
  private jitterRng(step: number, slot: number): Rng | undefined {
    return this.options.jitter ? Rng.derive(this.options.seed, 'jitter', step, slot) : undefined;
  }

  /** Load the batch of `step`, replacing failed samples from a seeded refill stream. */
  async loadStep(step: number): Promise<Batch> {
    const { indices, pairs } = this.planStep(step);
    const refill = Rng.derive(this.options.seed, 'refill', step);
    const maxTries = 4 * indices.length + 8;
    let tries = 0;
    if (pairs > 0) {
      const A: FaceSample[] = [];
      const Bv: FaceSample[] = [];
      for (let i = 0; i < pairs; i++) {
        let ia = indices[i];
        let ib = indices[pairs + i];
        for (;;) {
          const sa = await this.load(this.train[ia], this.jitterRng(step, i));
          const sb = sa ? await this.load(this.train[ib], this.jitterRng(step, pairs + i)) : null;
          if (sa && sb) {
            A.push(sa);
            Bv.push(sb);
            break;
          }
          if (++tries > maxTries) break;
          const g = this.pairGroups[refill.int(this.pairGroups.length)];
          const j = refill.int(g.length);
          ia = g[j];
          ib = g[(j + 1 + refill.int(g.length - 1)) % g.length];
        }
      }
      return { step, samples: [...A, ...Bv], pairs: A.length };
    }
    const samples: FaceSample[] = [];
    for (let slot = 0; slot < indices.length; slot++) {
      let idx = indices[slot];
      for (;;) {
        const s = await this.load(this.train[idx], this.jitterRng(step, slot));
        if (s) {
          samples.push(s);
          break;
        }
        if (++tries > maxTries) break;
        idx = refill.int(this.train.length);
      }
    }
    return { step, samples, pairs: 0 };
  }

  /** Infinite stream of batches from `startStep` (wrap in `prefetch` for read-ahead). */
  async *batches(startStep: number): AsyncGenerator<Batch> {
    for (let step = startStep; ; step++) yield await this.loadStep(step);
  }

  /** Validation samples, streamed (bad ones skipped), at most `limit`. */
  async *validation(limit = Infinity): AsyncGenerator<FaceSample> {
    let n = 0;
    for (const e of this.val) {
      if (n >= limit) return;
      const s = await this.load(e);
      if (s) {
        n++;
        yield s;
      }
    }
  }
}

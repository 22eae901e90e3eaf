/**
 * Model I/O benchmarks (public API only): eos SFM load from disk and from bytes, the project's
 * `.3dmm` write/read (bytes and disk), OBJ write/read of the SFM mean, the landmark TOML, and a
 * BFM-shaped `.h5` (synthetic, N = 20,000, D = 100 + 50 expression modes).
 * Warm-up, then median (min–max) of RUNS runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '../../../testing/fixtures';
import {
  loadModel,
  type MorphableModel,
  readBfmH5,
  readEosBlendshapes,
  readEosModel,
  readLandmarkMapping,
  readModel,
  readObj,
  saveModel,
  writeModel,
  writeObj,
} from '../src/node';
import { type BenchRow, time as timeRuns } from './timing';
import { rng, writeBfmH5 } from '../test/io-h5';

const RUNS = 15;

export type { BenchRow };

/** Timing with this bench's default run count. */
const time = (name: string, f: () => unknown, note?: string, runs = RUNS): Promise<BenchRow> =>
  timeRuns(name, f, note, runs);

/** A synthetic BFM-layout file: random unit columns (the reader checks norms, not orthogonality). */
async function writeBfmLike(path: string, n: number, d: number, e: number): Promise<void> {
  const r = rng(42);
  const R = 3 * n;
  const mean = Float32Array.from({ length: R }, () => (r() - 0.5) * 150);
  const basis = (k: number) => {
    const b = new Float32Array(R * k);
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < R; i++) {
        const v = r() - 0.5;
        b[i * k + j] = v;
        s += v * v;
      }
      const inv = 1 / Math.sqrt(s);
      for (let i = 0; i < R; i++) b[i * k + j] *= inv;
    }
    return b;
  };
  const triangles: number[] = [];
  for (let t = 0; t + 2 < n; t++) triangles.push(t, t + 1, t + 2);
  await writeBfmH5(path, {
    shape: { mean, basis: basis(d), variance: Array.from({ length: d }, (_, k) => 1000 / (k + 1)) },
    expression: {
      mean: new Float32Array(R),
      basis: basis(e),
      variance: Array.from({ length: e }, () => 1),
    },
    triangles,
  });
}

export async function run(): Promise<BenchRow[]> {
  const sfmPath = fixturePath('sfm', 'sfm_shape_3448.bin');
  const mapPath = fixturePath('sfm', 'ibug_to_sfm.txt');
  const bsPath = fixturePath('sfm', 'expression_blendshapes_3448.bin');
  const sfmBytes = new Uint8Array(readFileSync(sfmPath));
  const mapText = readFileSync(mapPath, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-'));
  const rows: BenchRow[] = [];
  try {
    rows.push(
      await time(
        'eos SFM: loadModel(path) from disk',
        () => loadModel(sfmPath),
        '2.8 MB, 3448 v, 63 modes',
      ),
    );
    rows.push(await time('eos SFM: readEosModel(bytes)', () => readEosModel(sfmBytes, 'sfm')));
    rows.push(
      await time('eos SFM + mapping + blendshapes: loadModel(path, options)', () =>
        loadModel(sfmPath, { landmarks: mapPath, expression: bsPath }),
      ),
    );
    rows.push(
      await time('eos blendshapes: readEosBlendshapes(bytes)', () =>
        readEosBlendshapes(readFileSync(bsPath), 'bs'),
      ),
    );
    rows.push(
      await time('landmark TOML: readLandmarkMapping', () => readLandmarkMapping(mapText, 'map')),
    );

    const sfm = (await loadModel(sfmPath, {
      landmarks: mapPath,
      expression: bsPath,
    })) as MorphableModel;
    const own = writeModel(sfm);
    rows.push(
      await time(
        '.3dmm SFM: writeModel → bytes',
        () => writeModel(sfm),
        `${(own.length / 1e6).toFixed(2)} MB`,
      ),
    );
    rows.push(await time('.3dmm SFM: readModel(bytes)', () => readModel(own, 'sfm.3dmm')));
    const p3 = join(dir, 'sfm.3dmm');
    rows.push(await time('.3dmm SFM: saveModel (atomic) to disk', () => saveModel(p3, sfm)));
    rows.push(await time('.3dmm SFM: loadModel(path) from disk', () => loadModel(p3)));

    const objText = writeObj({
      positions: sfm.mean,
      triangles: sfm.triangles,
      texCoords: sfm.texCoords,
    });
    rows.push(
      await time(
        'OBJ SFM mean: writeObj',
        () => writeObj({ positions: sfm.mean, triangles: sfm.triangles, texCoords: sfm.texCoords }),
        `${(objText.length / 1e3).toFixed(0)} kB`,
      ),
    );
    rows.push(await time('OBJ SFM mean: readObj', () => readObj(objText, 'sfm.obj')));

    const h5 = join(dir, 'bfm-like.h5');
    await writeBfmLike(h5, 20_000, 100, 50);
    const h5Bytes = new Uint8Array(readFileSync(h5));
    rows.push(
      await time(
        'BFM-like .h5: readBfmH5(path)',
        () => readBfmH5(h5),
        `N=20k, D=100+50, ${(h5Bytes.length / 1e6).toFixed(0)} MB`,
        5,
      ),
    );
    rows.push(
      await time('BFM-like .h5: readBfmH5(bytes)', () => readBfmH5(h5Bytes), 'via a temp file', 5),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\n## @3dmm-stn/morphable-model — model I/O (ms)\n');
  console.log('| benchmark | median | min | max | runs | note |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} | ${r.max.toFixed(1)} | ${r.runs} | ${r.note ?? ''} |`,
    );
  }
  console.log(`\n${JSON.stringify({ bench: 'load', rows })}`);
  return rows;
}

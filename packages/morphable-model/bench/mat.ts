/**
 * MAT-file parse benchmark: a BFM-2009-sized `01_MorphableModel.mat` (N = 53,490 vertices,
 * 199 shape + 199 texture modes, single precision, miCOMPRESSED, written by this bench with
 * orthonormal DCT columns; no real BFM data) read with `readMat` (pure-JS fflate inflate,
 * `DecompressionStream`, node:zlib) and with `readMatModel` (the whole model, node:zlib).
 *
 *   npx tsx --tsconfig tsconfig.json bench/mat.ts [--json] [--runs 3]
 *
 * Each measurement runs in a fresh child process: a warm-up parse of a small file, then the peak
 * RSS mark is reset (`/proc/self/clear_refs` 5) and one parse of the big file is timed; the peak
 * (`VmHWM`) minus the RSS just before the parse is the memory the parse added. Variants are
 * interleaved (A, B, C, A, B, C, …); median of the runs. Floors (issue 14): ≤ 2 s, peak ≤ 2.5× the
 * decoded arrays.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateFflate, inflateStream, readMat } from '../src/io/mat';
import { readMatModel } from '../src/io/mat-model';
import { inflateNode } from '../src/io/mat-node';
import { num, writeMat } from '../test/mat-writer';

const N = 53_490;
const D = 199;
const F = 106_466;
const FILE = join(os.tmpdir(), `3dmm-bench-bfm2009-${N}-${D}.mat`);
const here = fileURLToPath(new URL('.', import.meta.url));

/** Orthonormal DCT-II columns k = 1…d on `rows` points, column-major, as float32. */
function dct(rows: number, d: number, phase: number): Float32Array {
  const out = new Float32Array(rows * d);
  const s = Math.sqrt(2 / rows);
  for (let k = 0; k < d; k++) {
    const w = (Math.PI * (k + 1 + phase)) / rows;
    for (let i = 0; i < rows; i++) out[k * rows + i] = s * Math.cos(w * (i + 0.5));
  }
  return out;
}

function bfmLike(n: number, d: number, f: number): Uint8Array {
  const R = 3 * n;
  const mean = new Float32Array(R);
  for (let i = 0; i < n; i++) {
    const a = (i / n) * Math.PI;
    mean[3 * i] = 7e4 * Math.cos(a * 37);
    mean[3 * i + 1] = 9e4 * Math.sin(a);
    mean[3 * i + 2] = 5e4 * Math.cos(a);
  }
  const tl = new Float64Array(3 * f);
  for (let t = 0; t < f; t++) for (let c = 0; c < 3; c++) tl[c * f + t] = ((t + c) % n) + 1;
  const ev = Float64Array.from({ length: d }, (_, k) => 3e4 / (k + 1));
  return writeMat(
    {
      shapeMU: num('single', [R, 1], mean),
      shapePC: num('single', [R, d], dct(R, d, 0)),
      shapeEV: num('single', [d, 1], ev),
      texMU: num(
        'single',
        [R, 1],
        mean.map((x) => 100 + (Math.abs(x) % 100)),
      ),
      texPC: num('single', [R, d], dct(R, d, 0)),
      texEV: num(
        'single',
        [d, 1],
        ev.map((x) => x / 1000),
      ),
      tl: num('double', [f, 3], tl, { storeAs: 'int32' }),
      segbin: num('uint8', [n, 4], new Uint8Array(4 * n).fill(1), { logical: true }),
    },
    { compress: true },
  );
}

function status(key: string): number {
  const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${key}:\\s+(\\d+) kB`));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** In the child: warm up, reset the peak mark, time one parse. Prints one JSON line. */
async function child(variant: string): Promise<void> {
  const small = bfmLike(300, 3, 500);
  const bytes: Uint8Array = readFileSync(FILE); // a Buffer is a Uint8Array: no second copy
  const parse = async (b: Uint8Array) => {
    if (variant === 'model') {
      const m = await readMatModel(b, { inflate: inflateNode, units: 'auto' });
      return (
        m.mean.byteLength +
        m.shape.basis.byteLength +
        (m.color?.basis.basis.byteLength ?? 0) +
        (m.color?.mean.byteLength ?? 0) +
        m.triangles.byteLength
      );
    }
    const inflate = { node: inflateNode, fflate: inflateFflate, stream: inflateStream }[variant];
    const vars = await readMat(b, { inflate });
    let decoded = 0;
    for (const v of vars.values()) if (v.kind === 'numeric') decoded += v.data.byteLength;
    return decoded;
  };
  await parse(small).catch(() => 0); // warm-up (the small DCT basis may fail the model's checks)
  globalThis.gc?.();
  writeFileSync('/proc/self/clear_refs', '5');
  const rss0 = status('VmRSS');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const decoded = await parse(bytes);
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const cpuMs = (c1.user + c1.system) / 1000;
  const peak = status('VmHWM');
  console.log(
    JSON.stringify({ variant, ms, cpuMs, decoded, added: peak - rss0, fileBytes: bytes.length }),
  );
}

export async function run(): Promise<void> {
  const json = process.argv.includes('--json');
  const ri = process.argv.indexOf('--runs');
  const runs = ri > 0 ? Number(process.argv[ri + 1]) : 3;
  if (!existsSync(FILE)) {
    const t = performance.now();
    writeFileSync(FILE, bfmLike(N, D, F));
    if (!json) console.log(`wrote ${FILE} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const load0 = os.loadavg()[0];
  const variants = ['fflate', 'stream', 'node', 'model'];
  const results: Record<
    string,
    { ms: number[]; cpu: number[]; added: number[]; decoded: number; fileBytes: number }
  > = {};
  for (let r = 0; r < runs; r++) {
    for (const v of variants) {
      const out = execFileSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', join(here, 'mat.ts'), '--child', v],
        { cwd: join(here, '..'), encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      const line = JSON.parse(out.trim().split('\n').pop() as string);
      results[v] ??= {
        ms: [],
        cpu: [],
        added: [],
        decoded: line.decoded,
        fileBytes: line.fileBytes,
      };
      results[v].ms.push(line.ms);
      results[v].cpu.push(line.cpuMs);
      results[v].added.push(line.added);
    }
  }
  const load1 = os.loadavg()[0];
  const med = (a: number[]) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const rows = variants.map((v) => {
    const r = results[v];
    return {
      variant: v,
      medianMs: med(r.ms),
      minMs: Math.min(...r.ms),
      maxMs: Math.max(...r.ms),
      medianCpuMs: med(r.cpu),
      decodedMB: r.decoded / 2 ** 20,
      peakAddedMB: med(r.added) / 2 ** 20,
      peakOverDecoded: med(r.added) / r.decoded,
      fileMB: r.fileBytes / 2 ** 20,
    };
  });
  const machine = `${os.cpus()[0]?.model} × ${os.cpus().length}, node ${process.version}`;
  if (json) {
    console.log(
      JSON.stringify({ machine, loadBefore: load0, loadAfter: load1, runs, rows }, null, 1),
    );
    return;
  }
  console.log(
    `${machine}; 1-min load before ${load0.toFixed(2)}, after ${load1.toFixed(2)}; ${runs} runs each`,
  );
  for (const r of rows) {
    console.log(
      `${r.variant.padEnd(7)} ${r.medianMs.toFixed(0).padStart(6)} ms wall (${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)}), ${r.medianCpuMs.toFixed(0)} ms CPU  file ${r.fileMB.toFixed(0)} MB  decoded ${r.decodedMB.toFixed(0)} MB  peak added ${r.peakAddedMB.toFixed(0)} MB = ${r.peakOverDecoded.toFixed(2)}× decoded`,
    );
  }
}

const ci = process.argv.indexOf('--child');
if (ci > 0) {
  await child(process.argv[ci + 1]);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}

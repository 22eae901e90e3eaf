/**
 * Geometry benchmarks (public API only): symmetry, Tutte embedding (mean-value weights,
 * symmetric, square boundary — the paper's setting — and the other weightings) on the SFM
 * (3,448 vertices) and on the SFM subdivided 1-to-4 twice (~55k vertices), and UV-grid
 * resampling at 112² and 224². Warm-up, then median (min–max) of RUNS runs, wall clock and the
 * process's CPU time (user + system; the code is single-threaded, so CPU time is what a quiet
 * core would take while other processes share the cores).
 */
import { readFileSync } from 'node:fs';
import { fixturePath } from '../../../testing/fixtures';
import {
  computeSymmetry,
  readEosBlendshapes,
  readEosModel,
  readLandmarkMapping,
  resampleToGrid,
  subdivideMesh,
  type TutteOptions,
  tutteEmbedding,
} from '../src/index';

export interface GeometryBenchRow {
  name: string;
  /** Wall-clock ms. */
  median: number;
  min: number;
  max: number;
  /** CPU ms (user + system) of this process. */
  cpuMedian: number;
  runs: number;
  note?: string;
}

function time(name: string, f: () => string | undefined, runs: number): GeometryBenchRow {
  let note = f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    note = f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const mid = Math.floor(runs / 2);
  return {
    name,
    median: wall[mid],
    min: wall[0],
    max: wall[runs - 1],
    cpuMedian: cpu[mid],
    runs,
    note,
  };
}

export async function run(): Promise<GeometryBenchRow[]> {
  const t0 = performance.now();
  const sfm = readEosModel(
    readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')),
    'sfm_shape_3448.bin',
  );
  const n = sfm.numVertices;
  const model = {
    ...sfm,
    expression: readEosBlendshapes(
      readFileSync(fixturePath('sfm', 'expression_blendshapes_3448.bin')),
      'expression_blendshapes_3448.bin',
      n,
    ),
    landmarks: readLandmarkMapping(
      readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
      'ibug_to_sfm.txt',
      n,
    ),
  };
  const loadMs = performance.now() - t0;
  const mesh = { positions: sfm.mean, triangles: sfm.triangles };
  const s1 = subdivideMesh(mesh.positions, mesh.triangles);
  const big = subdivideMesh(s1.positions, s1.triangles);
  const nBig = big.positions.length / 3;

  const rows: GeometryBenchRow[] = [];
  rows.push({
    name: 'load SFM + blendshapes + landmarks (once)',
    median: loadMs,
    min: loadMs,
    max: loadMs,
    cpuMedian: Number.NaN,
    runs: 1,
  });
  const sym = computeSymmetry(sfm);
  rows.push(
    time(
      'computeSymmetry SFM (3,448 v)',
      () => {
        computeSymmetry(sfm);
        return undefined;
      },
      7,
    ),
  );
  const tutte = (name: string, m: typeof mesh, opts: TutteOptions, runs: number) =>
    rows.push(
      time(
        name,
        () => {
          const r = tutteEmbedding(m, opts);
          return `${r.iterations} it, residual ${r.residual.toExponential(1)}, ${r.flippedTriangles} flips`;
        },
        runs,
      ),
    );
  tutte(
    'Tutte SFM meanValue symmetric square',
    mesh,
    { weights: 'meanValue', symmetric: true, symmetry: sym },
    9,
  );
  tutte('Tutte SFM meanValue full square', mesh, { weights: 'meanValue' }, 9);
  tutte(
    'Tutte SFM uniform symmetric square',
    mesh,
    { weights: 'uniform', symmetric: true, symmetry: sym },
    9,
  );
  tutte(
    'Tutte SFM cotangent symmetric square',
    mesh,
    { weights: 'cotangent', symmetric: true, symmetry: sym },
    9,
  );

  const symBig = computeSymmetry({ positions: big.positions, triangles: big.triangles });
  rows.push(
    time(
      `computeSymmetry SFM subdivided ×2 (${nBig.toLocaleString('en')} v)`,
      () => {
        computeSymmetry({ positions: big.positions, triangles: big.triangles });
        return undefined;
      },
      5,
    ),
  );
  tutte(
    `Tutte SFM subdivided ×2 (${nBig.toLocaleString('en')} v) meanValue symmetric`,
    big,
    { weights: 'meanValue', symmetric: true, symmetry: symBig },
    5,
  );
  tutte(
    `Tutte SFM subdivided ×2 (${nBig.toLocaleString('en')} v) meanValue full`,
    big,
    { weights: 'meanValue' },
    5,
  );

  const uv = tutteEmbedding(mesh, { weights: 'meanValue', symmetric: true, symmetry: sym }).uv;
  for (const res of [112, 224]) {
    rows.push(
      time(
        `resampleToGrid SFM ${res}² (5 + 5 modes)`,
        () => {
          const g = resampleToGrid(model, uv, res);
          let valid = 0;
          for (const v of g.valid) valid += v;
          return `${((100 * valid) / (res * res)).toFixed(1)}% valid`;
        },
        9,
      ),
    );
  }

  console.log('\n## @3dmm-stn/morphable-model — geometry (ms)\n');
  console.log('| benchmark | wall median | min | max | CPU median | runs | note |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} | ${r.max.toFixed(1)} | ${Number.isNaN(r.cpuMedian) ? '–' : r.cpuMedian.toFixed(1)} | ${r.runs} | ${r.note ?? ''} |`,
    );
  }
  console.log(`\n${JSON.stringify({ bench: 'geometry', rows })}`);
  return rows;
}

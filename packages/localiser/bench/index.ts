/**
 * Localiser throughput: forward (predict) and one training step (forward + backward + Adam
 * on a θ regression loss) in images/s, per backbone, at B = 8, on wasm and cpu.
 *
 *   npx tsx --tsconfig tsconfig.json bench/index.ts [--quick] [--only=vgg16]
 *
 * Warm-up run, then the median (min, max) of up to 5 timed runs within a time budget per
 * cell; slow cells get fewer runs and the count is printed. Fixed seeds. Writes
 * bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import { type BackboneName, createLocaliser, describeLocaliser, preprocess } from '../src/index';

const B = 8;
const MAX_RUNS = 5;

interface Cell {
  backend: 'wasm' | 'cpu';
  backbone: BackboneName;
  inputSize: number;
  what: 'forward' | 'train';
  batch: number;
  /** seconds budget for the timed runs (at least one run is always made) */
  budget: number;
  /** skip the warm-up (for cells where a single run takes minutes) */
  noWarmup?: boolean;
}

interface Result extends Cell {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  imagesPerSecond: number;
  gflopsPerImage: number;
  effectiveGflops: number;
  error?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function runCell(cell: Cell): Promise<Result> {
  await selectBackend({ backend: cell.backend });
  const d = describeLocaliser({ backbone: cell.backbone, inputSize: cell.inputSize });
  const base = {
    ...cell,
    gflopsPerImage: d.flops / 1e9,
  };
  const model = createLocaliser({ backbone: cell.backbone, inputSize: cell.inputSize, seed: 1 });
  const S = cell.inputSize;
  const x = tf.tidy(() =>
    preprocess(tf.randomUniform([cell.batch, S, S, 3], 0, 255, 'float32', 2)),
  );
  const target = tf.randomNormal([cell.batch, d.thetaSize], 0, 1, 'float32', 3);
  const opt = tf.train.adam(1e-4);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const once = () => {
    const t0 = performance.now();
    if (cell.what === 'forward') {
      tf.tidy(() => {
        (model.predict(x) as tf.Tensor).dataSync();
      });
    } else {
      const cost = opt.minimize(
        () =>
          tf.mean(
            tf.square(tf.sub(model.apply(x, { training: true }) as tf.Tensor, target)),
          ) as tf.Scalar,
        true,
        vars,
      );
      cost?.dataSync();
      cost?.dispose();
    }
    return performance.now() - t0;
  };
  try {
    if (!cell.noWarmup) once();
    const times: number[] = [];
    const start = performance.now();
    while (
      times.length < MAX_RUNS &&
      (times.length === 0 || performance.now() - start < cell.budget * 1000)
    ) {
      times.push(once());
    }
    const med = median(times);
    const ips = (cell.batch * 1000) / med;
    const flopFactor = cell.what === 'forward' ? 1 : 3; // backward ≈ 2× forward
    return {
      ...base,
      runs: times.length,
      medianMs: med,
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      imagesPerSecond: ips,
      effectiveGflops: (ips * d.flops * flopFactor) / 1e9,
    };
  } catch (e) {
    return {
      ...base,
      runs: 0,
      medianMs: Number.NaN,
      minMs: Number.NaN,
      maxMs: Number.NaN,
      imagesPerSecond: Number.NaN,
      effectiveGflops: Number.NaN,
      error: String((e as Error).message ?? e).slice(0, 200),
    };
  } finally {
    tf.dispose([x, target]);
    opt.dispose();
    model.dispose();
  }
}

const quick = process.argv.includes('--quick');
const cells: Cell[] = [];
for (const what of ['forward', 'train'] as const) {
  cells.push({ backend: 'wasm', backbone: 'vgg-tiny', inputSize: 112, what, batch: B, budget: 30 });
  cells.push({
    backend: 'wasm',
    backbone: 'vgg-small',
    inputSize: 112,
    what,
    batch: B,
    budget: 40,
  });
  if (!quick)
    cells.push({
      backend: 'wasm',
      backbone: 'vgg-small',
      inputSize: 224,
      what,
      batch: B,
      budget: 60,
    });
}
cells.push({
  backend: 'cpu',
  backbone: 'vgg-tiny',
  inputSize: 112,
  what: 'forward',
  batch: B,
  budget: 40,
});
if (!quick) {
  cells.push({
    backend: 'cpu',
    backbone: 'vgg-small',
    inputSize: 112,
    what: 'forward',
    batch: B,
    budget: 60,
  });
  // cpu training: its Conv2DBackpropFilter is a naive loop; one run without warm-up
  cells.push({
    backend: 'cpu',
    backbone: 'vgg-tiny',
    inputSize: 112,
    what: 'train',
    batch: B,
    budget: 0,
    noWarmup: true,
  });
  // vgg16 at 224 on wasm: ~31 GFLOP per image forward; the training step gets one run
  cells.push({
    backend: 'wasm',
    backbone: 'vgg16',
    inputSize: 224,
    what: 'forward',
    batch: B,
    budget: 90,
  });
  cells.push({
    backend: 'wasm',
    backbone: 'vgg16',
    inputSize: 224,
    what: 'train',
    batch: B,
    budget: 0,
    noWarmup: true,
  });
}

const machine = {
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  node: process.version,
  tfjs: tf.version.tfjs,
  date: new Date().toISOString(),
  note: 'other helpers were running on the same 2 cores during this run',
};
// --only=<backbone> runs that backbone's cells alone (into results-<backbone>.json)
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const name = only ? `results-${only}` : quick ? 'results-quick' : 'results';
const out = fileURLToPath(new URL(`./${name}.json`, import.meta.url));
const results: Result[] = [];
for (const cell of cells.filter((c) => !only || c.backbone === only)) {
  const r = await runCell(cell);
  results.push(r);
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 0) : '—');
  console.log(
    [
      r.backend,
      r.backbone,
      r.inputSize,
      r.what,
      `B=${r.batch}`,
      `runs=${r.runs}`,
      `median ${fmt(r.medianMs)} ms`,
      `(min ${fmt(r.minMs)}, max ${fmt(r.maxMs)})`,
      `${fmt(r.imagesPerSecond)} img/s`,
      `${fmt(r.effectiveGflops)} GFLOP/s`,
      r.error ? `ERROR ${r.error}` : '',
    ].join('  '),
  );
  writeFileSync(out, `${JSON.stringify({ machine, results }, null, 2)}\n`); // after every cell: slow cells come last
}

console.log('\nbackbones (describeLocaliser):');
for (const backbone of ['vgg16', 'vgg-small', 'vgg-tiny'] as const) {
  for (const inputSize of [112, 224]) {
    const d = describeLocaliser({ backbone, inputSize });
    console.log(
      `  ${backbone} @${inputSize}: ${d.params.toLocaleString('en')} params, ${(d.flops / 1e9).toFixed(3)} GFLOP/image forward, features ${d.featureShape.join('×')}`,
    );
  }
}
console.log('\nmachine:', machine);

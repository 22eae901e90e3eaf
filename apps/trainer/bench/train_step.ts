/**
 * `npm run bench:train`: milliseconds per image of one full training step — localiser → STN →
 * the four losses → backward → global-norm clip → Adam — for vgg-tiny@112, vgg-small@112 and
 * vgg16@224 at B = 8, and of the localiser alone (θ regression, mean squared error, Adam: the
 * step the PyTorch peer times), with the peak memory of each.
 *
 *   npx tsx --tsconfig tsconfig.json bench/train_step.ts [--json] [--peer] [--runs 5]
 *       [--only vgg-tiny@112,vgg16@224] [--backend wasm|cpu|tensorflow|tensorflow-gpu]
 *       [--batch 8] [--warmup 2] [--res 32] [--no-gemm] [--micro-batches 2]
 *
 * Each architecture runs in a fresh child process (the wasm heap only grows, so its size after
 * the runs is that architecture's peak, and an out-of-memory instance cannot be reused). Inside
 * it the two kinds of step alternate (full, localiser, full, …) after 2 warm-up steps of each;
 * medians of `--runs`. With `--peer`, `bench/peer/train_step.py` (PyTorch, see its README) times
 * the same localisers right after ours, architecture by architecture, and the table shows the
 * ratio. Machine, load average before and after, backend and thread count are printed; a run
 * whose 1-minute load was ≥ 1.5 before or after is marked preliminary.
 *
 * Against the hardware: the CPU model and its SIMD flags (/proc/cpuinfo) are printed; each full
 * step's achieved GFLOP/s is its training FLOPs counted from the architecture
 * (`describeLocaliser`: forward + weight gradient + input gradient of every conv and dense layer)
 * over the median step time; the wasm backend's own GEMM peak (1024² matmul and a VGG-sized 3×3
 * conv) is measured in the same run on 1 and 2 threads (separate processes; `--no-gemm` skips it),
 * and the step is shown as a percentage of the peak for its thread count.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '@3dmm-stn/backend/node';
import { describeLocaliser } from '@3dmm-stn/localiser';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../src/config';
import { machineInfo } from '../src/machine';
import { buildNetwork } from '../src/network';
import { GroupOptimizer } from '../src/optimizer';
import { meanFaceWidth, SyntheticFaces } from '../src/synthetic';
import { prepareModel, trainingLossWeights } from '../src/train_setup';
import { createTrainStep } from '../src/train_step';

const ARCHS = ['vgg-tiny@112', 'vgg-small@112', 'vgg16@224'];

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i > 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : def;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

interface ChildResult {
  arch: string;
  backend: string;
  threads: number;
  batch: number;
  runs: number;
  /** ms per image, median over runs */
  fullMsPerImage: number | null;
  localiserMsPerImage: number | null;
  fullStepMs: { median: number; min: number; max: number } | null;
  localiserStepMs: { median: number; min: number; max: number } | null;
  /** wasm: heap size after the runs (it only grows, so this is the peak); else null */
  wasmHeapBytes: number | null;
  /** resident set size after the runs */
  rssBytes: number;
  params: number;
  /**
   * Training FLOPs per image of the localiser counted from the architecture
   * (`describeLocaliser`): forward + the weight gradient (same MACs as the forward) + the input
   * gradient (same MACs, except the first layer's, which is not needed). The STN, the losses and
   * Adam are left out (< 1 % here).
   */
  trainFlopsPerImage: number;
  /** Achieved GFLOP/s of the full step (trainFlopsPerImage × B / median step time). */
  fullGflops: number | null;
  error?: string;
}

/** The wasm backend's own GEMM throughput in this process's configuration (`--gemm-child`). */
interface GemmResult {
  threads: number;
  /** 1024² × 1024² matmul, GFLOP/s (median of 7 after 2 warm-ups). */
  matmulGflops: number;
  /** 3×3 conv 8×56×56×64 → 64 (SAME), GFLOP/s. */
  convGflops: number;
  error?: string;
}

interface PeerResult {
  arch: string;
  msPerImage: number;
  stepMs: { median: number; min: number; max: number };
  threads: number;
  torch: string;
  error?: string;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

async function child(arch: string): Promise<ChildResult> {
  const [backbone, size] = arch.split('@');
  const S = Number(size);
  const B = Number(arg('batch', '8'));
  const runs = Math.max(1, Number(arg('runs', '5')));
  const warmup = Math.max(0, Number(arg('warmup', '2')));
  const config = await loadConfig({
    file: fileURLToPath(new URL('../demo.yaml', import.meta.url)),
  });
  const info = await selectBackend({ backend: arg('backend', 'wasm') as 'wasm' });
  const res = Number(arg('res', String(config.model.res)));
  const { model, grid } = await prepareModel({ ...config, model: { ...config.model, res } });
  if (!model) throw new Error('bench needs a full morphable model');
  const net = buildNetwork({
    backbone,
    inputSize: S,
    grid,
    meanFaceWidth: meanFaceWidth(model),
    fill: config.data.synthetic.faceFill,
    dropout: config.localiser.dropout,
    seed: config.seed,
    inputScale: config.localiser.inputScale,
  });
  const microBatches = Number(arg('micro-batches', '1'));
  const adam = { kind: 'adam' as const, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, momentum: 0 };
  const opt = new GroupOptimizer(
    [
      { name: 'backbone', variables: net.backboneVariables, lrMultiplier: 1 },
      { name: 'head', variables: net.headVariables, lrMultiplier: config.train.headLrMultiplier },
    ],
    adam,
  );
  const full = createTrainStep({
    net,
    grid,
    optimizer: opt,
    lossWeights: trainingLossWeights(config, grid),
    clipNorm: config.train.clipNorm,
    label: arch,
    microBatches,
  });
  const synth = new SyntheticFaces(model, {
    ...config.data.synthetic,
    inputSize: S,
    shapeModes: grid.numShapeModes,
    expressionModes: grid.numModes - grid.numShapeModes,
    seed: config.seed,
    batchSize: B,
    pairs: config.data.pairs,
  });
  const batches = [0, 1, 2].map((i) => synth.loadStep(i));
  // The localiser alone on a θ regression: what bench/peer/train_step.py times in PyTorch.
  const vars = [...net.backboneVariables, ...net.headVariables];
  const target = tf.randomNormal([B, 6 + grid.numModes], 0, 1, 'float32', 3);
  const images = tf.randomUniform([B, S, S, 3], 0, 255, 'float32', 2);
  const locOpt = new GroupOptimizer([{ name: 'all', variables: vars, lrMultiplier: 1 }], adam);
  const localiserStep = async () => {
    const { value, grads } = tf.variableGrads(() => {
      const theta = net.localiser.apply(tf.sub(images, 128), { training: true }) as tf.Tensor;
      return tf.mean(tf.square(tf.sub(theta, target))) as tf.Scalar;
    }, vars);
    await value.data();
    locOpt.apply(
      vars.map((v) => grads[v.name]),
      1e-4,
    );
    tf.dispose([value, ...Object.values(grads)]);
  };
  const fullStep = async (i: number) => {
    const b = batches[i % batches.length];
    await full(b.samples, b.pairs, 1e-4);
  };
  const desc = describeLocaliser({
    backbone: backbone as 'vgg16',
    inputSize: S,
    shapeDims: grid.numModes,
  });
  const weighted = desc.layers.filter((l) => l.kind === 'conv' || l.kind === 'dense');
  const trainFlopsPerImage = 3 * desc.flops - (weighted[0]?.flops ?? 0);
  const base = {
    arch,
    backend: info.name,
    threads: wasmThreads(),
    batch: B,
    runs,
    params: net.localiser.countParams(),
    trainFlopsPerImage,
  };
  const tFull: number[] = [];
  const tLoc: number[] = [];
  let error: string | undefined;
  try {
    for (let i = 0; i < runs + warmup; i++) {
      let t0 = performance.now();
      await fullStep(i);
      if (i >= warmup) tFull.push(performance.now() - t0);
      // With micro-batches the localiser step (one batch of B) is skipped: it is what would not fit.
      if (microBatches > 1) continue;
      t0 = performance.now();
      await localiserStep();
      if (i >= warmup) tLoc.push(performance.now() - t0);
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const f = tFull.length > 0 ? stats(tFull) : null;
  const l = tLoc.length > 0 ? stats(tLoc) : null;
  return {
    ...base,
    fullMsPerImage: f ? f.median / B : null,
    fullGflops: f ? (trainFlopsPerImage * B) / (f.median / 1000) / 1e9 : null,
    localiserMsPerImage: l ? l.median / B : null,
    fullStepMs: f,
    localiserStepMs: l,
    wasmHeapBytes: wasmHeapBytes(),
    rssBytes: process.memoryUsage().rss,
    ...(error ? { error } : {}),
  };
}

function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
  return heap.buffer.byteLength;
}

function wasmThreads(): number {
  if (tf.getBackend() !== 'wasm') return 0;
  const w = (tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm;
  return w.tfjs.getThreadsCount();
}

function runChild(arch: string): ChildResult {
  const passOn = ['backend', 'batch', 'runs', 'warmup', 'res', 'micro-batches']
    .filter((n) => process.argv.some((a) => a === `--${n}` || a.startsWith(`--${n}=`)))
    .flatMap((n) => [`--${n}`, arg(n, '')]);
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child', arch, ...passOn],
    { encoding: 'utf8', maxBuffer: 1 << 26, env: process.env },
  );
  const line = r.stdout
    .split('\n')
    .reverse()
    .find((s) => s.startsWith('{"arch"'));
  if (line) return JSON.parse(line) as ChildResult;
  const why = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ');
  return {
    arch,
    backend: arg('backend', 'wasm'),
    threads: 0,
    batch: Number(arg('batch', '8')),
    runs: 0,
    fullMsPerImage: null,
    localiserMsPerImage: null,
    fullStepMs: null,
    localiserStepMs: null,
    wasmHeapBytes: null,
    rssBytes: 0,
    params: 0,
    trainFlopsPerImage: 0,
    fullGflops: null,
    error: `child process failed (exit ${r.status ?? r.signal}): ${why}`,
  };
}

/** Times the wasm backend's matmul and conv in this process (threads from STN_WASM_THREADS). */
async function gemmChild(): Promise<GemmResult> {
  await selectBackend({ backend: 'wasm' });
  const time = (f: () => tf.Tensor, reps = 7) => {
    const ts: number[] = [];
    for (let i = 0; i < reps + 2; i++) {
      const t0 = performance.now();
      tf.tidy(() => {
        f().dataSync();
      });
      if (i >= 2) ts.push(performance.now() - t0);
    }
    return stats(ts).median / 1000;
  };
  const n = 1024;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const matmul = (2 * n * n * n) / time(() => tf.matMul(a, b)) / 1e9;
  const x = tf.randomNormal([8, 56, 56, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const conv = (2 * 8 * 56 * 56 * 9 * 64 * 64) / time(() => tf.conv2d(x, w, 1, 'same')) / 1e9;
  tf.dispose([a, b, x, w]);
  return { threads: wasmThreads(), matmulGflops: matmul, convGflops: conv };
}

function runGemm(threads: number): GemmResult {
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--gemm-child'],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      env: { ...process.env, STN_WASM_THREADS: String(threads) },
    },
  );
  const line = r.stdout
    .split('\n')
    .reverse()
    .find((s) => s.startsWith('{"threads"'));
  if (line) return JSON.parse(line) as GemmResult;
  return {
    threads,
    matmulGflops: Number.NaN,
    convGflops: Number.NaN,
    error: (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' '),
  };
}

function runPeer(arch: string): PeerResult {
  const script = fileURLToPath(new URL('./peer/train_step.py', import.meta.url));
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(
    python,
    [script, '--json', '--only', arch, '--batch', arg('batch', '8'), '--runs', arg('runs', '5')],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const line = r.stdout
    ?.split('\n')
    .reverse()
    .find((s) => s.startsWith('{'));
  if (line) return JSON.parse(line) as PeerResult;
  return {
    arch,
    msPerImage: Number.NaN,
    stepMs: { median: Number.NaN, min: Number.NaN, max: Number.NaN },
    threads: 0,
    torch: '',
    error: `${python} ${script} failed: ${(r.stderr || String(r.error)).trim().split('\n').slice(-2).join(' ')}`,
  };
}

const mb = (b: number | null) => (b === null ? '—' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const ms = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(1);

async function main(): Promise<void> {
  if (flag('gemm-child')) {
    console.log(JSON.stringify(await gemmChild()));
    process.exit(0);
  }
  const childArch = arg('child', '');
  if (childArch) {
    console.log(JSON.stringify(await child(childArch)));
    process.exit(0);
  }
  const only = arg('only', '');
  const archs = only ? only.split(',') : ARCHS;
  for (const a of archs) {
    if (!/^(vgg16|vgg-small|vgg-tiny)@\d+$/.test(a)) {
      throw new Error(`--only: '${a}' is not <vgg16|vgg-small|vgg-tiny>@<input size>`);
    }
  }
  const peer = flag('peer');
  const loadBefore = loadavg();
  const results: { ours: ChildResult; peer: PeerResult | null }[] = [];
  for (const a of archs) {
    const ours = runChild(a);
    const p = peer ? runPeer(a) : null;
    results.push({ ours, peer: p });
    if (!flag('json')) {
      console.error(
        `${a}: ${ms(ours.fullMsPerImage)} ms/image${ours.error ? ` (${ours.error})` : ''}`,
      );
    }
  }
  // The wasm backend's GEMM peak in the same run, on 1 and 2 threads (each in its own process:
  // the thread count is fixed when wasm initialises).
  const gemm = flag('no-gemm') ? [] : [1, 2].map(runGemm);
  const loadAfter = loadavg();
  const quiet = loadBefore[0] < 1.5 && loadAfter[0] < 1.5;
  const info = machineInfo();
  const machine = {
    cpu: info.cpu,
    simd: info.simd,
    cores: cpus().length,
    node: process.version,
    loadBefore,
    loadAfter,
    preliminary: !quiet,
  };
  if (flag('json')) {
    console.log(JSON.stringify({ machine, gemm, results }, null, 2));
    return;
  }
  console.log(
    `machine: ${machine.cpu} (SIMD: ${machine.simd.join(' ') || 'none read'}), ${machine.cores} cores, node ${machine.node}; load before ${loadBefore
      .map((x) => x.toFixed(2))
      .join(
        ' ',
      )}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}${quiet ? '' : ' — PRELIMINARY (load ≥ 1.5)'}`,
  );
  for (const g of gemm)
    console.log(
      `wasm GEMM peak, ${g.threads} thread${g.threads === 1 ? '' : 's'}: matmul 1024² ${ms(g.matmulGflops)} GFLOP/s, conv 3×3 8×56²×64→64 ${ms(g.convGflops)} GFLOP/s${g.error ? ` (${g.error})` : ''}`,
    );
  const peakFor = (threads: number) => {
    const g = gemm.find((x) => x.threads === Math.max(1, threads));
    return g ? Math.max(g.matmulGflops, g.convGflops) : Number.NaN;
  };
  console.log(
    '| arch @ input, B | backend (threads) | full step ms/image | step GFLOP/s (% of GEMM peak) | localiser step ms/image | PyTorch localiser ms/image | ratio | peak wasm heap | RSS |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const { ours, peer: p } of results) {
    const ratio =
      p && ours.localiserMsPerImage !== null && Number.isFinite(p.msPerImage)
        ? `${(ours.localiserMsPerImage / p.msPerImage).toFixed(2)}×`
        : '—';
    console.log(
      `| ${ours.arch}, ${ours.batch} | ${ours.backend} (${ours.threads}) | ${ms(ours.fullMsPerImage)} | ${ms(ours.fullGflops)} (${ours.fullGflops === null || !Number.isFinite(peakFor(ours.threads)) ? '—' : `${((100 * ours.fullGflops) / peakFor(ours.threads)).toFixed(0)} %`}) | ${ms(ours.localiserMsPerImage)} | ${p ? ms(p.msPerImage) : '—'} | ${ratio} | ${mb(ours.wasmHeapBytes)} | ${mb(ours.rssBytes)} |`,
    );
    if (ours.error) console.log(`|   ↳ ours failed: ${ours.error} |`);
    if (p?.error) console.log(`|   ↳ peer failed: ${p.error} |`);
  }
}

await main();

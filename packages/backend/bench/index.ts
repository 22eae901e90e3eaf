/**
 * Benchmarks of @3dmm-stn/backend (run from packages/backend):
 *   npx tsx --tsconfig tsconfig.json bench/index.ts [--quick]
 *
 * 1. Conv2DBackpropFilter: wasm with this package's kernel (the `conv` strategy and the
 *    `matmul` fallback) vs the cpu backend's own kernel. The cpu kernel is a naive loop
 *    (~10 MFLOP/s) that would take minutes per call at VGG sizes, so it is timed at a small size
 *    and its VGG-size time is projected from its measured FLOP rate (marked "projected").
 * 2. Conv2DBackpropInput: this package's wasm kernel vs wasm's built-in loop (which it replaces).
 * 3. UnsortedSegmentSum at the size of the STN sampler's gather gradient.
 * 4. One training step (forward + backward + Adam) of a small VGG-style net at B = 8, 112×112×3,
 *    on wasm (with this package's kernels, and with wasm's built-in Conv2DBackpropInput) and cpu.
 * Median (min–max) of ≥ 5 runs after a warm-up; fixed seeds. Results also go to bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/index';
import {
  conv2DBackpropFilterWasm,
  type FilterGradStrategy,
} from '../src/kernels/conv2d_backprop_filter_wasm';

const quick = process.argv.includes('--quick');
const RUNS = 5;

interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
}

async function time(f: () => void | Promise<void>, runs = RUNS, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await f();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[Math.floor(ts.length / 2)], min: ts[0], max: ts[ts.length - 1], runs };
}

const fmt = (t: Timing) =>
  `${t.median.toFixed(1)} ms (${t.min.toFixed(1)}–${t.max.toFixed(1)}, n=${t.runs})`;

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

// ---------------------------------------------------------------- 1. filter gradient
interface FilterCase {
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
}
const filterFlops = (c: FilterCase) => {
  const oh = Math.ceil(c.x[1] / c.stride);
  const ow = Math.ceil(c.x[2] / c.stride);
  return 2 * c.x[0] * oh * ow * c.k * c.k * c.x[3] * c.cout;
};

async function filterGradWasm(c: FilterCase, strategy: FilterGradStrategy): Promise<Timing> {
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  const oh = Math.ceil(c.x[1] / c.stride);
  const x = seeded(c.x, 1);
  const dy = seeded([c.x[0], oh, Math.ceil(c.x[2] / c.stride), c.cout], 2);
  const attrs = {
    strides: c.stride,
    pad: 'same' as const,
    dataFormat: 'NHWC' as const,
    filterShape: [c.k, c.k, c.x[3], c.cout] as [number, number, number, number],
  };
  // The fallback at VGG sizes takes ~10× longer: fewer runs there (reported as n).
  const runs = strategy === 'matmul' && filterFlops(c) > 2e9 ? 3 : RUNS;
  const t = await time(() => {
    const out = conv2DBackpropFilterWasm({ inputs: { x, dy }, backend, attrs }, strategy);
    backend.readSync(out.dataId);
    backend.disposeData(out.dataId);
  }, runs);
  tf.dispose([x, dy]);
  return t;
}

async function filterGradCpu(c: FilterCase): Promise<Timing> {
  await tf.setBackend('cpu');
  const oh = Math.ceil(c.x[1] / c.stride);
  const x = seeded(c.x, 1);
  const dy = seeded([c.x[0], oh, Math.ceil(c.x[2] / c.stride), c.cout], 2);
  const t = await time(() => {
    tf.tidy(() => {
      (
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          {
            strides: c.stride,
            pad: 'same',
            dataFormat: 'NHWC',
            filterShape: [c.k, c.k, c.x[3], c.cout],
          },
        ) as tf.Tensor
      ).dataSync();
    });
  });
  tf.dispose([x, dy]);
  return t;
}

// ---------------------------------------------------------------- 2. training step
const VGG_WIDTHS = [16, 32, 64, 64];

function smallVgg(): tf.LayersModel {
  const input = tf.input({ shape: [112, 112, 3] });
  let h: tf.SymbolicTensor = input;
  VGG_WIDTHS.forEach((filters, i) => {
    h = tf.layers
      .conv2d({
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: i + 1 }),
      })
      .apply(h) as tf.SymbolicTensor;
    h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  });
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor; // 7·7·64 = 3136
  h = tf.layers
    .dense({
      units: 256,
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: 9 }),
    })
    .apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.5, seed: 10 }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 16, kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

async function trainingStep(backend: string, runs: number, warmup = 1): Promise<Timing> {
  await tf.setBackend(backend);
  const model = smallVgg();
  const optimizer = tf.train.adam(1e-4);
  const x = seeded([8, 112, 112, 3], 3);
  const y = seeded([8, 16], 4);
  const t = await time(
    () => {
      tf.tidy(() => {
        optimizer
          .minimize(
            () =>
              tf.losses.meanSquaredError(
                y,
                model.apply(x, { training: true }) as tf.Tensor,
              ) as tf.Scalar,
            true,
          )!
          .dataSync();
      });
    },
    runs,
    warmup,
  );
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
  return t;
}

// ---------------------------------------------------------------- main
// wasm's own Conv2DBackpropInput, captured before registerWasmTrainingKernels replaces it.
await import('@tensorflow/tfjs-backend-wasm');
const builtinInputGrad = tf.getKernel('Conv2DBackpropInput', 'wasm')!;
const info = await selectBackend({ backend: 'wasm' });
const oursInputGrad = tf.getKernel('Conv2DBackpropInput', 'wasm')!;
function useInputGrad(config: tf.KernelConfig): void {
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel(config);
}
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  loadavg1: Number(os.loadavg()[0].toFixed(2)),
  tfjs: tf.version.tfjs,
  wasmKernelsRegistered: info.kernelsRegistered,
  note: 'other helpers were running builds and tests on the same 2 cores at the time',
};
console.log('machine:', JSON.stringify(machine));

const results: Record<string, unknown> = { machine, filterGrad: [] };
// Written after every section, so a run stopped during the (minutes-long) cpu step keeps the rest.
function save(): void {
  if (!quick) {
    results.loadavg1End = Number(os.loadavg()[0].toFixed(2));
    writeFileSync(
      new URL('./results.json', import.meta.url),
      `${JSON.stringify(results, null, 2)}\n`,
    );
  }
}

// cpu's rate, measured where it finishes in seconds.
const small: FilterCase = { x: [1, 28, 28, 32], k: 3, cout: 32, stride: 1 };
const cpuSmall = await filterGradCpu(small);
const cpuMflops = filterFlops(small) / 1e3 / cpuSmall.median;
const wasmSmall = await filterGradWasm(small, 'conv');
console.log(
  `\nConv2DBackpropFilter x [${small.x}] 3×3→${small.cout}: cpu ${fmt(cpuSmall)} ` +
    `(${cpuMflops.toFixed(1)} MFLOP/s), wasm ${fmt(wasmSmall)}, ×${(cpuSmall.median / wasmSmall.median).toFixed(0)}`,
);
(results.filterGrad as unknown[]).push({
  case: small,
  cpu: cpuSmall,
  wasmConv: wasmSmall,
  cpuMflops,
});

const cases: FilterCase[] = [
  { x: [8, 56, 56, 128], k: 3, cout: 128, stride: 1 },
  { x: [8, 112, 112, 64], k: 3, cout: 64, stride: 1 },
  { x: [8, 224, 224, 3], k: 3, cout: 64, stride: 1 },
  { x: [8, 28, 28, 256], k: 3, cout: 256, stride: 1 },
  { x: [8, 112, 112, 64], k: 3, cout: 64, stride: 2 },
];
console.log('\n| x | filter | stride | GFLOP | wasm conv | wasm matmul | cpu (projected) |');
console.log('|---|---|---|---|---|---|---|');
for (const [i, c] of (quick ? cases.slice(0, 1) : cases).entries()) {
  const conv = await filterGradWasm(c, 'conv');
  // The fallback only where it says something new (it is ~10× slower): the first and the strided case.
  const matmul = i === 0 || c.stride > 1 ? await filterGradWasm(c, 'matmul') : null;
  const projected = filterFlops(c) / 1e3 / cpuMflops;
  console.log(
    `| [${c.x}] | 3×3×${c.x[3]}×${c.cout} | ${c.stride} | ${(filterFlops(c) / 1e9).toFixed(2)} | ` +
      `${fmt(conv)} | ${matmul ? fmt(matmul) : '—'} | ~${(projected / 1000).toFixed(0)} s |`,
  );
  (results.filterGrad as unknown[]).push({
    case: c,
    wasmConv: conv,
    wasmMatmul: matmul,
    cpuProjectedMs: projected,
  });
}
save();

console.log('\nConv2DBackpropInput on wasm: this package vs the built-in kernel it replaces');
console.log('| dy | filter | stride | ours | built-in | speed-up |');
console.log('|---|---|---|---|---|---|');
const inputGrad: unknown[] = [];
for (const c of quick ? cases.slice(0, 1) : [cases[0], cases[1], cases[4]]) {
  const oh = Math.ceil(c.x[1] / c.stride);
  const ow = Math.ceil(c.x[2] / c.stride);
  const dyShape = [c.x[0], oh, ow, c.cout];
  const timeWith = async (config: tf.KernelConfig) => {
    await tf.setBackend('wasm');
    useInputGrad(config);
    const dy = seeded(dyShape, 5);
    const w = seeded([c.k, c.k, c.x[3], c.cout], 6);
    const t = await time(() => {
      tf.tidy(() => {
        (
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy, filter: w },
              { strides: c.stride, pad: 'same', dataFormat: 'NHWC', inputShape: c.x },
            ) as tf.Tensor
        ).dataSync();
      });
    });
    tf.dispose([dy, w]);
    return t;
  };
  const ours = await timeWith(oursInputGrad);
  const builtin = await timeWith(builtinInputGrad);
  useInputGrad(oursInputGrad);
  console.log(
    `| [${dyShape}] | 3×3×${c.x[3]}×${c.cout} | ${c.stride} | ${fmt(ours)} | ${fmt(builtin)} | ×${(builtin.median / ours.median).toFixed(1)} |`,
  );
  inputGrad.push({
    dy: dyShape,
    filter: [c.k, c.k, c.x[3], c.cout],
    stride: c.stride,
    ours,
    builtin,
  });
}
results.inputGrad = inputGrad;
save();

// The sampler's gather: B·Ho·Wo·4 corner reads of a [B·H·W, C] image; its gradient scatters back.
{
  const [B, H, Ho, C] = [8, 224, 112, 3];
  const reads = B * Ho * Ho * 4;
  const segments = B * H * H;
  await tf.setBackend('wasm');
  const vals = seeded([reads, C], 7);
  const ids = tf.randomUniform([reads], 0, segments, 'int32', 8);
  const t = await time(() => {
    tf.tidy(() => {
      tf.unsortedSegmentSum(vals, ids as tf.Tensor1D, segments).dataSync();
    });
  });
  tf.dispose([vals, ids]);
  // The cpu kernel is O(segments × reads): measured at 1/100 of the segments and reads.
  await tf.setBackend('cpu');
  const small = [Math.round(reads / 100), Math.round(segments / 100)];
  const vs = seeded([small[0], C], 7);
  const is = tf.randomUniform([small[0]], 0, small[1], 'int32', 8);
  const tc = await time(() => {
    tf.tidy(() => {
      tf.unsortedSegmentSum(vs, is as tf.Tensor1D, small[1]).dataSync();
    });
  });
  tf.dispose([vs, is]);
  console.log(
    `\nUnsortedSegmentSum [${reads}, ${C}] → ${segments} segments (gather gradient of the sampler, ` +
      `B=${B}, ${H}² image, ${Ho}² grid): wasm ${fmt(t)}; cpu at 1/100 size ` +
      `([${small[0]}, ${C}] → ${small[1]}): ${fmt(tc)}`,
  );
  results.unsortedSegmentSum = { reads, segments, channels: C, wasm: t, cpuAtOneHundredth: tc };
  save();
}

console.log(
  `\nTraining step (fwd + bwd + Adam), VGG-style ${VGG_WIDTHS.join('-')} conv3×3+pool, dense 256, dropout, B = 8, 112×112×3:`,
);
const wasmStep = await trainingStep('wasm', RUNS);
console.log(`  wasm (this package's kernels): ${fmt(wasmStep)}`);
useInputGrad(builtinInputGrad);
const wasmBuiltinStep = await trainingStep('wasm', RUNS);
useInputGrad(oursInputGrad);
console.log(`  wasm with the built-in Conv2DBackpropInput: ${fmt(wasmBuiltinStep)}`);
results.trainingStep = {
  widths: VGG_WIDTHS,
  batch: 8,
  size: 112,
  wasm: wasmStep,
  wasmBuiltinInputGrad: wasmBuiltinStep,
};
save();
// One cpu step takes minutes (its filter-gradient loop alone is ~0.7 GFLOP at a few MFLOP/s):
// a single run without warm-up, reported as n=1.
const cpuStep = quick ? null : await trainingStep('cpu', 1, 0);
if (cpuStep)
  console.log(`  cpu:  ${fmt(cpuStep)}  (×${(cpuStep.median / wasmStep.median).toFixed(0)})`);
results.trainingStep = {
  widths: VGG_WIDTHS,
  batch: 8,
  size: 112,
  wasm: wasmStep,
  wasmBuiltinInputGrad: wasmBuiltinStep,
  cpu: cpuStep,
};

if (!quick)
  writeFileSync(
    new URL('./results.json', import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );

/**
 * MaxPoolGrad on wasm: tfjs-backend-wasm's own C++ kernel against this package's (run from
 * packages/backend): `npx tsx --tsconfig tsconfig.json bench/max_pool_grad.ts [--json]`.
 * 2×2/2 'valid' pools at the sizes of vgg-tiny@112 and VGG-16@224's first blocks, B = 8.
 * The two kernels alternate in one process (A, B, A, B, …) after a warm-up of each, so load
 * affects both; median (min–max) of 7. Load average printed before and after.
 */
import os from 'node:os';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { maxPoolGradWasm } from '../src/kernels/max_pool_grad_wasm';
import { selectBackend } from '../src/index';

const RUNS = 7;
const SHAPES: [number, number, number, number][] = [
  [8, 112, 112, 16],
  [8, 56, 56, 32],
  [8, 28, 28, 64],
  [8, 224, 224, 64],
];

// Capture wasm's own kernel before selectBackend replaces it.
await import('@tensorflow/tfjs-backend-wasm');
const builtin = tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc;
if (!builtin) throw new Error("tfjs-backend-wasm has no 'MaxPoolGrad' kernel");
await selectBackend({ backend: 'wasm' });
const backend = tf.backend() as BackendWasm;
const loadBefore = os.loadavg();

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[s.length >> 1], min: s[0], max: s[s.length - 1] };
};
const rows = [];
for (const shape of SHAPES) {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const dy = tf.randomNormal([shape[0], shape[1] / 2, shape[2] / 2, shape[3]], 0, 1, 'float32', 2);
  const args = {
    inputs: { dy, input: x, output: x },
    backend,
    attrs: { filterSize: 2, strides: 2, pad: 'valid' as const },
  };
  const variants = {
    wasm: () => builtin(args as never) as tf.TensorInfo,
    ours: () => maxPoolGradWasm(args),
  };
  const times: Record<string, number[]> = { wasm: [], ours: [] };
  for (let i = 0; i <= RUNS; i++) {
    for (const [name, f] of Object.entries(variants)) {
      const t0 = performance.now();
      const out = f();
      const ms = performance.now() - t0;
      backend.disposeData(out.dataId);
      if (i > 0) times[name].push(ms); // run 0 is the warm-up
    }
  }
  const w = stats(times.wasm);
  const o = stats(times.ours);
  rows.push({ shape, wasmMs: w, oursMs: o, speedup: w.median / o.median });
  tf.dispose([x, dy]);
}
const loadAfter = os.loadavg();
const machine = {
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  node: process.version,
  loadBefore,
  loadAfter,
  preliminary: loadBefore[0] >= 1.5 || loadAfter[0] >= 1.5,
};
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ machine, rows }, null, 2));
} else {
  console.log(
    `machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after${machine.preliminary ? ' — PRELIMINARY' : ''}`,
  );
  console.log('| x (2×2/2 valid) | wasm built-in ms | ours ms | speed-up |');
  console.log('|---|---|---|---|');
  const f = (s: { median: number; min: number; max: number }) =>
    `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  for (const r of rows) {
    console.log(`| [${r.shape}] | ${f(r.wasmMs)} | ${f(r.oursMs)} | ×${r.speedup.toFixed(1)} |`);
  }
}

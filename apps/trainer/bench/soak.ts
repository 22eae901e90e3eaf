/**
 * `npm run soak -w @3dmm-stn/trainer [-- --steps 1000 --warmup 300 --json --readme]`
 *
 * Soak test of the training loop (not part of `npm test`: ≈ 2–10 minutes): runs `train()` on the
 * demo's configuration (vgg-tiny@64, UV 32², synthetic pairs, evaluations and checkpoints every
 * 250 steps, no time budget) for `--steps` steps and records after every step the number of tfjs
 * tensors, the wasm heap size (it only grows), the JS heap in use and the RSS. After `--warmup`
 * steps (past the first evaluation and checkpoint, which size the heap for themselves) it asserts
 *
 *   - the tensor count is the same after every step, and
 *   - the wasm heap does not grow,
 *
 * and reports the JS heap's growth (garbage-collected, so noisy; printed, not asserted unless
 * `--max-js-growth MB` is given). Exit code 1 when an assertion fails. `--readme` writes the
 * result between `<!-- soak:begin -->` / `<!-- soak:end -->` in apps/trainer/README.md, with the
 * machine and load.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../src/config';
import { machineInfo } from '../src/machine';
import { train } from '../src/train';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
};
const flag = (name: string) => process.argv.includes(`--${name}`);

function wasmHeapBytes(): number {
  if (tf.getBackend() !== 'wasm') return 0;
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
}

interface Sample {
  step: number;
  tensors: number;
  wasmHeapMB: number;
  jsHeapMB: number;
  rssMB: number;
}

async function main() {
  const steps = Number(arg('steps', '1000'));
  const warmup = Number(arg('warmup', String(Math.min(300, Math.floor(steps / 3)))));
  const every = Math.min(250, Math.max(1, Math.floor(steps / 4)));
  const maxJsGrowth = Number(arg('max-js-growth', 'NaN'));
  const out = await mkdtemp(join(tmpdir(), 'soak-'));
  const config = await loadConfig({
    file: fileURLToPath(new URL('../demo.yaml', import.meta.url)),
    overrides: {
      'train.steps': steps,
      'train.maxMinutes': 0,
      'eval.every': every,
      'checkpoint.every': every,
      'output.dir': out,
      'output.name': 'soak',
      'report.samples': 2,
    },
  });
  const before = machineInfo();
  const samples: Sample[] = [];
  const t0 = performance.now();
  await train(config, {
    log: flag('json') ? () => {} : (l) => process.stderr.write(`${l}\n`),
    handleSigint: false,
    report: false,
    onStep: (rec) => {
      const m = process.memoryUsage();
      samples.push({
        step: rec.step,
        tensors: tf.memory().numTensors,
        wasmHeapMB: wasmHeapBytes() / 2 ** 20,
        jsHeapMB: m.heapUsed / 2 ** 20,
        rssMB: m.rss / 2 ** 20,
      });
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const after = machineInfo();
  await rm(out, { recursive: true, force: true });

  const steady = samples.filter((s) => s.step > warmup);
  const first = steady[0];
  const last = steady[steady.length - 1];
  const tensorCounts = [...new Set(steady.map((s) => s.tensors))];
  const wasmGrowth = last.wasmHeapMB - first.wasmHeapMB;
  // JS heap: the mean of the last 10 % against the first 10 % of the steady part (GC noise).
  const tenth = Math.max(1, Math.floor(steady.length / 10));
  const mean = (xs: Sample[]) => xs.reduce((a, s) => a + s.jsHeapMB, 0) / xs.length;
  const jsGrowth = mean(steady.slice(-tenth)) - mean(steady.slice(0, tenth));
  const checks = {
    tensorsFlat: tensorCounts.length === 1,
    wasmHeapFlat: wasmGrowth === 0,
    jsHeap: Number.isNaN(maxJsGrowth) ? null : jsGrowth <= maxJsGrowth,
  };
  const result = {
    steps,
    warmup,
    backend: tf.getBackend(),
    seconds: Math.round(seconds),
    tensors: { steady: tensorCounts, atWarmup: first.tensors },
    wasmHeapMB: { atWarmup: first.wasmHeapMB, end: last.wasmHeapMB, growth: wasmGrowth },
    jsHeapMB: { atWarmup: first.jsHeapMB, end: last.jsHeapMB, growthOfMeans: jsGrowth },
    rssMB: { atWarmup: first.rssMB, end: last.rssMB },
    checks,
    machine: { start: before, end: after },
    curve: samples.filter((s) => s.step % 10 === 0 || s.step === 1),
  };
  const ok = checks.tensorsFlat && checks.wasmHeapFlat && checks.jsHeap !== false;
  const f1 = (x: number) => x.toFixed(1);
  const text = [
    `Written by \`npm run soak -w @3dmm-stn/trainer -- --steps ${steps} --readme\` on ${before.date.slice(0, 10)} (${before.cpu}, ${before.cores} cores, ${result.backend} backend, load ${before.load} → ${after.load}; ${result.seconds} s):`,
    '',
    '| after warm-up (step ' + warmup + ' → ' + last.step + ') | at warm-up | at the end | check |',
    '|---|---|---|---|',
    `| tfjs tensors | ${first.tensors} | ${last.tensors} | ${checks.tensorsFlat ? 'flat ✓' : `NOT flat: ${tensorCounts.join(', ')}`} |`,
    `| wasm heap (MB) | ${f1(first.wasmHeapMB)} | ${f1(last.wasmHeapMB)} | ${checks.wasmHeapFlat ? 'flat ✓' : `grew ${f1(wasmGrowth)} MB`} |`,
    `| JS heap in use (MB) | ${f1(first.jsHeapMB)} | ${f1(last.jsHeapMB)} | mean of the last tenth − first tenth: ${f1(jsGrowth)} MB (not asserted) |`,
    `| RSS (MB) | ${f1(first.rssMB)} | ${f1(last.rssMB)} | — |`,
  ].join('\n');
  if (flag('json')) console.log(JSON.stringify(result, null, 1));
  else console.log(text);
  if (flag('readme')) {
    const file = fileURLToPath(new URL('../README.md', import.meta.url));
    const src = await readFile(file, 'utf8');
    const re = /(<!-- soak:begin -->)[\s\S]*?(<!-- soak:end -->)/;
    if (!re.test(src)) throw new Error(`${file}: no soak markers`);
    await writeFile(file, src.replace(re, `$1\n${text}\n$2`));
  }
  await writeFile(
    fileURLToPath(new URL(`../runs/soak-${steps}.json`, import.meta.url)),
    JSON.stringify(result),
  ).catch(() => {});
  if (!ok) {
    process.stderr.write(`soak: FAILED ${JSON.stringify(checks)}\n`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});

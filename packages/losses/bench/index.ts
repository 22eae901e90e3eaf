/**
 * Loss throughput: value, and value + gradient, of each loss at training sizes
 * (B = 16, UV 112×112×3, 68 landmarks, D = 10) on wasm and cpu.
 *
 *   npx tsx --tsconfig tsconfig.json bench/index.ts
 *
 * Warm-up, then median (min, max) of 5 runs. Fixed seeds. Writes bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import { landmarkLoss, multiviewLoss, priorLoss, stnLoss, symmetryLoss } from '../src/index';

const [B, R, L, D] = [16, 112, 68, 10];
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function time(f: () => void): { median: number; min: number; max: number } {
  f();
  const t: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return { median: median(t), min: Math.min(...t), max: Math.max(...t) };
}

const results: Record<string, unknown>[] = [];
for (const backend of ['wasm', 'cpu'] as const) {
  await selectBackend({ backend });
  const uv = tf.randomUniform([B, R, R, 3], 0, 255, 'float32', 1);
  const uvB = tf.randomUniform([B, R, R, 3], 0, 255, 'float32', 2);
  const mask = tf.tidy(() =>
    tf.cast(tf.greater(tf.randomUniform([B, R, R, 1], 0, 1, 'float32', 3), 0.3), 'float32'),
  );
  const maskB = tf.tidy(() =>
    tf.cast(tf.greater(tf.randomUniform([B, R, R, 1], 0, 1, 'float32', 4), 0.3), 'float32'),
  );
  const pred = tf.randomUniform([B, L, 2], 0, 224, 'float32', 5);
  const target = tf.randomUniform([B, L, 2], 0, 224, 'float32', 6);
  const conf = tf.ones([B, L]);
  const alpha = tf.randomNormal([B, D], 0, 1, 'float32', 7);
  const total = stnLoss();
  const cases: [string, () => tf.Tensor, tf.Tensor][] = [
    ['landmark', () => landmarkLoss(pred, target, conf), pred],
    ['symmetry', () => symmetryLoss(uv, mask), uv],
    ['multiview', () => multiviewLoss(uv, mask, uvB, maskB), uv],
    ['prior', () => priorLoss(alpha), alpha],
  ];
  for (const [name, f, x] of cases) {
    const fwd = time(() =>
      tf.tidy(() => {
        f().dataSync();
      }),
    );
    const bwd = time(() =>
      tf.tidy(() => {
        tf.grad(() => f())(x).dataSync();
      }),
    );
    results.push({ backend, loss: name, forwardMs: fwd, forwardBackwardMs: bwd });
  }
  const all = time(() =>
    tf.tidy(() => {
      const g = tf.grads(
        (u: tf.Tensor, p: tf.Tensor, a: tf.Tensor) =>
          total({
            landmarks: { pred: p, target, confidence: conf },
            uv: u,
            mask,
            alpha: a,
            pairs: { uvA: u, maskA: mask, uvB, maskB },
          }).total,
      )([uv, pred, alpha]);
      for (const t of g) t.dataSync();
    }),
  );
  results.push({
    backend,
    loss: 'stnLoss (all four, grads wrt uv, pred, alpha)',
    forwardMs: null,
    forwardBackwardMs: all,
  });
  tf.dispose([uv, uvB, mask, maskB, pred, target, conf, alpha]);
}

const f = (t: { median: number; min: number; max: number } | null) =>
  t ? `${t.median.toFixed(2)} (${t.min.toFixed(2)}–${t.max.toFixed(2)})` : '—';
console.log(`B = ${B}, UV ${R}×${R}×3, L = ${L}, D = ${D}; ms median (min–max) of ${RUNS}`);
console.log('backend | loss | value | value + gradient');
for (const r of results) {
  console.log(
    `${r.backend} | ${r.loss} | ${f(r.forwardMs as never)} | ${f(r.forwardBackwardMs as never)}`,
  );
}
const machine = {
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  node: process.version,
  tfjs: tf.version.tfjs,
  date: new Date().toISOString(),
  note: 'other helpers were running on the same 2 cores during this run',
};
console.log('machine:', machine);
writeFileSync(
  fileURLToPath(new URL('./results.json', import.meta.url)),
  `${JSON.stringify({ machine, results }, null, 2)}\n`,
);

/**
 * `npm run bench -w @3dmm-stn/pretrained [-- --json]`: forward time of the shipped network per
 * 112² crop on the wasm backend — θ alone (the localiser: what `fit --localiser pretrained`
 * runs) and the whole network (θ + STN: UV texture, mask, landmarks) — at B = 1 and B = 8.
 * Warm-up, then the median of interleaved runs (θ, full, θ, full, …) so load affects both;
 * the machine and os.loadavg() before and after are printed. Quote a number only when the
 * 1-minute load was < 1.5 before and after.
 */
import os from 'node:os';
import { selectBackend } from '@3dmm-stn/backend/node';
import * as tf from '@tensorflow/tfjs';
import { loadPretrained } from '../src/node';

const json = process.argv.includes('--json');
const RUNS = 15;

async function main(): Promise<void> {
  const backend = await selectBackend({ backend: 'wasm' });
  const net = await loadPretrained();
  const S = net.inputSize;
  const thetaOnly = tf.model({ inputs: net.model.inputs, outputs: net.model.outputs[0] });
  const loadBefore = os.loadavg();
  const results: Record<string, { batch: number; msPerCrop: number; runs: number[] }> = {};
  for (const B of [1, 8]) {
    const x = tf.randomUniform([B, S, S, 3], 0, 255, 'float32', 1);
    const variants: [string, () => void][] = [
      [
        'theta',
        () =>
          tf.tidy(() => {
            (thetaOnly.predict(x) as tf.Tensor).dataSync();
          }),
      ],
      [
        'full',
        () =>
          tf.tidy(() => {
            for (const y of net.model.predict(x) as tf.Tensor[]) y.dataSync();
          }),
      ],
    ];
    for (const [, f] of variants) for (let k = 0; k < 3; k++) f();
    const times: Record<string, number[]> = { theta: [], full: [] };
    for (let r = 0; r < RUNS; r++)
      for (const [name, f] of variants) {
        const t0 = performance.now();
        f();
        times[name].push(performance.now() - t0);
      }
    for (const name of Object.keys(times)) {
      const a = [...times[name]].sort((p, q) => p - q);
      results[`${name} B=${B}`] = { batch: B, msPerCrop: a[a.length >> 1] / B, runs: times[name] };
    }
    x.dispose();
  }
  const loadAfter = os.loadavg();
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    node: process.version,
    backend: backend.name,
  };
  if (json) {
    console.log(JSON.stringify({ machine, loadBefore, loadAfter, inputSize: S, results }, null, 2));
  } else {
    console.log(
      `machine: ${machine.cpus}× ${machine.model}, node ${machine.node}, ${machine.backend}; load before ${loadBefore[0].toFixed(2)}, after ${loadAfter[0].toFixed(2)}`,
    );
    console.log('| what | batch | ms per crop (median of 15) |');
    console.log('|---|---|---|');
    for (const [k, r] of Object.entries(results))
      console.log(`| ${k.split(' ')[0]} | ${r.batch} | ${r.msPerCrop.toFixed(2)} |`);
    if (loadBefore[0] >= 1.5 || loadAfter[0] >= 1.5) console.log('(preliminary: load ≥ 1.5)');
  }
  // thetaOnly shares its layers with net.model: disposing the whole network frees both.
  net.model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

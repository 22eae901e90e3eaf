/// <reference lib="dom" />
/**
 * In-page benchmark (`npm run bench:browser`): MorphableModelSTN forward, and forward+backward of
 * a sum over all outputs w.r.t. θ and the image, at B = 8, 224² × 3 → 112², D = 10 — the same
 * case as `bench/layer.ts` in Node (normals visibility) — on wasm and webgl in headless Chromium.
 * Two warm-ups, then median/min/max of RUNS wall-clock runs. Results in `window.__stnResults`.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { defaultModel, resampleToGrid } from '@3dmm-stn/morphable-model';
import { morphableModelSTN } from '../src/index';

function timeIt(f: () => void, runs: number) {
  const t0 = performance.now();
  f();
  console.log(`first call ${(performance.now() - t0).toFixed(0)} ms`);
  f();
  const wall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
  }
  wall.sort((x, y) => x - y);
  return { medianMs: wall[runs >> 1], minMs: wall[0], maxMs: wall[runs - 1], runs };
}

/** Runs per case (after two warm-ups); software GL is slow, so few. */
const RUNS = 5;

async function main(): Promise<void> {
  setWasmPaths('./');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const model = defaultModel();
  if (!model.texCoords) throw new Error('default model without texCoords');
  const grid = resampleToGrid(model, model.texCoords, 112, { shapeModes: 5, expressionModes: 5 });
  const B = 8;
  const D = grid.numModes;
  const rows: unknown[] = [];
  for (const backend of ['wasm', 'webgl']) {
    if (!(await tf.setBackend(backend))) continue;
    await tf.ready();
    const image = tf.randomUniform([B, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const theta = tf.tidy(() =>
      tf.concat(
        [
          tf.randomUniform([B, 3], -0.5, 0.5, 'float32', 2),
          tf.add(tf.randomUniform([B, 2], -5, 5, 'float32', 3), 112),
          tf.fill([B, 1], Math.log(0.9)),
          tf.randomNormal([B, D], 0, 1, 'float32', 4),
        ],
        1,
      ),
    ) as tf.Tensor2D;
    const layer = morphableModelSTN({ gridModel: grid, visibility: 'normals' });
    const grads = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
      tf.addN((layer.apply([a, t]) as tf.Tensor[]).map((o) => tf.sum(o))),
    );
    const name = `B=${B} 224²×3 → 112², D=${D}, normals`;
    rows.push({
      backend,
      case: `forward ${name}`,
      ...timeIt(
        () =>
          tf.tidy(() => {
            for (const o of layer.apply([image, theta]) as tf.Tensor[]) o.dataSync();
          }),
        RUNS,
      ),
    });
    console.log(JSON.stringify(rows[rows.length - 1]));
    rows.push({
      backend,
      case: `forward+backward (image, theta) ${name}`,
      ...timeIt(
        () =>
          tf.tidy(() => {
            for (const g of grads([image, theta])) g.dataSync();
          }),
        RUNS,
      ),
    });
    console.log(JSON.stringify(rows[rows.length - 1]));
    layer.dispose();
    tf.dispose([image, theta]);
  }
  (window as unknown as { __stnResults: unknown }).__stnResults = {
    rows,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
  };
  document.body.dataset.state = 'done';
}

main().catch((e) => {
  (window as unknown as { __stnResults: unknown }).__stnResults = { error: String(e?.stack ?? e) };
  document.body.dataset.state = 'error';
});

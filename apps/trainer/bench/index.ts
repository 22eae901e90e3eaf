/**
 * Bench: images/s of one training step (forward + backward + optimiser update) with the demo
 * configuration (demo.yaml) on the wasm backend, and the time to render one synthetic batch.
 * Warm-up, then median / min / max of ≥ 5 runs, fixed seeds; machine info printed with the table.
 *
 *   npx tsx --tsconfig tsconfig.json bench/index.ts [--runs 7] [--backend wasm]
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '@3dmm-stn/backend/node';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../src/config';
import { buildNetwork } from '../src/network';
import { GroupOptimizer } from '../src/optimizer';
import { meanFaceWidth, SyntheticFaces } from '../src/synthetic';
import { prepareModel } from '../src/train';
import { trainingLossWeights } from '../src/train_setup';
import { createTrainStep } from '../src/train_step';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const runs = Math.max(5, Number(arg('runs', '7')));
const backendName = arg('backend', 'wasm') as 'wasm' | 'cpu';

const config = await loadConfig({ file: fileURLToPath(new URL('../demo.yaml', import.meta.url)) });
const info = await selectBackend({ backend: backendName });
const { model, grid } = await prepareModel(config);
if (!model) throw new Error('bench needs a full morphable model');
const S = config.localiser.inputSize;
const net = buildNetwork({
  backbone: config.localiser.backbone,
  inputSize: S,
  grid,
  meanFaceWidth: meanFaceWidth(model),
  fill: config.data.synthetic.faceFill,
  dropout: config.localiser.dropout,
  seed: config.seed,
  inputScale: config.localiser.inputScale,
});
const opt = new GroupOptimizer(
  [
    { name: 'backbone', variables: net.backboneVariables, lrMultiplier: 1 },
    { name: 'head', variables: net.headVariables, lrMultiplier: config.train.headLrMultiplier },
  ],
  { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7, momentum: 0 },
);
const step = createTrainStep({
  net,
  grid,
  optimizer: opt,
  lossWeights: trainingLossWeights(config, grid),
  clipNorm: config.train.clipNorm,
});
const synth = new SyntheticFaces(model, {
  ...config.data.synthetic,
  inputSize: S,
  shapeModes: grid.numShapeModes,
  expressionModes: grid.numModes - grid.numShapeModes,
  seed: config.seed,
  batchSize: config.train.batchSize,
  pairs: config.data.pairs,
});

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

const render: number[] = [];
const batches = [];
for (let i = 0; i < runs + 2; i++) {
  const t0 = performance.now();
  batches.push(synth.loadStep(i));
  if (i >= 2) render.push(performance.now() - t0);
}
const stepMs: number[] = [];
for (let i = 0; i < runs + 2; i++) {
  const b = batches[i];
  const t0 = performance.now();
  await step(b.samples, b.pairs, 1e-4);
  if (i >= 2) stepMs.push(performance.now() - t0);
}
const B = batches[0].samples.length;
const st = stats(stepMs);
const rd = stats(render);
const rows = [
  ['training step (fwd+bwd+Adam)', `B=${B}`, st.median, st.min, st.max, (B * 1000) / st.median],
  [
    'render synthetic batch (1 thread)',
    `B=${B}`,
    rd.median,
    rd.min,
    rd.max,
    (B * 1000) / rd.median,
  ],
];
console.log(
  `machine: ${cpus()[0].model}, ${cpus().length} cores, node ${process.version}, backend ${info.name}, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(
  `config: demo.yaml (${config.localiser.backbone}, ${S}² input, UV ${grid.res}², D = ${grid.numModes}); ${runs} runs after 2 warm-up`,
);
console.log(
  'NOTE: other work shares the 2 cores while this runs; numbers are upper bounds on time.',
);
console.log('| what | batch | median ms | min ms | max ms | images/s (median) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r[0]} | ${r[1]} | ${(r[2] as number).toFixed(0)} | ${(r[3] as number).toFixed(0)} | ${(r[4] as number).toFixed(0)} | ${(r[5] as number).toFixed(1)} |`,
  );
console.log(
  JSON.stringify({
    backend: info.name,
    batch: B,
    stepMs: st,
    renderMs: rd,
    imagesPerSecond: (B * 1000) / st.median,
  }),
);
opt.dispose();
net.model.dispose();
tf.disposeVariables();

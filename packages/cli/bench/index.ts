/**
 * Fit benchmark on the six photos @vladmandic/face-api ships: detection time per image and
 * fit time per image and per face (optimisation on the default model, res 112; the faces of a
 * photo form one batch), wall clock and CPU, on wasm.
 * Then a steps sweep on sample1 (landmark error vs time).
 *
 *   npx tsx --tsconfig tsconfig.json bench/index.ts [--out DIR] [--json FILE]
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fitImages, faceApiRoot } from '@3dmm-stn/cli';
import { defaultModel } from '@3dmm-stn/morphable-model';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const outDir = arg('--out') ?? (await mkdtemp(join(os.tmpdir(), '3dmm-stn-bench-')));
const photos = [1, 2, 3, 4, 5, 6].map((k) => join(faceApiRoot(), 'demo', `sample${k}.jpg`));
const model = defaultModel();
const loadBefore = os.loadavg()[0];

const stats = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], n: s.length };
};
const f = (x: number, d = 2) => x.toFixed(d);

// Warm-up: loads face-api's models, compiles the wasm kernels, builds the grid.
await fitImages([photos[0]], { outDir, model, maxFaces: 1, backend: 'wasm' });

const run = await fitImages(photos, { outDir, model, backend: 'wasm' });
const facesPerImage = photos.map((p) => run.records.filter((r) => r.image === p).length);
const detect = stats(run.detections.map((d) => d.seconds));
const detectCpu = stats(run.detections.map((d) => d.cpuSeconds));
const firstFace = photos
  .map((p) => run.records.find((r) => r.image === p))
  .filter((r) => r !== undefined);
const fitImageWall = stats(firstFace.map((r) => r.seconds.fitImage));
const fitImageCpu = stats(firstFace.map((r) => r.seconds.fitImageCpu));
const fitWall = stats(run.records.map((r) => r.seconds.fit));
const fitCpu = stats(run.records.map((r) => r.seconds.fitCpu));
const outputs = stats(run.records.map((r) => r.seconds.outputs));
const rms = stats(run.records.map((r) => r.error.rmsPx));
const nrms = stats(run.records.map((r) => r.error.rmsNormalised));
const perImage = stats(
  photos.map(
    (p, i) =>
      run.detections[i].seconds +
      run.records
        .filter((r) => r.image === p)
        .reduce((s, r) => s + r.seconds.fit + r.seconds.outputs, 0),
  ),
);

// Whole run (the issue's per-face figure: the six photos' total / faces), with and without the
// detector (eos's command-line figure excludes detection).
const totals = photos.map((p, i) => {
  const recs = run.records.filter((r) => r.image === p);
  return {
    detect: run.detections[i].seconds,
    fit: recs.reduce((s, r) => s + r.seconds.fit, 0),
    outputs: recs.reduce((s, r) => s + r.seconds.outputs, 0),
  };
});
const sum = (k: 'detect' | 'fit' | 'outputs') => totals.reduce((s, t) => s + t[k], 0);
const wholePerFace = (sum('detect') + sum('fit') + sum('outputs')) / run.faces;
const noDetectPerFace = (sum('fit') + sum('outputs')) / run.faces;

const sweep: {
  steps: number;
  fitWall: number;
  fitCpu: number;
  rmsPx: number;
  rmsNormalised: number;
}[] = [];
for (const steps of [0, 30, 60, 120]) {
  const r = await fitImages([photos[0]], {
    outDir: join(outDir, `steps${steps}`),
    model,
    steps,
    backend: 'wasm',
  });
  sweep.push({
    steps,
    fitWall: r.records[0].seconds.fitImage,
    fitCpu: r.records[0].seconds.fitImageCpu,
    rmsPx: stats(r.records.map((x) => x.error.rmsPx)).median,
    rmsNormalised: stats(r.records.map((x) => x.error.rmsNormalised)).median,
  });
}

const machine = {
  cpu: os.cpus()[0].model,
  cores: os.cpus().length,
  node: process.version,
  backend: run.backend,
  loadAverage: os.loadavg().map((x) => Number(x.toFixed(1))),
  loadBefore: Number(loadBefore.toFixed(2)),
  note:
    Math.max(loadBefore, os.loadavg()[0]) < 1.5
      ? 'quiet: 1-minute load < 1.5 before and after'
      : 'PRELIMINARY: 1-minute load >= 1.5 before or after (other work on the cores inflates wall times; CPU seconds approximate an idle core)',
};
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, backend ${machine.backend}, load before ${machine.loadBefore}, after ${machine.loadAverage.join(' ')}`,
);
console.log(machine.note);
console.log(
  `faces found per photo: ${facesPerImage.join(', ')} (${run.faces} in total, ${run.failed.length} failures)\n`,
);
console.log(
  `whole run: ${f(wholePerFace, 3)} s per face (detection + fit + outputs, ${run.faces} faces); ${f(noDetectPerFace, 3)} s per face without detection\n`,
);
console.log('| quantity (default model, res 112, fit defaults) | median | min | max | n |');
console.log('|---|---|---|---|---|');
const row = (name: string, s: ReturnType<typeof stats>, d = 2) =>
  console.log(`| ${name} | ${f(s.median, d)} | ${f(s.min, d)} | ${f(s.max, d)} | ${s.n} |`);
row('detection + 68 landmarks per image, s (wall)', detect);
row('detection + 68 landmarks per image, s (CPU)', detectCpu);
row('fit per image (all its faces in one batch), s (wall)', fitImageWall);
row('fit per image (all its faces in one batch), s (CPU)', fitImageCpu);
row('fit per face (share of its batch), s (wall)', fitWall);
row('fit per face (share of its batch), s (CPU)', fitCpu);
row('writing outputs per face, s (wall)', outputs);
row('whole image (detect + fit + outputs, all faces), s (wall)', perImage);
row('landmark RMS, px', rms);
row('landmark RMS / eye-corner distance', nrms, 3);
console.log(
  '\n| steps (sample1, 3 faces) | fit s per image (wall) | fit s per image (CPU) | RMS px (median) | RMS / eye-corner distance |',
);
console.log('|---|---|---|---|---|');
for (const s of sweep)
  console.log(
    `| ${s.steps} | ${f(s.fitWall)} | ${f(s.fitCpu)} | ${f(s.rmsPx)} | ${f(s.rmsNormalised, 3)} |`,
  );
const jsonFile = arg('--json');
if (jsonFile)
  await writeFile(
    jsonFile,
    `${JSON.stringify({ machine, facesPerImage, detect, detectCpu, fitImageWall, fitImageCpu, fitWall, fitCpu, outputs, perImage, wholePerFace, noDetectPerFace, rms, nrms, sweep }, null, 2)}\n`,
  );
console.log(`\noutputs in ${outDir}`);

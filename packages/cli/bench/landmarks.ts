/**
 * Landmark error of `fit` on the 43 labelled faces of dlib's examples
 * (`../shared/data/real-faces/dlib/*_with_face_landmarks.xml`, ibug-68 points from dlib's shape
 * predictor: an independent detector, not ground truth), for several fit variants: the initial
 * θ (closed form as eos, or the pose of the mean shape) and the number of Adam steps. A small
 * check for A/B decisions, not the project's evaluation (that is `3dmm-stn eval`).
 *
 * Each labelled face is matched to the detected face whose box overlaps its box most (IoU ≥ 0.3);
 * NME = mean over the points the model has of ‖fitted − label‖ / ‖label 37 − label 46‖ (outer
 * eye corners). Unmatched labelled faces are counted as missed. Variants run interleaved
 * (A, B, …, A, B, …) so that machine load affects all alike; times are medians over rounds.
 *
 *   npx tsx --tsconfig tsconfig.json bench/landmarks.ts [--rounds 2] [--variants pose:60,closed:0,closed:10] [--json FILE]
 *   (a variant may name its model: stand-in@closed:10, default-s40@closed:10)
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { type FitRecord, fitImages } from '@3dmm-stn/cli';
import { defaultModel, standInModel } from '@3dmm-stn/morphable-model';
import { type DlibImage, readDlibXml } from '@3dmm-stn/datasets/node';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const root = resolve(new URL('../../..', import.meta.url).pathname);
const dlib = join(root, '../shared/data/real-faces/dlib');
const rounds = Number(arg('--rounds') ?? 2);
// A variant: `[model@]init:steps`, model `default` (the ICT model, its fitting modes),
// `default-s<N>` (N identity modes) or `stand-in` (the generated model the ICT replaced).
const variants = (arg('--variants') ?? 'pose:60,closed:0,closed:5,closed:10,closed:20,closed:60')
  .split(',')
  .map((v) => {
    const [spec, rest] = v.includes('@') ? v.split('@') : ['default', v];
    const [init, steps] = rest.split(':');
    if (init !== 'pose' && init !== 'closed') throw new Error(`bad variant ${v}`);
    const m = /^(default|stand-in)(?:-s(\d+))?$/.exec(spec);
    if (!m) throw new Error(`bad model in variant ${v}: default, default-s<N> or stand-in`);
    return {
      name: v,
      model: m[1] === 'stand-in' ? standInModel() : defaultModel(),
      shapeModes: m[2] ? Number(m[2]) : undefined,
      init: init === 'closed' ? ('closed-form' as const) : ('pose' as const),
      steps: Number(steps),
    };
  });

const labelled: DlibImage[] = [
  ...(await readDlibXml(join(dlib, 'training_with_face_landmarks.xml'))),
  ...(await readDlibXml(join(dlib, 'testing_with_face_landmarks.xml'))),
];
const images = [...new Set(labelled.map((i) => i.path))];
const faces = labelled.flatMap((img) =>
  img.faces
    .filter((f) => f.landmarks && !f.ignore)
    .map((f) => ({ image: img.path, box: f.box, landmarks: f.landmarks as Float32Array })),
);
const outDir = await mkdtemp(join(os.tmpdir(), '3dmm-stn-bench-lm-'));

const iou = (a: number[], b: number[]) => {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
};

/** NME per labelled face (NaN = missed) for one run's records. */
function nmes(records: FitRecord[]): number[] {
  return faces.map((face) => {
    let best: FitRecord | undefined;
    let bestIou = 0.3;
    for (const r of records) {
      if (r.image !== face.image) continue;
      const o = iou(face.box, r.detection.box);
      if (o >= bestIou) {
        bestIou = o;
        best = r;
      }
    }
    if (!best) return Number.NaN;
    const lm = face.landmarks;
    const eye = Math.hypot(lm[72] - lm[90], lm[73] - lm[91]);
    let sum = 0;
    let n = 0;
    best.landmarks.fitted.forEach((p, i) => {
      if (!p || !Number.isFinite(lm[2 * i])) return;
      sum += Math.hypot(p[0] - lm[2 * i], p[1] - lm[2 * i + 1]);
      n++;
    });
    return sum / n / eye;
  });
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)] : Number.NaN;
};
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

// Warm-up: face-api's models, wasm kernels, the grid.
for (const v of variants)
  await fitImages([images[0]], { outDir, model: v.model, maxFaces: 1, backend: 'wasm', steps: 1 });
const load0 = os.loadavg();
const results = variants.map(() => ({
  times: [] as number[],
  optimise: [] as number[],
  nme: [] as number[],
}));
for (let round = 0; round < rounds; round++) {
  for (const [k, v] of variants.entries()) {
    const run = await fitImages(images, {
      outDir,
      model: v.model,
      shapeModes: v.shapeModes,
      backend: 'wasm',
      steps: v.steps,
      init: v.init,
    });
    const fitSeconds = run.records.reduce((a, r) => a + r.seconds.fit, 0) / run.records.length;
    results[k].times.push(fitSeconds);
    // Stages are per photo (shared by its faces): sum over photos, per face.
    const perPhoto = new Map(run.records.map((r) => [r.image, r.seconds.stages]));
    let initAndAdam = 0;
    for (const st of perPhoto.values()) initAndAdam += (st?.init ?? 0) + (st?.optimise ?? 0);
    results[k].optimise.push(initAndAdam / run.records.length);
    if (round === 0) results[k].nme = nmes(run.records);
  }
}
const load1 = os.loadavg();
const rows = variants.map((v, k) => {
  const found = results[k].nme.filter((x) => Number.isFinite(x));
  return {
    variant: v.name,
    init: v.init,
    steps: v.steps,
    labelledFaces: faces.length,
    matched: found.length,
    nmeMean: mean(found),
    nmeMedian: median(found),
    fitSecondsPerFace: median(results[k].times),
    initAndAdamSecondsPerFace: median(results[k].optimise),
  };
});
const machine = {
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model,
  loadBefore: load0,
  loadAfter: load1,
};
console.log(
  `machine: ${machine.cpus} × ${machine.model}; load before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}`,
);
console.log(
  `${faces.length} labelled faces in ${images.length} photos; ${rounds} round(s) per variant, interleaved`,
);
console.log('variant       matched  NME mean  NME median  fit s/face  init+Adam s/face');
for (const r of rows)
  console.log(
    `${r.variant.padEnd(13)} ${String(r.matched).padStart(7)}  ${(100 * r.nmeMean).toFixed(2).padStart(7)} %  ${(100 * r.nmeMedian).toFixed(2).padStart(8)} %  ${r.fitSecondsPerFace.toFixed(3).padStart(10)}  ${r.initAndAdamSecondsPerFace.toFixed(3).padStart(16)}`,
  );
const json = arg('--json');
if (json) await writeFile(json, JSON.stringify({ machine, rows }, null, 2));

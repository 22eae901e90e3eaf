/**
 * face-api's 68 points vs human's MediaPipe mesh mapped to ibug-68, on labelled faces.
 *
 *   tsx --tsconfig packages/cli/tsconfig.json packages/cli/bench/mesh-vs-faceapi.ts \
 *     --images DIR --labels DIR|XML… [--out faces.json]
 *
 * Per labelled face: each detector's detection matched as `eval` does (IoU ≥ 0.3 of the landmark
 * boxes), NME68 (3DDFA: all 68 points / √(w·h) of the ground truth's box) and NME (eye) on the
 * 68 points; per |yaw| bucket (labels with a pose) and the detection rate. Mesh variants: the jaw
 * as 3D-consistent vertices (`mesh`) and moved to the outline (`mesh-sil`). Also the `auto` rules:
 * the mesh where its own |yaw| ≥ T (face-api otherwise, the mesh where face-api misses).
 */
import { writeFile } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '@3dmm-stn/backend/node';
import { landmarkNme } from '@3dmm-stn/datasets';
import { meshToIbug68 } from '@3dmm-stn/fit';
import { labelsOf, landmarkBox, matchFaces, readLabels } from '../src/eval/labels';
import { FaceDetector } from '../src/fit/faces';
import { MeshDetector } from '../src/fit/mesh';
import { readRgb } from '../src/image';

const { values } = parseArgs({
  options: {
    images: { type: 'string', multiple: true },
    labels: { type: 'string', multiple: true },
    out: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
  },
});
await selectBackend({ backend: values.backend as 'wasm' });
const labels = await readLabels(values.labels ?? []);
const images: string[] = [];
for (const dir of values.images ?? [])
  for (const f of (await readdir(dir)).sort())
    if (/\.(jpe?g|png)$/i.test(f)) images.push(resolve(join(dir, f)));
const faceApi = await FaceDetector.load();
const mesh = await MeshDetector.load();
const all68 = Array.from({ length: 68 }, (_, i) => i + 1);

interface Row {
  image: string;
  yaw: number | null;
  faceApi: { nme68: number; eye: number; yawProxy: number } | null;
  mesh: { nme68: number; eye: number; meshYaw: number } | null;
  meshSil: { nme68: number; eye: number } | null;
}
const rows: Row[] = [];
let tFa = 0;
let tMe = 0;
for (const image of images) {
  const labelled = labelsOf(labels, image);
  if (!labelled) continue;
  const photo = await readRgb(image);
  let t = performance.now();
  const fa = (await faceApi.detect(photo)).faces;
  tFa += performance.now() - t;
  t = performance.now();
  const me = (await mesh.detect(photo)).faces;
  tMe += performance.now() - t;
  const boxes = labelled.map((l) => landmarkBox(l.landmarks));
  const mFa = matchFaces(
    boxes,
    fa.map((f) => landmarkBox(f.landmarks)),
    0.3,
  );
  const mMe = matchFaces(
    boxes,
    me.map((f) => landmarkBox(f.landmarks)),
    0.3,
  );
  labelled.forEach((l, i) => {
    const score = (lm: Float32Array) => {
      const e = landmarkNme(lm, all68, l.landmarks);
      return { nme68: e.box, eye: e.eye };
    };
    const f = mFa[i] >= 0 ? fa[mFa[i]] : null;
    const m = mMe[i] >= 0 ? me[mMe[i]] : null;
    // face-api's yaw proxy: where the nose tip (31) sits between the jaw ends (1, 17), −1…1.
    const proxy = (lm: Float32Array) => (2 * (lm[60] - lm[0])) / Math.max(1e-6, lm[32] - lm[0]) - 1;
    rows.push({
      image,
      yaw: l.pose ? Math.abs((l.pose.yaw * 180) / Math.PI) : null,
      faceApi: f ? { ...score(f.landmarks), yawProxy: proxy(f.landmarks) } : null,
      mesh: m ? { ...score(m.landmarks), meshYaw: m.meshYaw } : null,
      meshSil: m ? score(meshToIbug68(m.mesh, 'silhouette')) : null,
    });
  });
}
if (values.out) await writeFile(values.out, JSON.stringify(rows, null, 1));

const mean = (a: number[]) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : Number.NaN);
const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(2) : '—');
type Pick = (r: Row) => { nme68: number; eye: number } | null;
const methods: [string, Pick][] = [
  ['face-api', (r) => r.faceApi],
  ['mesh', (r) => r.mesh],
  ['mesh-sil', (r) => r.meshSil],
];
for (const T of [30, 45, 60]) {
  methods.push([
    `auto(mesh |yaw|≥${T})`,
    (r) => (r.mesh && (Math.abs(r.mesh.meshYaw) >= T || !r.faceApi) ? r.mesh : r.faceApi),
  ]);
}
methods.push([
  'auto(proxy≥0.5)',
  (r) => (r.mesh && (!r.faceApi || Math.abs(r.faceApi.yawProxy) >= 0.5) ? r.mesh : r.faceApi),
]);
const buckets: [string, number, number][] = [
  ['0-30', 0, 30],
  ['30-60', 30, 60],
  ['60-90', 60, 90.0001],
];
const posed = rows.some((r) => r.yaw !== null);
console.log(
  `${rows.length} labelled faces in ${images.length} images; face-api ${(tFa / 1000 / images.length).toFixed(2)} s/image, mesh ${(tMe / 1000 / images.length).toFixed(2)} s/image`,
);
for (const [name, pick] of methods) {
  const got = rows.filter((r) => pick(r));
  const parts = [`${name.padEnd(20)} detected ${got.length}/${rows.length}`];
  if (posed) {
    const b = buckets.map(([, lo, hi]) => {
      const inB = rows.filter((r) => r.yaw !== null && r.yaw >= lo && r.yaw < hi);
      const d = inB.filter((r) => pick(r));
      return {
        n: inB.length,
        d: d.length,
        nme: mean(d.map((r) => (pick(r) as { nme68: number }).nme68)),
      };
    });
    parts.push(
      `NME68 ${b.map((x) => `${pct(x.nme)} (${x.d}/${x.n})`).join(' / ')} → mean ${pct(mean(b.map((x) => x.nme)))}`,
    );
  }
  parts.push(`NME68 all ${pct(mean(got.map((r) => (pick(r) as { nme68: number }).nme68)))}`);
  parts.push(`NME eye ${pct(mean(got.map((r) => (pick(r) as { eye: number }).eye)))}`);
  // Paired: the faces both detectors found.
  const both = rows.filter((r) => r.faceApi && r.mesh);
  parts.push(
    `paired(${both.length}) eye ${pct(mean(both.map((r) => (pick(r) as { eye: number }).eye)))}`,
  );
  console.log(parts.join(' | '));
}

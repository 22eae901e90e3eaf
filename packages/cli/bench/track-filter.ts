/**
 * One Euro parameter sweep for `track`: tracks each clip once without the filter (the default
 * per-frame closed form), keeps the unfiltered θ per frame, then filters it offline with each
 * parameter set and prints the jitter of the fitted 68 points (/ the landmark net's eye-corner
 * distance) and the lag (frames) of the filtered yaw behind the unfiltered one.
 *
 *   npx tsx --tsconfig tsconfig.json bench/track-filter.ts --clips a.mp4,b.mp4 [--frames 60]
 */
import { selectBackend } from '@3dmm-stn/backend/node';
import {
  DEFAULT_THETA_FILTER,
  eyeCornerDistance,
  FaceTracker,
  FitStn,
  fitPose,
  landmarkJitter,
  OneEuroFilter,
  type OneEuroParams,
  type TrackDetector,
} from '@3dmm-stn/fit';
import { defaultModel } from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { faceDetector } from '../src/fit/run';
import type { RgbImage } from '../src/image';
import { gridFromModel } from '../src/model';
import { openClip, readFrames } from '../src/track/decode';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const maxFrames = Number(arg('--frames') ?? 60);
const clips = (arg('--clips') ?? '').split(',').filter(Boolean);
await selectBackend({ backend: 'wasm' });
const { grid } = gridFromModel(defaultModel(), 112);
const stn = new FitStn(grid);
const det = await faceDetector();
const faceApi: TrackDetector = {
  detect: async (f) => (await det.detect(f as RgbImage, { quick: true })).faces,
  landmarksInBox: (f, box) => det.landmarksInBox(f as RgbImage, box),
  faceScore: (f, box) => det.faceScore(f as RgbImage, box),
};
const ds = grid.numShapeModes;
const ne = grid.numModes - ds;
const scale = (k: number, p: OneEuroParams): OneEuroParams => ({ ...p, beta: p.beta * k });
const variants: [string, typeof DEFAULT_THETA_FILTER | null][] = [
  ['none', null],
  ['default', DEFAULT_THETA_FILTER],
  ...[0.5, 2, 4].map((k): [string, typeof DEFAULT_THETA_FILTER] => [
    `beta ×${k}`,
    {
      rotation: scale(k, DEFAULT_THETA_FILTER.rotation),
      translation: scale(k, DEFAULT_THETA_FILTER.translation),
      logScale: scale(k, DEFAULT_THETA_FILTER.logScale),
      expression: scale(k, DEFAULT_THETA_FILTER.expression),
    },
  ]),
  ...[0.5, 2].map((m): [string, typeof DEFAULT_THETA_FILTER] => [
    `minCutoff ×${m}`,
    {
      rotation: {
        ...DEFAULT_THETA_FILTER.rotation,
        minCutoff: DEFAULT_THETA_FILTER.rotation.minCutoff * m,
      },
      translation: {
        ...DEFAULT_THETA_FILTER.translation,
        minCutoff: DEFAULT_THETA_FILTER.translation.minCutoff * m,
      },
      logScale: {
        ...DEFAULT_THETA_FILTER.logScale,
        minCutoff: DEFAULT_THETA_FILTER.logScale.minCutoff * m,
      },
      expression: {
        ...DEFAULT_THETA_FILTER.expression,
        minCutoff: DEFAULT_THETA_FILTER.expression.minCutoff * m,
      },
    },
  ]),
  [
    'dCutoff 3 Hz',
    Object.fromEntries(
      Object.entries(DEFAULT_THETA_FILTER).map(([k, v]) => [k, { ...v, dCutoff: 3 }]),
    ) as typeof DEFAULT_THETA_FILTER,
  ],
];
console.log('| clip | filter | jitter | lag (frames) |');
console.log('|---|---|---|---|');
for (const path of clips) {
  const info = await openClip(path);
  const sc = info.width > 1280 ? 1280 : undefined;
  const clip = await openClip(path, { scale: sc, maxFrames });
  const tracker = new FaceTracker(stn, faceApi, { filter: false });
  const raw: (number[] | null)[] = [];
  const eye: number[] = [];
  for await (const f of readFrames(clip, { scale: sc, maxFrames })) {
    const frameT = tf.tensor4d(Float32Array.from(f.image.data), [
      1,
      f.image.height,
      f.image.width,
      3,
    ]);
    const r = await tracker.step(f.image, frameT, f.index, f.time);
    frameT.dispose();
    const face = r.faces.find((x) => x.track === 0);
    raw.push(face ? face.fit.theta : null);
    eye.push(face ? eyeCornerDistance(face.face.landmarks) : Number.NaN);
  }
  const dt = 1 / clip.fps;
  const rawYaw = raw.map((t) => (t ? fitPose(t).yaw : Number.NaN));
  for (const [name, p] of variants) {
    const filter = p
      ? new OneEuroFilter(6 + ne, [
          p.rotation,
          p.rotation,
          p.rotation,
          p.translation,
          p.translation,
          p.logScale,
          ...new Array(ne).fill(p.expression),
        ])
      : null;
    const pts: (Float32Array | null)[] = [];
    const yaw: number[] = [];
    let s0: number | undefined;
    for (const t of raw) {
      if (!t) {
        pts.push(null);
        yaw.push(Number.NaN);
        filter?.reset();
        s0 = undefined;
        continue;
      }
      const th = t.slice();
      if (filter) {
        // as FaceTracker: the translation at the scale the filter started with
        s0 ??= Math.exp(t[5]);
        const s = s0;
        const z = filter.filter(
          [t[0], t[1], t[2], t[3] / s, t[4] / s, t[5], ...t.slice(6 + ds)],
          dt,
        );
        th.splice(0, 6, z[0], z[1], z[2], z[3] * s, z[4] * s, z[5]);
        for (let e = 0; e < ne; e++) th[6 + ds + e] = Math.min(1, Math.max(0, z[6 + e]));
      }
      const lm = tf.tidy(() => stn.projectLandmarks(tf.tensor2d(th, [1, th.length])).dataSync());
      const out = new Float32Array(136).fill(Number.NaN);
      grid.landmarkIds.forEach((id, l) => {
        out[2 * (id - 1)] = lm[2 * l];
        out[2 * (id - 1) + 1] = lm[2 * l + 1];
      });
      pts.push(out);
      yaw.push(fitPose(th).yaw);
    }
    let lag = 0;
    let best = Infinity;
    for (let k = 0; k <= 5; k++) {
      let s = 0;
      let n = 0;
      for (let t = k; t < yaw.length; t++) {
        const d = Math.abs(yaw[t] - rawYaw[t - k]);
        if (Number.isFinite(d)) {
          s += d;
          n++;
        }
      }
      if (n > 0 && s / n < best) {
        best = s / n;
        lag = k;
      }
    }
    console.log(
      `| ${path.split('/').pop()} | ${name} | ${landmarkJitter(pts, eye).jitter.toFixed(4)} | ${lag} (${best.toFixed(2)}° mean) |`,
    );
  }
}
stn.dispose();

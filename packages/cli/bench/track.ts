/**
 * Video tracking benchmark: jitter of the raw detector, of per-frame fitting and of tracking, the
 * lag of tracking behind per-frame fitting, and frames per second of tracking, on real clips.
 *
 *   npx tsx --tsconfig tsconfig.json bench/track.ts [--clips a.mp4,b.mp4] [--frames 60] [--json FILE]
 *
 * Default clips: every video under ../shared/data (training-only footage: the numbers are a
 * stability and speed check, not an accuracy evaluation). A clip wider than 1280 px is scaled to
 * 1280 (the 1080p clip → 1280×720: the issue's frame size).
 *
 * Per clip, the first `--frames` frames, one person (`maxFaces: 1`; the track with the most
 * frames when the face is lost and another one is found):
 * - detector: face-api (SSD → tiny, no retries) on every frame, its 68 landmarks of the face
 *   that overlaps the tracked one most;
 * - per-frame fit: those landmarks fitted independently per frame (closed form + 10 Adam steps,
 *   `fit`'s default), the fitted 68 points;
 * - track: `FaceTracker` (detector on loss only, landmark net in the followed square, per-frame
 *   closed form with the identity fixed, One Euro filter), the fitted 68 points; also without the
 *   filter, and with `perFrame: 'warm'` (previous θ re-posed + 5 Adam steps).
 * Jitter = mean over frames and points of |p_t − (p_{t−1}+p_{t+1})/2| / the detector's
 * eye-corner distance in frame t (frames where a method has no face are skipped for it).
 * Lag = the shift k (frames) minimising mean |yaw_track(t) − yaw_fit(t − k)|, with the clip's
 * fastest yaw speed (per-frame fit, deg/s, 3-frame median) to show whether it has fast turns.
 * fps = frames / seconds of `FaceTracker.step` (decoding excluded, no outputs written).
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { selectBackend } from '@3dmm-stn/backend/node';
import {
  type DetectedFace,
  eyeCornerDistance,
  FaceTracker,
  FitStn,
  fitPose,
  landmarkJitter,
  optimiseTheta,
  type TrackDetector,
} from '@3dmm-stn/fit';
import { defaultModel, type GridModel } from '@3dmm-stn/morphable-model';
import { cropFaces } from '@3dmm-stn/fit';
import { thetaToPhoto, toCrop } from '@3dmm-stn/localiser';
import * as tf from '@tensorflow/tfjs';
import { faceDetector } from '../src/fit/run';
import { gridFromModel } from '../src/model';
import { openClip, readFrames } from '../src/track/decode';
import type { RgbImage } from '../src/image';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const maxFrames = Number(arg('--frames') ?? 60);
const clips =
  arg('--clips')?.split(',') ??
  execFileSync(
    'find',
    [
      '../../../shared/data',
      '-name',
      '*.mp4',
      '-o',
      '-name',
      '*.webm',
      '-o',
      '-name',
      '*.avi',
      '-o',
      '-name',
      '*.mov',
    ],
    {
      encoding: 'utf8',
    },
  )
    .trim()
    .split('\n')
    .filter(Boolean)
    .sort();

const load0 = os.loadavg();
await selectBackend({ backend: 'wasm' });
const { grid } = gridFromModel(defaultModel(), 112);
const stn = new FitStn(grid);
const det = await faceDetector();
const faceApi: TrackDetector = {
  detect: async (f) => (await det.detect(f as RgbImage, { quick: true })).faces,
  landmarksInBox: (f, box) => det.landmarksInBox(f as RgbImage, box),
  faceScore: (f, box) => det.faceScore(f as RgbImage, box),
};

type Pts = Float32Array | null;
const fitted68 = (g: GridModel, lm: ArrayLike<number>): Float32Array => {
  const out = new Float32Array(136).fill(Number.NaN);
  g.landmarkIds.forEach((id, l) => {
    out[2 * (id - 1)] = lm[2 * l];
    out[2 * (id - 1) + 1] = lm[2 * l + 1];
  });
  return out;
};

/** Per-frame fit of one face's 68 landmarks: closed form + 10 Adam steps; fitted 68 points and θ. */
function fitOne(frame: RgbImage, face: DetectedFace): { points: Float32Array; theta: number[] } {
  const size = 224;
  const { crops } = cropFaces(frame, [face], size);
  const L = grid.landmarkIds.length;
  const target = new Float32Array(2 * L);
  const conf = new Float32Array(L);
  grid.landmarkIds.forEach((id, l) => {
    const [x, y] = toCrop(crops[0], face.landmarks[2 * (id - 1)], face.landmarks[2 * (id - 1) + 1]);
    target[2 * l] = x;
    target[2 * l + 1] = y;
    conf[l] = 1;
  });
  const r = optimiseTheta(stn, target, conf, undefined, { steps: 10 });
  const theta = thetaToPhoto(crops[0], r.theta[0]);
  const lm = tf.tidy(() => stn.projectLandmarks(tf.tensor2d(theta, [1, theta.length])).dataSync());
  return { points: fitted68(grid, lm), theta };
}

function box(lm: ArrayLike<number>) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < 68; i++) {
    x0 = Math.min(x0, lm[2 * i]);
    x1 = Math.max(x1, lm[2 * i]);
    y0 = Math.min(y0, lm[2 * i + 1]);
    y1 = Math.max(y1, lm[2 * i + 1]);
  }
  return { x0, y0, x1, y1 };
}
function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const p = box(a);
  const q = box(b);
  const iw = Math.max(0, Math.min(p.x1, q.x1) - Math.max(p.x0, q.x0));
  const ih = Math.max(0, Math.min(p.y1, q.y1) - Math.max(p.y0, q.y0));
  const i = iw * ih;
  const u = (p.x1 - p.x0) * (p.y1 - p.y0) + (q.x1 - q.x0) * (q.y1 - q.y0) - i;
  return u > 0 ? i / u : 0;
}

const results = [];
for (const path of clips) {
  const info = await openClip(path);
  const scale = info.width > 1280 ? 1280 : undefined;
  const clip = await openClip(path, { scale, maxFrames });
  const frames: RgbImage[] = [];
  for await (const f of readFrames(clip, { scale, maxFrames })) frames.push(f.image);
  const runTrack = async (filter: boolean, perFrame: 'closed-form' | 'warm' = 'closed-form') => {
    const tracker = new FaceTracker(stn, faceApi, {
      perFrame,
      maxFaces: 1,
      ...(filter ? {} : { filter: false }),
    });
    const pts: Pts[] = [];
    const yaw: number[] = [];
    const ids: number[] = [];
    let seconds = 0;
    let detectorFrames = 0;
    for (let i = 0; i < frames.length; i++) {
      const img = frames[i];
      const t0 = performance.now();
      const frameT = tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, 3]);
      const r = await tracker.step(img, frameT, i, i / clip.fps);
      frameT.dispose();
      seconds += (performance.now() - t0) / 1000;
      if (r.detectorRan) detectorFrames++;
      const face = r.faces[0];
      ids.push(face ? face.track : -1);
      pts.push(face ? fitted68(grid, face.fit.forward.landmarks) : null);
      yaw.push(face ? fitPose(face.fit.theta).yaw : Number.NaN);
    }
    // One person: the track with the most frames (maxFaces 1 starts another track when the face
    // is lost and someone else is found; those frames are left out).
    const count = new Map<number, number>();
    for (const id of ids) if (id >= 0) count.set(id, (count.get(id) ?? 0) + 1);
    const person = [...count.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? -1;
    for (let i = 0; i < ids.length; i++)
      if (ids[i] !== person) {
        pts[i] = null;
        yaw[i] = Number.NaN;
      }
    return { pts, yaw, seconds, detectorFrames };
  };
  // Warm-up on the first frames (kernels), then the timed runs.
  const track = await runTrack(true);
  const trackRaw = await runTrack(false);
  const trackWarm = await runTrack(true, 'warm');
  const detPts: Pts[] = [];
  const fitPts: Pts[] = [];
  const fitYaw: number[] = [];
  const eye: number[] = [];
  let detectSeconds = 0;
  for (let i = 0; i < frames.length; i++) {
    const t0 = performance.now();
    let ref: Pts = null;
    const faces = (await det.detect(frames[i], { quick: true })).faces;
    detectSeconds += (performance.now() - t0) / 1000;
    // the tracked person's latest position (the last tracked frame when it is not tracked here)
    for (let k = i; k >= 0 && !ref; k--) ref = track.pts[k] ?? null;
    const face = ref
      ? faces.map((f) => ({ f, o: iou(f.landmarks, ref) })).sort((a, b) => b.o - a.o)[0]?.f
      : faces[0];
    if (!face) {
      detPts.push(null);
      fitPts.push(null);
      fitYaw.push(Number.NaN);
      eye.push(Number.NaN);
      continue;
    }
    detPts.push(Float32Array.from(face.landmarks));
    eye.push(eyeCornerDistance(face.landmarks));
    const fit = fitOne(frames[i], face);
    fitPts.push(fit.points);
    fitYaw.push(fitPose(fit.theta).yaw);
  }
  const jit = (p: Pts[]) => landmarkJitter(p, eye).jitter;
  // Lag: the shift of the tracked yaw behind the per-frame fit's.
  let lag = 0;
  let best = Infinity;
  for (let k = -3; k <= 6; k++) {
    let s = 0;
    let n = 0;
    for (let t = 0; t < frames.length; t++) {
      const u = t - k;
      if (u < 0 || u >= frames.length) continue;
      const d = Math.abs(track.yaw[t] - fitYaw[u]);
      if (Number.isFinite(d)) {
        s += d;
        n++;
      }
    }
    if (n > frames.length / 2 && s / n < best) {
      best = s / n;
      lag = k;
    }
  }
  let maxSpeed = 0;
  for (let t = 2; t < frames.length; t++) {
    const v = [fitYaw[t] - fitYaw[t - 1], fitYaw[t - 1] - fitYaw[t - 2]].map(Math.abs);
    const m = Math.min(...v) * clip.fps;
    if (Number.isFinite(m)) maxSpeed = Math.max(maxSpeed, m);
  }
  const row = {
    clip: path.split('/').slice(-2).join('/'),
    size: `${clip.width}×${clip.height}`,
    fps: Number(clip.fps.toFixed(2)),
    frames: frames.length,
    facesInFrames: {
      detector: detPts.filter(Boolean).length,
      track: track.pts.filter(Boolean).length,
    },
    jitter: {
      detector: jit(detPts),
      perFrameFit: jit(fitPts),
      track: jit(track.pts),
      trackNoFilter: jit(trackRaw.pts),
      trackWarm: jit(trackWarm.pts),
    },
    lagFrames: lag,
    lagMeanAbsYawDeg: best,
    maxYawSpeedDegPerS: maxSpeed,
    trackFps: frames.length / track.seconds,
    trackNoFilterFps: frames.length / trackRaw.seconds,
    trackWarmFps: frames.length / trackWarm.seconds,
    detectorFrames: track.detectorFrames,
    detectPerFrameS: detectSeconds / frames.length,
  };
  results.push(row);
  console.error(JSON.stringify(row));
}
stn.dispose();
const load1 = os.loadavg();
const machine = {
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model,
  node: process.version,
  loadBefore: load0.map((x) => Number(x.toFixed(2))),
  loadAfter: load1.map((x) => Number(x.toFixed(2))),
  quiet: Math.max(load0[0], load1[0]) < 1.5,
};
const f = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(
  `machine: ${machine.cpus} × ${machine.model}, Node ${machine.node}; load before ${machine.loadBefore.join(' ')}, after ${machine.loadAfter.join(' ')}${machine.quiet ? '' : ' — NOT QUIET: fps figures are not valid, re-run on a quiet machine'}`,
);
console.log(
  '| clip | size | frames | jitter detector | per-frame fit | track | track (no filter) | track (warm Adam) | lag (frames) | max yaw speed °/s | track fps | detector s/frame |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results)
  console.log(
    `| ${r.clip} | ${r.size} @ ${r.fps} | ${r.frames} | ${f(r.jitter.detector)} | ${f(r.jitter.perFrameFit)} | ${f(r.jitter.track)} | ${f(r.jitter.trackNoFilter)} | ${f(r.jitter.trackWarm)} | ${r.lagFrames} | ${f(r.maxYawSpeedDegPerS, 0)} | ${f(r.trackFps, 1)} | ${f(r.detectPerFrameS, 2)} |`,
  );
const out = arg('--json');
if (out) await writeFile(out, `${JSON.stringify({ machine, results }, null, 2)}\n`);

/**
 * `trackVideo`: the programmatic `track` — a video or a folder of frames → per-frame records
 * (JSONL), overlay frames (PNG sequence or an MP4 by ffmpeg), and per tracked person the fused
 * UV texture, its coverage map and the textured OBJ of the person's identity.
 *
 * Files, `DIR/<stem>.*` (stem: the video's or folder's base name):
 * - `track.jsonl`: one line per face per frame — the fit record (`FitRecord`, θ after the
 *   temporal filter) plus `frame`, `time`, `track`, `tracked: true`, `redetected`,
 *   `identityFixed`, `frameCoverage`, `sharpness`, `thetaRaw` (before the filter); a track that
 *   exists but was not found in a frame gives `{frame, time, track, tracked: false, reason}`;
 * - `overlay/000000.png …` or `overlay.mp4`: each frame (at most 1280 px) with the fitted meshes;
 * - `face<k>.uv_fused.png`, `face<k>.coverage.png`, `face<k>.obj` + `.mtl` (the identity's
 *   shape, mm, no expression, textured with the fused texture through the grid UVs);
 * - `track.json`: the summary (`TrackRunSummary`).
 * Every file is written atomically (the JSONL and the MP4 are renamed into place at the end).
 */
import { spawn } from 'node:child_process';
import { mkdir, open, rename } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { selectBackend } from '@3dmm-stn/backend/node';
import {
  eyeCornerDistance,
  FaceTracker,
  FitStn,
  type FitRecord,
  faceRecord,
  fittedMesh,
  landmarkJitter,
  morphVertices,
  type TrackDetector,
  type TrackerOptions,
  type TrackFrame,
} from '@3dmm-stn/fit';
import { writeFileAtomic, writeMtl, writeObj } from '@3dmm-stn/morphable-model/node';
import * as tf from '@tensorflow/tfjs';
import { FfmpegUnavailableError, VideoFormatError } from '../errors';
import { faceDetector } from '../fit/run';
import { overviewCanvas } from '../fit/outputs';
import { writePng } from '../image';
import { type AnyModel, gridFromModel, loadAnyModel } from '../model';
import { type ClipInfo, ffmpegPath, openClip, readFrames } from './decode';

export interface TrackVideoOptions {
  outDir: string;
  model?: string | AnyModel;
  landmarks?: string;
  res?: number;
  shapeModes?: number;
  expressionModes?: number | string[] | 'all';
  contour?: boolean;
  /** θ of a followed face (`TrackerOptions.perFrame`): 'closed-form' (default) or 'warm'. */
  perFrame?: 'closed-form' | 'warm';
  /** Adam steps per followed frame (default 0 closed-form, 5 warm) and after a detection (default 10). */
  steps?: number;
  detectSteps?: number;
  identityFrames?: number;
  lostThreshold?: number;
  maxFaces?: number;
  minConfidence?: number;
  redetectEvery?: number;
  /** The One Euro filter of θ (default on). */
  filter?: boolean;
  /** The tiny detector's check that the followed square still holds a face (default on). */
  faceCheck?: boolean;
  /** Overlay output: a PNG sequence, an MP4 (ffmpeg), or none. Default mp4 for videos, png for folders. */
  overlay?: 'png' | 'mp4' | 'none';
  /** Frames per second of a folder of frames (default 25). */
  fps?: number;
  /** Width to scale frames to (height keeps the aspect). */
  scale?: number;
  /** Seconds into a video to start at. */
  start?: number;
  maxFrames?: number;
  backend?: 'auto' | 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu';
  /** A detector instead of face-api's (tests: faces rendered with known landmarks). */
  detector?: TrackDetector;
  /** Called after each frame with its JSONL lines. */
  onFrame?: (frame: TrackFrame, lines: object[]) => void;
}

export interface TrackRunSummary {
  input: string;
  kind: ClipInfo['kind'];
  size: [number, number];
  fps: number;
  backend: string;
  model: { name: string; res: number; modes: { shape: number; expression: number } };
  frames: number;
  framesWithFace: number;
  detectorFrames: number;
  /**
   * 'ok'; 'no-face': no face in any frame; 'lost': no face tracked from `lostAt` to the end;
   * 'decode-error': the video stopped decoding part-way (the frames before are written).
   */
  status: 'ok' | 'no-face' | 'lost' | 'decode-error';
  message?: string;
  tracks: {
    track: number;
    firstFrame: number;
    lastFrame: number;
    framesTracked: number;
    lostAt?: { frame: number; reason: string };
    identityFixed: boolean;
    identity: number[];
    /** Covered fraction of the valid UV texels: fused, and the best single frame. */
    coverage: { fused: number; bestSingleFrame: number; bestFrame: number };
    /** Jitter (mean |p_t − (p_{t−1}+p_{t+1})/2| / eye-corner distance) of this run's landmarks. */
    jitter: { landmarkNet: number; tracked: number };
    files: { uvFused: string; coverage: string; obj: string; mtl: string };
  }[];
  seconds: {
    setup: number;
    total: number;
    /** Tracking proper (`FaceTracker.step`), all frames. */
    track: number;
    stages: {
      landmarks: number;
      detect: number;
      fit: number;
      texture: number;
      fusion: number;
      overlay: number;
      decode: number;
    };
  };
  /** Frames per second: whole loop (decode, track, outputs) and tracking proper. */
  framesPerSecond: { total: number; track: number };
  files: { jsonl: string; summary: string; overlay?: string };
}

/** Tracks the faces of a clip and writes the files above; never throws for a face problem (see `status`). */
export async function trackVideo(
  input: string,
  options: TrackVideoOptions,
): Promise<TrackRunSummary> {
  const t0 = performance.now();
  const clip = await openClip(input, options);
  const info = await selectBackend({ backend: options.backend });
  const model =
    typeof options.model === 'object'
      ? options.model
      : await loadAnyModel(options.model, options.landmarks);
  const { grid } = gridFromModel(model, options.res ?? 112, {
    shapeModes: options.shapeModes,
    expressionModes: options.expressionModes,
  });
  if (grid.landmarkIds.length < 6)
    throw new Error(
      `the model "${grid.metadata.name}" has ${grid.landmarkIds.length} ibug landmarks; tracking needs ≥ 6 (pass --landmarks FILE)`,
    );
  const detector = options.detector ?? (await faceApiTrackDetector(options));
  const stn = new FitStn(grid);
  const trackerOptions: TrackerOptions = {
    steps: options.steps,
    perFrame: options.perFrame,
    detectSteps: options.detectSteps,
    identityFrames: options.identityFrames,
    lostThreshold: options.lostThreshold,
    maxFaces: options.maxFaces,
    redetectEvery: options.redetectEvery,
    filter: options.filter === false ? false : undefined,
    contour: options.contour,
  };
  const tracker = new FaceTracker(stn, detector, trackerOptions);
  const stem =
    clip.kind === 'frames' ? basename(clip.path) : basename(clip.path, extname(clip.path));
  const out = options.outDir;
  await mkdir(out, { recursive: true });
  const prefix = join(out, stem);
  const files: TrackRunSummary['files'] = {
    jsonl: `${prefix}.track.jsonl`,
    summary: `${prefix}.track.json`,
  };
  const overlayKind = options.overlay ?? (clip.kind === 'video' ? 'mp4' : 'png');
  const jsonl = await open(`${files.jsonl}.partial`, 'w');
  let mp4: Mp4Writer | null = null;
  if (overlayKind === 'png') {
    files.overlay = `${prefix}.overlay`;
    await mkdir(files.overlay, { recursive: true });
  }
  const setup = (performance.now() - t0) / 1000;
  const stages = { landmarks: 0, detect: 0, fit: 0, texture: 0, fusion: 0, overlay: 0, decode: 0 };
  let trackSeconds = 0;
  let frames = 0;
  let framesWithFace = 0;
  let detectorFrames = 0;
  let lastFaceFrame = -1;
  let status: TrackRunSummary['status'] = 'ok';
  let message: string | undefined;
  /** Per track: per frame, the landmark net's and the tracked (fitted) landmarks and the eye distance. */
  const series = new Map<
    number,
    { net: (Float32Array | null)[]; fit: (Float32Array | null)[]; eye: number[] }
  >();
  const name = (file: string | undefined, index: number) =>
    file ? basename(file) : `${basename(clip.path)}#${index}`;
  try {
    let tDecode = performance.now();
    for await (const f of readFrames(clip, options)) {
      stages.decode += (performance.now() - tDecode) / 1000;
      const tStep = performance.now();
      const frameT = tf.tidy(() =>
        tf.tensor4d(Float32Array.from(f.image.data), [1, f.image.height, f.image.width, 3]),
      );
      let result: TrackFrame;
      try {
        result = await tracker.step(f.image, frameT, f.index, f.time);
      } finally {
        frameT.dispose();
      }
      trackSeconds += (performance.now() - tStep) / 1000;
      for (const k of Object.keys(result.seconds) as (keyof TrackFrame['seconds'])[])
        stages[k] += result.seconds[k];
      frames++;
      if (result.detectorRan) detectorFrames++;
      if (result.faces.length > 0) {
        framesWithFace++;
        lastFaceFrame = f.index;
      }
      const lines: object[] = [];
      const fits: {
        forward: (typeof result.faces)[number]['fit']['forward'];
        record: FitRecord;
      }[] = [];
      for (const face of result.faces) {
        const record = faceRecord(
          name(f.file, f.index),
          f.image,
          face.track,
          face.face,
          grid,
          face.fit,
        );
        const { files: _files, seconds: _seconds, ...rest } = record;
        lines.push({
          frame: f.index,
          time: round(f.time, 4),
          track: face.track,
          tracked: true,
          redetected: face.redetected,
          identityFixed: face.identityFixed,
          frameCoverage: round(face.frameCoverage, 4),
          sharpness: round(face.sharpness, 2),
          ...rest,
          thetaRaw: face.rawTheta,
        });
        fits.push({ forward: face.fit.forward, record });
        const s = series.get(face.track) ?? { net: [], fit: [], eye: [] };
        series.set(face.track, s);
        s.net[f.index] = Float32Array.from(face.face.landmarks);
        const fitted = new Float32Array(136).fill(Number.NaN);
        record.landmarks.fitted.forEach((p, i) => {
          if (p) fitted.set(p, 2 * i);
        });
        s.fit[f.index] = fitted;
        s.eye[f.index] = eyeCornerDistance(face.face.landmarks);
      }
      for (const l of result.lost)
        lines.push({
          frame: f.index,
          time: round(f.time, 4),
          track: l.track,
          tracked: false,
          reason: l.reason,
        });
      if (lines.length > 0) await jsonl.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
      options.onFrame?.(result, lines);
      const tOverlay = performance.now();
      if (overlayKind !== 'none') {
        const canvas = await overviewCanvas(f.image, fits, grid, 1280);
        if (overlayKind === 'png') {
          await writePng(
            join(files.overlay as string, `${String(f.index).padStart(6, '0')}.png`),
            canvas.data,
            canvas.width,
            canvas.height,
          );
        } else {
          mp4 ??= new Mp4Writer(`${prefix}.overlay.mp4`, canvas.width, canvas.height, clip.fps);
          await mp4.write(canvas.data);
        }
      }
      stages.overlay += (performance.now() - tOverlay) / 1000;
      tDecode = performance.now();
    }
  } catch (e) {
    // A video that stops decoding part-way: keep what was tracked.
    if (!(e instanceof VideoFormatError) || frames === 0) {
      await jsonl.close();
      await mp4?.abort();
      stn.dispose();
      throw e;
    }
    status = 'decode-error';
    message = e.message;
  }
  await jsonl.close();
  await rename(`${files.jsonl}.partial`, files.jsonl);
  if (mp4) files.overlay = await mp4.close();
  // Per track: the fused texture, its coverage and the identity's textured mesh.
  const tracks: TrackRunSummary['tracks'] = [];
  for (const t of tracker.tracks()) {
    const k = t.track;
    const p = `${prefix}.face${k}`;
    const trackFiles = {
      uvFused: `${p}.uv_fused.png`,
      coverage: `${p}.coverage.png`,
      obj: `${p}.obj`,
      mtl: `${p}.mtl`,
    };
    const fusion = tracker.fusion(k)?.result();
    const res = grid.res;
    const writes: Promise<void>[] = [];
    if (fusion) {
      writes.push(writePng(trackFiles.uvFused, fusion.uv, res, res));
      writes.push(writePng(trackFiles.coverage, fusion.coverage, res, res, 1));
    }
    const mesh = fittedMesh(morphVertices(grid, tracker.identityTheta(k)), grid);
    writes.push(
      writeFileAtomic(
        trackFiles.obj,
        writeObj(mesh, {
          mtl: basename(trackFiles.mtl),
          comment: `3dmm-stn track of ${basename(clip.path)}: person ${k}'s identity (${grid.metadata.name}), mm, no expression; texture fused over ${t.framesTracked} frames`,
        }),
      ),
    );
    writes.push(writeFileAtomic(trackFiles.mtl, writeMtl(basename(trackFiles.uvFused))));
    await Promise.all(writes);
    const s = series.get(k) ?? { net: [], fit: [], eye: [] };
    const eye = Array.from({ length: s.eye.length }, (_, i) => s.eye[i] ?? Number.NaN);
    tracks.push({
      track: k,
      firstFrame: t.firstFrame,
      lastFrame: t.lastFrame,
      framesTracked: t.framesTracked,
      ...(t.lostAt ? { lostAt: t.lostAt } : {}),
      identityFixed: t.identityFixed,
      identity: t.identity.map((v) => round(v, 5)),
      coverage: {
        fused: round(fusion?.covered ?? 0, 4),
        bestSingleFrame: round(fusion?.bestSingle.covered ?? 0, 4),
        bestFrame: fusion ? t.firstFrame + fusion.bestSingle.frame : -1,
      },
      jitter: {
        landmarkNet: round(landmarkJitter(dense(s.net), eye).jitter, 5),
        tracked: round(landmarkJitter(dense(s.fit), eye).jitter, 5),
      },
      files: trackFiles,
    });
  }
  stn.dispose();
  if (status === 'ok' && framesWithFace === 0) {
    status = 'no-face';
    message = `no face found in any of the ${frames} frames (the detector ran on ${detectorFrames} of them)`;
  } else if (status === 'ok' && lastFaceFrame < frames - 1) {
    const lost = tracks.map((t) => t.lostAt).filter(Boolean)[0];
    status = 'lost';
    message = `the face was lost at frame ${lastFaceFrame + 1}${lost ? ` (${lost.reason})` : ''} and not found again in the remaining ${frames - (lastFaceFrame + 1)} frames; the ${framesWithFace} frames tracked are written`;
  }
  const total = (performance.now() - t0) / 1000;
  const loop = total - setup;
  const summary: TrackRunSummary = {
    input: clip.path,
    kind: clip.kind,
    size: [clip.width, clip.height],
    fps: clip.fps,
    backend: info.name,
    model: {
      name: grid.metadata.name,
      res: grid.res,
      modes: { shape: grid.numShapeModes, expression: grid.numModes - grid.numShapeModes },
    },
    frames,
    framesWithFace,
    detectorFrames,
    status,
    ...(message ? { message } : {}),
    tracks,
    seconds: {
      setup: round(setup, 3),
      total: round(total, 3),
      track: round(trackSeconds, 3),
      stages: mapRound(stages),
    },
    framesPerSecond: {
      total: round(frames / Math.max(1e-9, loop), 2),
      track: round(frames / Math.max(1e-9, trackSeconds), 2),
    },
    files,
  };
  await writeFileAtomic(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** face-api (SSD + tiny detector, landmark net) as the tracker's detector. */
async function faceApiTrackDetector(
  options: Pick<TrackVideoOptions, 'minConfidence' | 'faceCheck'>,
): Promise<TrackDetector> {
  const det = await faceDetector();
  return {
    detect: async (frame) =>
      (await det.detect(toRgb(frame), { minConfidence: options.minConfidence, quick: true })).faces,
    landmarksInBox: (frame, box) => det.landmarksInBox(toRgb(frame), box),
    ...(options.faceCheck === false
      ? {}
      : { faceScore: (frame, box) => det.faceScore(toRgb(frame), box) }),
  };
}

function toRgb(frame: { data: ArrayLike<number>; width: number; height: number }) {
  return frame as { data: Uint8Array; width: number; height: number };
}

function dense<T>(a: (T | null)[]): (T | null)[] {
  return Array.from({ length: a.length }, (_, i) => a[i] ?? null);
}

function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

function mapRound<T extends Record<string, number>>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, 3)])) as T;
}

/** Raw RGB frames piped into ffmpeg's libx264 (H.264, yuv420p), written to a temporary file and renamed. */
class Mp4Writer {
  private readonly proc;
  private readonly done: Promise<number>;
  private stderr = '';
  private readonly tmp: string;

  constructor(
    readonly path: string,
    readonly width: number,
    readonly height: number,
    fps: number,
  ) {
    this.tmp = `${path.replace(/\.mp4$/, '')}.partial.mp4`;
    this.proc = spawn(
      ffmpegPath(),
      [
        '-y',
        '-v',
        'error',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-s',
        `${width}x${height}`,
        '-r',
        String(fps),
        '-i',
        '-',
        '-vf',
        'pad=ceil(iw/2)*2:ceil(ih/2)*2',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        this.tmp,
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    this.proc.stderr?.on('data', (d) => {
      this.stderr += d;
    });
    this.done = new Promise((resolve, reject) => {
      this.proc.on('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'ENOENT' ? new FfmpegUnavailableError(ffmpegPath()) : e),
      );
      this.proc.on('close', (code) => resolve(code ?? 1));
    });
    this.done.catch(() => {});
  }

  async write(rgb: Uint8Array): Promise<void> {
    const stdin = this.proc.stdin;
    if (!stdin) return;
    if (!stdin.write(rgb)) await new Promise((r) => stdin.once('drain', r));
  }

  /** Finishes the file; returns its path. */
  async close(): Promise<string> {
    this.proc.stdin?.end();
    const code = await this.done;
    if (code !== 0) throw new Error(`ffmpeg could not write ${this.path}: ${this.stderr.trim()}`);
    await rename(this.tmp, this.path);
    return this.path;
  }

  async abort(): Promise<void> {
    this.proc.stdin?.end();
    this.proc.kill('SIGTERM');
    await this.done.catch(() => 0);
  }
}

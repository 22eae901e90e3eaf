import { EXIT_OK, FaceLostError, NoFaceError, UsageError, VideoFormatError } from '../errors';
import type { CliIO } from '../io';
import {
  parseChoice,
  parseExpressionsFlag,
  parseIntFlag,
  parseNumberFlag,
  parseOnOff,
} from '../options';
import { type TrackRunSummary, trackVideo } from '../track/run';
import { BACKEND_CHOICES } from './fit';

export interface TrackCommandOptions {
  out?: string;
  model?: string;
  landmarks?: string;
  res?: string;
  shapeModes?: string;
  expressions?: string;
  contour?: string;
  steps?: string;
  perFrame?: string;
  detectSteps?: string;
  identityFrames?: string;
  lostThreshold?: string;
  maxFaces?: string;
  minConfidence?: string;
  redetectEvery?: string;
  filter?: string;
  faceCheck?: string;
  overlay?: string;
  fps?: string;
  scale?: string;
  start?: string;
  maxFrames?: string;
  backend?: string;
  json?: boolean;
}

/**
 * `track <video | folder> --out DIR`: exit 0 when faces were tracked to the end; 1 for a clip
 * with no face, a face lost for the rest of the clip or a video that stops decoding (the frames
 * tracked are written first), and for a file that is not a video; 2 for bad usage or a missing
 * ffmpeg.
 */
export async function trackCommand(
  input: string,
  opts: TrackCommandOptions,
  io: CliIO,
): Promise<number> {
  if (!opts.out) throw new UsageError('track: --out DIR is required');
  const summary = await trackVideo(input, {
    outDir: opts.out,
    model: opts.model,
    landmarks: opts.landmarks,
    res: parseIntFlag('--res', opts.res, 2, 1024),
    shapeModes: parseIntFlag('--shape-modes', opts.shapeModes, 0),
    expressionModes: parseExpressionsFlag(opts.expressions),
    contour: parseOnOff('--contour', opts.contour),
    steps: parseIntFlag('--steps', opts.steps, 0, 10000),
    perFrame: parseChoice('--per-frame', opts.perFrame, ['closed-form', 'warm'] as const),
    detectSteps: parseIntFlag('--detect-steps', opts.detectSteps, 0, 10000),
    identityFrames: parseIntFlag('--identity-frames', opts.identityFrames, 1),
    lostThreshold: parseNumberFlag('--lost-threshold', opts.lostThreshold, 0, 10),
    maxFaces: parseIntFlag('--max-faces', opts.maxFaces, 1),
    minConfidence: parseNumberFlag('--min-confidence', opts.minConfidence, 0, 1),
    redetectEvery: parseIntFlag('--redetect-every', opts.redetectEvery, 0),
    filter: parseOnOff('--filter', opts.filter),
    faceCheck: parseOnOff('--face-check', opts.faceCheck),
    overlay: parseChoice('--overlay', opts.overlay, ['png', 'mp4', 'none'] as const),
    fps: parseNumberFlag('--fps', opts.fps, 0.001, 1000),
    scale: parseIntFlag('--scale', opts.scale, 2, 16384),
    start: parseNumberFlag('--start', opts.start, 0, 1e7),
    maxFrames: parseIntFlag('--max-frames', opts.maxFrames, 1),
    backend: parseChoice('--backend', opts.backend, BACKEND_CHOICES),
    onFrame: opts.json
      ? (_frame, lines) => {
          for (const l of lines) io.stdout(`${JSON.stringify(l)}\n`);
        }
      : undefined,
  });
  if (opts.json) io.stdout(`${JSON.stringify({ summary })}\n`);
  else io.stderr(describe(summary));
  switch (summary.status) {
    case 'no-face':
      throw new NoFaceError(input, summary.message ?? 'no face found');
    case 'lost':
      throw new FaceLostError(input, summary.message ?? 'the face was lost');
    case 'decode-error':
      throw new VideoFormatError(
        input,
        `${summary.message ?? 'decoding failed'}; the ${summary.frames} frames read were tracked and written`,
      );
    default:
      return EXIT_OK;
  }
}

function describe(s: TrackRunSummary): string {
  const lines = [
    `${s.frames} frames (${s.size[0]}×${s.size[1]}, ${s.fps.toFixed(2)} fps), a face in ${s.framesWithFace}, detector on ${s.detectorFrames}; ` +
      `${s.framesPerSecond.track.toFixed(1)} frames/s tracking, ${s.framesPerSecond.total.toFixed(1)} frames/s with decoding and outputs (${s.backend}, ${s.model.name}, res ${s.model.res})`,
  ];
  for (const t of s.tracks)
    lines.push(
      `  face ${t.track}: frames ${t.firstFrame}–${t.lastFrame} (${t.framesTracked} tracked${t.lostAt ? `, lost at ${t.lostAt.frame}: ${t.lostAt.reason}` : ''}); ` +
        `fused UV covers ${(100 * t.coverage.fused).toFixed(1)} % of the grid (best single frame ${(100 * t.coverage.bestSingleFrame).toFixed(1)} %, frame ${t.coverage.bestFrame}); ` +
        `jitter ${fmt(t.jitter.tracked)} tracked vs ${fmt(t.jitter.landmarkNet)} landmark net; ${t.files.uvFused}`,
    );
  lines.push(
    `  records: ${s.files.jsonl}; summary: ${s.files.summary}${s.files.overlay ? `; overlay: ${s.files.overlay}` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : 'n/a';
}

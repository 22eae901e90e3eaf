/**
 * Frames of a clip for `track`: a video decoded by ffmpeg on PATH (Debian's `ffmpeg` package;
 * `STN_FFMPEG` / `STN_FFPROBE` override the programs), or a folder of image files taken in name
 * order (numbers compared as numbers: frame2 before frame10).
 *
 * ffprobe gives the size, the frame rate and the duration; `ffmpeg -i FILE -f rawvideo
 * -pix_fmt rgb24 -` streams the frames as raw RGB, read frame by frame with backpressure (ffmpeg
 * waits while a frame is tracked, so memory stays at a few frames).
 */
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isImageFile } from '@3dmm-stn/datasets';
import { FfmpegUnavailableError, InputError, VideoFormatError } from '../errors';
import { type RgbImage, readRgb, resizeRgb } from '../image';

export interface ClipInfo {
  kind: 'video' | 'frames';
  path: string;
  /** Frame size after `scale` (videos), or the first frame's size (folders). */
  width: number;
  height: number;
  /** Frames per second (videos: ffprobe's average rate; folders: the `fps` given). */
  fps: number;
  /** Frames expected (ffprobe's count or duration × fps, or the folder's files); may be approximate. */
  frames: number;
  /** Video codec and container (videos). */
  codec?: string;
  format?: string;
  /** Source size before `scale` (videos). */
  sourceSize?: [number, number];
  /** The frame files (folders). */
  files?: string[];
}

export interface Frame {
  index: number;
  /** Seconds from the start of the clip (the first frame read is at `start`). */
  time: number;
  image: RgbImage;
  /** The frame's file (folders). */
  file?: string;
}

export interface OpenClipOptions {
  /** Frames per second of a folder of frames. Default 25. */
  fps?: number;
  /** Width to scale the video to (height keeps the aspect, even). Default: as stored. */
  scale?: number;
  /** Seconds into the video to start at. Default 0. */
  start?: number;
  /** Read at most this many frames. */
  maxFrames?: number;
}

export const ffmpegPath = (): string => process.env.STN_FFMPEG || 'ffmpeg';
export const ffprobePath = (): string => process.env.STN_FFPROBE || 'ffprobe';

/** Runs a program to completion: stdout, stderr, exit code; a missing program → FfmpegUnavailableError. */
function run(
  program: string,
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new FfmpegUnavailableError(program) : e);
    });
    p.on('close', (code) => resolve({ stdout, stderr, code: code ?? 1 }));
  });
}

/** The last non-empty line of ffmpeg's stderr (its reason), or a fallback. */
function reason(stderr: string, fallback: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length ? lines[lines.length - 1] : fallback;
}

/** What `path` is (a video or a folder of frames), its size, rate and length. */
export async function openClip(path: string, options: OpenClipOptions = {}): Promise<ClipInfo> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch {
    throw new InputError(path, 'no such file or folder');
  }
  if (st.isDirectory()) return openFolder(path, options);
  const probe = await run(ffprobePath(), [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,codec_name:format=duration,format_name',
    '-of',
    'json',
    path,
  ]);
  if (probe.code !== 0)
    throw new VideoFormatError(
      path,
      `not a video ffmpeg can read (ffprobe: ${reason(probe.stderr, `exit ${probe.code}`)})`,
    );
  // biome-ignore lint/suspicious/noExplicitAny: ffprobe's JSON
  let info: any;
  try {
    info = JSON.parse(probe.stdout);
  } catch {
    throw new VideoFormatError(path, 'not a video ffmpeg can read (ffprobe printed no JSON)');
  }
  const s = info.streams?.[0];
  if (!s || !(s.width > 0) || !(s.height > 0))
    throw new VideoFormatError(
      path,
      `no video stream (${info.format?.format_name ?? 'unknown format'}); expected a video file such as MP4, WebM, AVI or MOV`,
    );
  const rate = (r: string | undefined) => {
    const [a, b] = String(r ?? '')
      .split('/')
      .map(Number);
    return b > 0 ? a / b : a;
  };
  let fps = rate(s.avg_frame_rate);
  if (!(fps > 0) || fps > 1000) fps = rate(s.r_frame_rate);
  if (!(fps > 0) || fps > 1000) fps = 25;
  const duration = Number(info.format?.duration);
  let frames = Number(s.nb_frames);
  if (!(frames > 0)) frames = duration > 0 ? Math.round(duration * fps) : 0;
  if (options.start) frames = Math.max(0, frames - Math.round(options.start * fps));
  if (options.maxFrames !== undefined) frames = Math.min(frames, options.maxFrames);
  let width = s.width as number;
  let height = s.height as number;
  if (options.scale && options.scale !== width) {
    height = 2 * Math.max(1, Math.round((height * options.scale) / width / 2));
    width = options.scale;
  }
  return {
    kind: 'video',
    path,
    width,
    height,
    fps,
    frames,
    codec: s.codec_name,
    format: info.format?.format_name,
    sourceSize: [s.width, s.height],
  };
}

async function openFolder(path: string, options: OpenClipOptions): Promise<ClipInfo> {
  const names = (await readdir(path)).filter(isImageFile);
  names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const files = names.map((n) => join(path, n)).slice(0, options.maxFrames ?? names.length);
  if (files.length === 0)
    throw new InputError(path, 'no image files in the folder (expected frames: .png, .jpg, …)');
  const first = await readRgb(files[0]);
  return {
    kind: 'frames',
    path,
    width: first.width,
    height: first.height,
    fps: options.fps ?? 25,
    frames: files.length,
    files,
  };
}

/**
 * The frames of a clip, in order. A video that stops decoding part-way throws VideoFormatError
 * after the frames it gave (the caller keeps what it tracked).
 */
export async function* readFrames(
  clip: ClipInfo,
  options: OpenClipOptions = {},
): AsyncGenerator<Frame> {
  const start = options.start ?? 0;
  if (clip.kind === 'frames') {
    const files = clip.files ?? [];
    for (let i = 0; i < files.length; i++) {
      let image = await readRgb(files[i]);
      if (options.scale && options.scale !== image.width)
        image = await resizeRgb(
          image,
          options.scale,
          2 * Math.max(1, Math.round((image.height * options.scale) / image.width / 2)),
        );
      yield { index: i, time: i / clip.fps, image, file: files[i] };
    }
    return;
  }
  const args = ['-v', 'error', '-nostdin'];
  if (start > 0) args.push('-ss', String(start));
  args.push('-i', clip.path);
  if (options.maxFrames !== undefined) args.push('-frames:v', String(options.maxFrames));
  if (clip.sourceSize && (clip.sourceSize[0] !== clip.width || clip.sourceSize[1] !== clip.height))
    args.push('-vf', `scale=${clip.width}:${clip.height}`);
  args.push('-an', '-sn', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  const p = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number>((resolve, reject) => {
    p.on('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new FfmpegUnavailableError(ffmpegPath()) : e),
    );
    p.on('close', (code) => resolve(code ?? 1));
  });
  // Keep a spawn failure from being an unhandled rejection before it is awaited.
  exited.catch(() => {});
  const bytes = clip.width * clip.height * 3;
  let frame = new Uint8Array(bytes);
  let filled = 0;
  let index = 0;
  try {
    for await (const chunk of p.stdout as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(bytes - filled, chunk.length - off);
        frame.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === bytes) {
          yield {
            index,
            time: start + index / clip.fps,
            image: { data: frame, width: clip.width, height: clip.height },
          };
          index++;
          frame = new Uint8Array(bytes);
          filled = 0;
        }
      }
    }
    const code = await exited;
    if (code !== 0)
      throw new VideoFormatError(
        clip.path,
        index === 0
          ? `ffmpeg cannot decode it (${reason(stderr, `exit ${code}`)}); expected a video with a codec Debian's ffmpeg reads`
          : `decoding stopped after frame ${index - 1} (${reason(stderr, `exit ${code}`)})`,
      );
    if (index === 0)
      throw new VideoFormatError(
        clip.path,
        `ffmpeg decoded no frame (${reason(stderr, 'empty stream')})`,
      );
  } finally {
    if (p.exitCode === null) p.kill('SIGTERM');
  }
}

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { reportError } from '@3dmm-stn/checks';
import type { DetectedFace, TrackDetector } from '@3dmm-stn/fit';
import { defaultModel, render, resampleToGrid } from '@3dmm-stn/morphable-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { FaceLostError, FfmpegUnavailableError, NoFaceError } from '../src/errors';
import { writePng } from '../src/image';
import { openClip, readFrames } from '../src/track/decode';
import { trackVideo } from '../src/track/run';
import { cli, tempDir } from './helpers';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

// Frames of a known face (the default model, a colour-ramp texture) turning from −35° to +35°
// yaw; a detector that knows each frame's exact landmarks (looked up by the frame's pixels, so
// the PNG round trip is checked too).
const model = defaultModel();
const grid = resampleToGrid(model, model.texCoords as Float32Array, 40);
const SIZE = 160;
const YAWS = [-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6];
const tex = new Uint8Array(64 * 64 * 3);
for (let i = 0; i < 64 * 64; i++) tex.set([(i % 64) * 4, Math.floor(i / 64) * 4, 160], 3 * i);

function key(data: ArrayLike<number>): string {
  let h = 0;
  for (let i = 0; i < data.length; i += 7) h = (h * 31 + data[i]) >>> 0;
  return `${data.length}:${h}`;
}

const truth = new Map<string, Float32Array>();
let frames: string;
let blank: string;

function oracle(options: { upTo?: number } = {}): TrackDetector {
  let order = 0;
  const seen = new Map<string, number>();
  const lookup = (frame: { data: ArrayLike<number> }) => {
    const k = key(frame.data);
    if (!seen.has(k)) seen.set(k, order++);
    const visible = options.upTo === undefined || (seen.get(k) as number) < options.upTo;
    return visible ? truth.get(k) : undefined;
  };
  const face = (lm: Float32Array): DetectedFace => {
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
    return {
      box: [x0, y0 - 10, x1 - x0, y1 - y0 + 10],
      score: 0.99,
      detector: 'ssd',
      padded: false,
      landmarks: Float32Array.from(lm),
    };
  };
  return {
    detect: async (frame) => {
      const lm = lookup(frame);
      return lm ? [face(lm)] : [];
    },
    landmarksInBox: async (frame, box) => {
      const lm = lookup(frame);
      // no face there: the landmark net still answers, with a face-like shape in the square
      const out = lm
        ? face(lm)
        : face(new Float32Array(136).map((_, k) => box[k % 2] + 0.5 * box[2] + (k % 7)));
      return { ...out, box };
    },
    faceScore: async (frame) => (lookup(frame) ? 0.9 : 0.01),
  };
}

beforeAll(async () => {
  const dir = await tempDir();
  frames = join(dir, 'frames');
  blank = join(dir, 'blank');
  await mkdir(frames);
  await mkdir(blank);
  const alpha = new Float32Array(grid.numModes);
  for (let k = 0; k < YAWS.length; k++) {
    const out = render(
      model,
      alpha,
      { r: [0, YAWS[k], 0], t: [80 + 3 * k, 86], logS: Math.log(0.85) },
      { data: tex, width: 64, height: 64, channels: 3 },
      SIZE,
      SIZE,
      {
        numShapeModes: grid.numShapeModes,
        numExpressionModes: grid.numModes - grid.numShapeModes,
        background: [40, 40, 40],
      },
    );
    const img = out.image as Uint8Array;
    truth.set(key(img), out.landmarks);
    // frame10 sorts after frame9 (numbers compared as numbers)
    await writePng(join(frames, `frame${k + 5}.png`), img, SIZE, SIZE);
  }
  for (let k = 0; k < 3; k++)
    await writePng(join(blank, `${k}.png`), new Uint8Array(SIZE * SIZE * 3).fill(90), SIZE, SIZE);
});

describe('track: a folder of frames end to end', () => {
  it('tracks the turning face: records, overlay, fused texture covering more than any frame, identity OBJ', async () => {
    const out = await tempDir();
    const s = await trackVideo(frames, {
      outDir: out,
      model,
      res: 40,
      detector: oracle(),
      backend: 'wasm',
      identityFrames: 3,
      fps: 5,
    });
    expect(s.kind).toBe('frames');
    expect(s.status).toBe('ok');
    expect(s.frames).toBe(YAWS.length);
    expect(s.framesWithFace).toBe(YAWS.length);
    expect(s.detectorFrames).toBe(1); // the first frame only: the others follow the fit
    expect(s.tracks).toHaveLength(1);
    const t = s.tracks[0];
    expect(t.framesTracked).toBe(YAWS.length);
    expect(t.identityFixed).toBe(true);
    expect(t.coverage.fused).toBeGreaterThan(t.coverage.bestSingleFrame + 0.02);
    const lines = (await readFile(s.files.jsonl, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(YAWS.length);
    expect(lines.map((l) => l.frame)).toEqual(YAWS.map((_, k) => k));
    expect(lines[0].image).toBe('frame5.png');
    expect(lines[YAWS.length - 1].image).toBe(`frame${YAWS.length + 4}.png`);
    expect(lines.map((l) => l.redetected)).toEqual(YAWS.map((_, k) => k === 0));
    expect(lines[2].time).toBeCloseTo(2 / 5, 6);
    for (const l of lines) {
      expect(l.tracked).toBe(true);
      expect(l.track).toBe(0);
      expect(l.theta.every(Number.isFinite)).toBe(true);
      expect(Object.keys(l.expressions).length).toBe(l.modes.expression);
    }
    // the pose follows the turn (r = [0, y, 0]: the record's yaw is y in degrees)
    // (a head turning at 1 rad/s, 5 frames per second); the unfiltered θ is the rendered pose
    const yaw = lines.map((l) => l.pose.yaw);
    for (let k = 1; k < yaw.length; k++) expect(yaw[k]).toBeGreaterThan(yaw[k - 1]);
    expect(yaw[YAWS.length - 1] - yaw[0]).toBeGreaterThan(45);
    lines.forEach((l, k) => {
      expect(Math.abs((l.thetaRaw[1] - YAWS[k]) * (180 / Math.PI))).toBeLessThan(3);
    });
    // files
    expect((await readdir(s.files.overlay as string)).length).toBe(YAWS.length);
    for (const f of Object.values(t.files)) expect(existsSync(f)).toBe(true);
    const obj = await readFile(t.files.obj, 'utf8');
    expect(obj).toContain('mtllib');
    expect(await readFile(t.files.mtl, 'utf8')).toContain('uv_fused.png');
    expect(JSON.parse(await readFile(s.files.summary, 'utf8')).tracks[0].coverage.fused).toBe(
      t.coverage.fused,
    );
  });

  it('a face lost for the rest of the clip: the frames tracked are written, status lost', async () => {
    const out = await tempDir();
    const s = await trackVideo(frames, {
      outDir: out,
      model,
      res: 40,
      detector: oracle({ upTo: 3 }),
      overlay: 'none',
    });
    expect(s.status).toBe('lost');
    expect(s.framesWithFace).toBe(3);
    expect(s.message).toMatch(/lost at frame 3 .*not found again in the remaining 4 frames/);
    const lines = (await readFile(s.files.jsonl, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.tracked)).toHaveLength(3);
    expect(lines.filter((l) => !l.tracked)).toHaveLength(4);
    expect(lines[3].reason).toMatch(/face check/);
    expect(s.detectorFrames).toBe(5); // the first frame, then each lost frame (retries)
    expect(existsSync(s.tracks[0].files.uvFused)).toBe(true);
  });

  it('a clip with no face: status no-face, the records file empty', async () => {
    const out = await tempDir();
    const s = await trackVideo(blank, {
      outDir: out,
      model,
      res: 40,
      detector: oracle(),
      overlay: 'none',
    });
    expect(s.status).toBe('no-face');
    expect(s.message).toMatch(/no face found in any of the 3 frames/);
    expect(s.tracks).toHaveLength(0);
    expect(await readFile(s.files.jsonl, 'utf8')).toBe('');
  });
});

describe('track: typed errors and exit codes', () => {
  it('the errors map to one line and exit 1 (inputs) or 2 (ffmpeg missing)', () => {
    expect(reportError(new NoFaceError('a.mp4', 'no face found in any of the 3 frames')).code).toBe(
      1,
    );
    expect(reportError(new FaceLostError('a.mp4', 'lost')).code).toBe(1);
    const r = reportError(new FfmpegUnavailableError('ffprobe'));
    expect(r.code).toBe(2);
    expect(r.text).toMatch(
      /^error: ffmpeg: ffprobe: not found on PATH .* — install the Debian package `ffmpeg`/,
    );
  });

  it('usage: --out is required; an input that does not exist; a folder without images', async () => {
    expect((await cli('track', frames)).code).toBe(2);
    const missing = await cli('track', '/nonexistent/clip.mp4', '--out', await tempDir());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error: input: \/nonexistent\/clip.mp4: no such file or folder/);
    const empty = join(await tempDir(), 'empty');
    await mkdir(empty);
    const e = await cli('track', empty, '--out', await tempDir());
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/no image files in the folder/);
    const bad = await cli('track', frames, '--out', await tempDir(), '--overlay', 'gif');
    expect(bad.code).toBe(2);
  });

  it('ffmpeg missing: exit 2 naming the Debian package', async () => {
    const file = join(await tempDir(), 'clip.mp4');
    await writeFile(file, 'x');
    const old = process.env.STN_FFPROBE;
    process.env.STN_FFPROBE = '/nonexistent/ffprobe';
    try {
      const r = await cli('track', file, '--out', await tempDir());
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/install the Debian package `ffmpeg`/);
      expect(r.stderr).not.toContain('    at ');
    } finally {
      if (old === undefined) delete process.env.STN_FFPROBE;
      else process.env.STN_FFPROBE = old;
    }
  });

  it.skipIf(!HAS_FFMPEG)('not a video, and a truncated video: exit 1, one line', async () => {
    const dir = await tempDir();
    const text = join(dir, 'notes.mp4');
    await writeFile(text, 'this is not a video\n');
    const r = await cli('track', text, '--out', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: video: .*notes.mp4: not a video ffmpeg can read/m);
    const good = join(dir, 'test.mp4');
    spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=10:duration=1',
      '-pix_fmt',
      'yuv420p',
      good,
    ]);
    const bytes = await readFile(good);
    const cut = join(dir, 'cut.mp4');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const c = await cli('track', cut, '--out', dir);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/^error: video: .*cut.mp4: /m);
  });

  it.skipIf(!HAS_FFMPEG)('decoding: size, rate, frames, scaling, max frames', async () => {
    const dir = await tempDir();
    const file = join(dir, 'test.mp4');
    spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=96x64:rate=12:duration=1',
      '-pix_fmt',
      'yuv420p',
      file,
    ]);
    const clip = await openClip(file);
    expect([clip.kind, clip.width, clip.height, clip.fps, clip.frames]).toEqual([
      'video',
      96,
      64,
      12,
      12,
    ]);
    let n = 0;
    for await (const f of readFrames(clip)) {
      expect(f.image.data.length).toBe(96 * 64 * 3);
      expect(f.time).toBeCloseTo(n / 12, 9);
      n++;
    }
    expect(n).toBe(12);
    const small = await openClip(file, { scale: 48, maxFrames: 5 });
    expect([small.width, small.height, small.frames]).toEqual([48, 32, 5]);
    n = 0;
    for await (const f of readFrames(small, { scale: 48, maxFrames: 5 })) {
      expect([f.image.width, f.image.height]).toEqual([48, 32]);
      n++;
    }
    expect(n).toBe(5);
  });
});

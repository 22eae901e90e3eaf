/**
 * Tracking faces through a video, frame by frame: the engine of `3dmm-stn track` (and, being
 * browser-safe — no Node built-in, frames as pixel arrays — of a page's live mode).
 *
 * Per frame, for each tracked face:
 * 1. the square that follows the previous frame's fit (its filtered fitted landmarks' box, placed
 *    and sized as the detector's box was relative to the landmarks when the face was detected)
 *    goes to the landmark net (`TrackDetector.landmarksInBox`): 68 points, no face detector;
 * 2. θ for this frame (`perFrame`): by default the closed form on those points (pose and,
 *    once the person's identity is fixed, only the expressions for it: `withFixedIdentity`), or
 *    `'warm'`: the previous frame's θ re-posed in closed form for its shape, then Adam steps
 *    (`optimiseTheta` with `initialTheta`, `repose`, the identity `frozen`); on the fit's usual
 *    crop around the points;
 * 3. the track is **lost** when the landmarks jump by more than `maxJump` eye-corner distances
 *    from the previous fit, the fit's landmark RMS (inner points, ibug 18–68: the jaw follows the
 *    contour) exceeds `lostThreshold` eye-corner distances,
 *    the optional face check (`TrackDetector.faceScore`) scores the square below `minFaceScore`,
 *    or the square is mostly outside the frame;
 * 4. the face detector (`TrackDetector.detect`) runs on the first frame, on every frame where a
 *    track was lost (after `retryAfter` frames without success only every `retryEvery`-th frame),
 *    and every `redetectEvery` frames if set; detections are matched to tracks by the IoU of the
 *    landmark boxes (≥ 0.3; a clip's only face also by the nearest detection within two face
 *    sizes of where it was lost), so a face found again keeps its track id, and unmatched
 *    detections start new tracks (up to `maxFaces`); θ of a detected face starts from the closed form;
 * 5. identity: the identity modes of each track are averaged over its first `identityFrames`
 *    frames, then fixed (one α per person); the output θ always carries the running mean;
 * 6. temporal filtering: a One Euro filter (`OneEuroFilter`, parameters `DEFAULT_THETA_FILTER`)
 *    on the rotation r (rad), the translation in model units t/s₀ (mm, s₀ the track's scale when
 *    the filter started, so that the filter does not depend on the face's size in pixels and the
 *    scale's jitter is not mixed into the position), log s and the expression weights; reset
 *    after a loss;
 * 7. the STN forward pass of the filtered θ on the whole frame (UV image, mask, vertices,
 *    landmarks), and the frame's visible texels fused into the track's texture (`UvFusion`,
 *    weighted by the texel's cosine to the view and the crop's sharpness).
 *
 * Conventions as in the rest of @3dmm-stn/fit: frame pixels (x right, y down, pixel centres at
 * integers), θ = [r, t, log s, α] in frame pixels.
 */
import {
  type CropTransform,
  cropBoxAround,
  type PixelImage,
  thetaToCrop,
  thetaToPhoto,
  toCrop,
} from '@3dmm-stn/localiser';
import * as tf from '@tensorflow/tfjs-core';
import { closedFormFit, withFixedIdentity } from '../closed_form';
import { optimiseTheta } from '../optimise';
import { cropFaces, type DetectedFace, type FaceFit, mostlyInside } from '../photo';
import type { FitRecord } from '../record';
import { extractTexture, type FitStn, type StnForward } from '../stn';
import { texelViewCosines, UvFusion, varianceOfLaplacian } from './fusion';
import { eyeCornerDistance } from './jitter';
import { OneEuroFilter, type OneEuroParams } from './one_euro';

/** What the tracker needs of a face detector (face-api in the CLI and the page). */
export interface TrackDetector {
  /** All faces of a frame with 68 ibug landmarks (frame pixels), largest first. */
  detect(frame: PixelImage): Promise<DetectedFace[]>;
  /** The 68 landmarks of the face in the square `[x, y, side, side]` (frame pixels). */
  landmarksInBox(frame: PixelImage, box: [number, number, number, number]): Promise<DetectedFace>;
  /** Optional: how sure a face detector is that the square holds a face (0…1). */
  faceScore?(frame: PixelImage, box: [number, number, number, number]): Promise<number>;
}

/** One Euro parameters per part of θ (units: rad, mm, log-scale, blendshape weight). */
export interface ThetaFilterParams {
  rotation: OneEuroParams;
  translation: OneEuroParams;
  logScale: OneEuroParams;
  expression: OneEuroParams;
}

/**
 * The default filter. minCutoff (Hz) sets the smoothing at rest, beta (Hz per unit/s) how fast
 * the cutoff rises with speed: rotation 2 Hz + 2 Hz per rad/s (a 1 rad/s head turn is followed
 * at 4 Hz), translation 2 Hz + 0.05 Hz per mm/s, log-scale 2 Hz + 2 Hz per 1/s, expressions 4 Hz
 * + 1 Hz per 1/s (blinks and speech are fast); speed estimates at 1 Hz. Chosen with
 * `bench/track-filter.ts` (CLI): against minCutoff halved (1 Hz), the lag behind the unfiltered
 * yaw drops from 2 to 1 or 0 frames at 25–30 fps for ≈ 10–20 % more jitter.
 */
export const DEFAULT_THETA_FILTER: ThetaFilterParams = {
  rotation: { minCutoff: 2, beta: 2, dCutoff: 1 },
  translation: { minCutoff: 2, beta: 0.05, dCutoff: 1 },
  logScale: { minCutoff: 2, beta: 2, dCutoff: 1 },
  expression: { minCutoff: 4, beta: 1, dCutoff: 1 },
};

export interface TrackerOptions {
  /** Adam steps per followed frame after its start (see `perFrame`). Default 0 for 'closed-form', 5 for 'warm'. */
  steps?: number;
  /** Adam steps after the closed form on a frame where the face was detected. Default 10. */
  detectSteps?: number;
  /** Frames over which each track's identity is averaged before it is fixed. Default 15. */
  identityFrames?: number;
  /** Lost when the fit's landmark RMS / eye-corner distance exceeds this. Default 0.2. */
  lostThreshold?: number;
  /** Lost when the new landmarks moved by more than this many eye-corner distances (mean). Default 1. */
  maxJump?: number;
  /** Lost when `faceScore` (if the detector has it) is below this. Default 0.3. */
  minFaceScore?: number;
  /** Check `faceScore` every this many frames (0: never). Default 1. */
  faceScoreEvery?: number;
  /** At most this many faces (largest first at detection). Default: all. */
  maxFaces?: number;
  /** Also run the detector every this many frames to pick up new faces (0: only when lost). Default 0. */
  redetectEvery?: number;
  /** While a track stays lost: the detector runs on each of the next `retryAfter` frames, then every `retryEvery`-th. Defaults 10 and 10. */
  retryAfter?: number;
  retryEvery?: number;
  /** Temporal filter of θ: the One Euro parameters, or false for none. Default `DEFAULT_THETA_FILTER`. */
  filter?: Partial<ThetaFilterParams> | false;
  /** The symmetry term in the per-frame fit (slower). Default false. */
  symmetry?: boolean;
  /** Contour-aware jaw points (see `optimiseTheta`). */
  contour?: boolean;
  /** Fuse the UV texture of every track. Default true. */
  fuse?: boolean;
  /** Texels seen at a lower cosine are left out of the fusion. Default 0.2. */
  minCos?: number;
  /** Crop side of the fit. Default 224. */
  cropSize?: number;
  /**
   * θ of a followed face: `'closed-form'` (default) — this frame's closed form (`closedFormFit`;
   * once the identity is fixed, of pose and expressions for it, `withFixedIdentity`), then
   * `steps` Adam steps; `'warm'` — the previous frame's θ re-posed in closed form for its shape
   * (`optimiseTheta`'s `repose`), then `steps` Adam steps. Adam's first steps move every
   * parameter by about its step size whatever the gradient (m̂/√v̂ ≈ ±1), which adds jitter to
   * the expressions; the closed form does not (`bench/track.ts`).
   */
  perFrame?: 'closed-form' | 'warm';
}

/** One face in one frame. */
export interface TrackedFace {
  /** The track (person) id: 0, 1, … in order of first detection. */
  track: number;
  /** The landmarks this frame was fitted to (`detector: 'track'` between detections). */
  face: DetectedFace;
  /** θ after the filter (frame pixels), its crop and the STN forward pass on the frame. */
  fit: FaceFit;
  /** θ of the fit before the filter (frame pixels). */
  rawTheta: number[];
  /** The detector found the face on this frame (first frame, or after a loss). */
  redetected: boolean;
  /** Fraction of the valid UV texels this frame added to the fusion (seen at cos ≥ minCos). */
  frameCoverage: number;
  /** Variance of the Laplacian of the face crop. */
  sharpness: number;
  /** Whether the identity was fixed when this frame was fitted. */
  identityFixed: boolean;
}

export interface TrackFrame {
  frame: number;
  /** Seconds from the start of the clip. */
  time: number;
  faces: TrackedFace[];
  /** Tracks that exist but were not found in this frame (lost). */
  lost: { track: number; reason: string }[];
  /** The face detector ran on this frame. */
  detectorRan: boolean;
  seconds: { landmarks: number; detect: number; fit: number; texture: number; fusion: number };
}

export interface TrackSummary {
  track: number;
  firstFrame: number;
  lastFrame: number;
  framesTracked: number;
  /** The identity modes (fixed after `identityFrames`, else the running mean). */
  identity: number[];
  identityFixed: boolean;
  /** The frame where the track was last lost and not found again (undefined if tracked to the end). */
  lostAt?: { frame: number; reason: string };
}

interface Track {
  id: number;
  theta: number[] | null;
  filtered: number[] | null;
  filter: OneEuroFilter | null;
  /** A face found by this frame's detection whose first fit has not yet been accepted. */
  candidate?: boolean;
  /** The pixels per mm the translation is filtered at (the scale when the filter (re)started). */
  filterScale?: number;
  identitySum: Float64Array;
  identityCount: number;
  identityFixed: boolean;
  /** Detector square relative to the landmarks' box: centre offset and side, in units of the box's larger side. */
  boxModel: { dx: number; dy: number; side: number };
  /** Filtered fitted landmarks (or detected), frame pixels, [68, 2]. */
  landmarks: Float32Array | null;
  lost: boolean;
  lostFor: number;
  lostReason: string;
  lostAt?: { frame: number; reason: string };
  firstFrame: number;
  lastFrame: number;
  framesTracked: number;
  fusion: UvFusion | null;
  lastTime: number;
}

const DEFAULT_BOX_MODEL = { dx: 0, dy: -0.08, side: 1.15 };

/** The face tracker (see the module comment). Reuse one per clip; `tracks()` at the end. */
export class FaceTracker {
  private readonly list: Track[] = [];
  private readonly o: Required<Omit<TrackerOptions, 'filter' | 'contour' | 'maxFaces'>> &
    Pick<TrackerOptions, 'contour' | 'maxFaces'>;
  private readonly filterParams: ThetaFilterParams | null;
  private lastDetect = -Infinity;
  private nextId = 0;

  constructor(
    readonly stn: FitStn,
    readonly detector: TrackDetector,
    options: TrackerOptions = {},
  ) {
    this.o = {
      steps: options.steps ?? (options.perFrame === 'warm' ? 5 : 0),
      detectSteps: options.detectSteps ?? 10,
      identityFrames: options.identityFrames ?? 15,
      lostThreshold: options.lostThreshold ?? 0.2,
      maxJump: options.maxJump ?? 1,
      minFaceScore: options.minFaceScore ?? 0.3,
      faceScoreEvery: options.faceScoreEvery ?? 1,
      redetectEvery: options.redetectEvery ?? 0,
      retryAfter: options.retryAfter ?? 10,
      retryEvery: options.retryEvery ?? 10,
      symmetry: options.symmetry ?? false,
      fuse: options.fuse ?? true,
      minCos: options.minCos ?? 0.2,
      cropSize: options.cropSize ?? 224,
      perFrame: options.perFrame ?? 'closed-form',
      contour: options.contour,
      maxFaces: options.maxFaces,
    };
    this.filterParams =
      options.filter === false ? null : { ...DEFAULT_THETA_FILTER, ...(options.filter ?? {}) };
  }

  /**
   * Tracks the faces of one frame.
   *
   * @param frame the frame's pixels (RGB, `[H, W, 3]`).
   * @param frameT the same frame as a `[1, H, W, 3]` float32 tensor (0…255), for the texture;
   *   the caller owns it.
   * @param index the frame's number; `time` its time in seconds.
   */
  async step(
    frame: PixelImage,
    frameT: tf.Tensor4D,
    index: number,
    time: number,
  ): Promise<TrackFrame> {
    const seconds = { landmarks: 0, detect: 0, fit: 0, texture: 0, fusion: 0 };
    const out: TrackFrame = {
      frame: index,
      time,
      faces: [],
      lost: [],
      detectorRan: false,
      seconds,
    };
    const W = frame.width;
    const H = frame.height;
    // 1–3: follow every active track.
    const follow: { track: Track; face: DetectedFace }[] = [];
    let t0 = performance.now();
    for (const track of this.list) {
      if (track.lost || !track.landmarks) continue;
      const box = this.boxFor(track);
      if (!mostlyInside(box, W, H)) {
        this.lose(track, index, 'the face left the frame');
        continue;
      }
      const face = await this.detector.landmarksInBox(frame, box);
      face.detector = 'track';
      face.box = box;
      const jump =
        meanDistance(face.landmarks, track.landmarks) / eyeCornerDistance(track.landmarks);
      if (!(jump <= this.o.maxJump)) {
        this.lose(track, index, `the landmarks jumped by ${fmt(jump)} eye-corner distances`);
        continue;
      }
      if (
        this.detector.faceScore &&
        this.o.faceScoreEvery > 0 &&
        index % this.o.faceScoreEvery === 0
      ) {
        const score = await this.detector.faceScore(frame, box);
        face.score = score;
        if (!(score >= this.o.minFaceScore)) {
          this.lose(track, index, `the face check scored ${fmt(score)} < ${this.o.minFaceScore}`);
          continue;
        }
      }
      follow.push({ track, face });
    }
    seconds.landmarks = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const fitted = this.fitBatch(frame, follow, false);
    seconds.fit += (performance.now() - t0) / 1000;
    const kept: typeof fitted = [];
    for (const f of fitted) {
      if (!(f.rmsNormalised <= this.o.lostThreshold)) {
        this.lose(
          f.track,
          index,
          `the fit's landmark error is ${fmt(f.rmsNormalised)} eye-corner distances`,
        );
        continue;
      }
      kept.push(f);
    }
    // 4: the detector, when needed.
    const active = this.list.filter((t) => !t.lost);
    const lostTracks = this.list.filter((t) => t.lost);
    const retry = lostTracks.some(
      (t) => t.lostFor <= this.o.retryAfter || t.lostFor % this.o.retryEvery === 0,
    );
    const periodic = this.o.redetectEvery > 0 && index - this.lastDetect >= this.o.redetectEvery;
    const room = this.o.maxFaces === undefined || active.length < this.o.maxFaces;
    const firstTime = this.list.length === 0;
    let found: { track: Track; face: DetectedFace }[] = [];
    // (a lost face is looked for only while there is room for it: with `maxFaces` reached by
    // other faces it stays lost)
    if (firstTime || (retry && room) || (periodic && room)) {
      t0 = performance.now();
      const faces = await this.detector.detect(frame);
      seconds.detect = (performance.now() - t0) / 1000;
      out.detectorRan = true;
      this.lastDetect = index;
      found = this.assign(
        faces,
        kept.map((k) => k.track),
        index,
      );
    }
    t0 = performance.now();
    const detected = this.fitBatch(frame, found, true);
    seconds.fit += (performance.now() - t0) / 1000;
    // New faces are candidates (a few more than there is room for): those whose first fit fails
    // (not a face the model can fit: a profile, a false detection) are dropped, the rest kept
    // while there is room (after the faces followed and found again), and get their ids now.
    for (const f of detected) {
      if (f.track.candidate) continue;
      if (!(f.rmsNormalised <= this.o.lostThreshold)) {
        this.lose(
          f.track,
          index,
          `the fit's landmark error is ${fmt(f.rmsNormalised)} eye-corner distances`,
        );
        continue;
      }
      kept.push(f);
    }
    let slots = this.o.maxFaces === undefined ? Infinity : this.o.maxFaces - kept.length;
    for (const f of detected) {
      if (!f.track.candidate) continue;
      if (f.rmsNormalised <= this.o.lostThreshold && slots > 0) {
        f.track.candidate = false;
        f.track.id = this.nextId++;
        slots--;
        kept.push(f);
      } else {
        this.list.splice(this.list.indexOf(f.track), 1);
      }
    }
    // 5–7: identity, filter, forward pass, fusion.
    for (const f of kept) {
      const track = f.track;
      const theta = f.theta;
      const ds = this.stn.grid.numShapeModes;
      if (!track.identityFixed) {
        for (let d = 0; d < ds; d++) track.identitySum[d] += theta[6 + d];
        track.identityCount++;
        if (track.identityCount >= this.o.identityFrames) track.identityFixed = true;
      }
      const identity = Array.from(track.identitySum, (v) => v / Math.max(1, track.identityCount));
      const dt = track.lastTime >= 0 && time > track.lastTime ? time - track.lastTime : 0;
      const filtered = this.filterTheta(track, theta, identity, dt, f.redetected && track.lost);
      track.theta = theta;
      track.filtered = filtered;
      track.lost = false;
      track.lostFor = 0;
      track.lostAt = undefined;
      track.lastTime = time;
      track.lastFrame = index;
      track.framesTracked++;
      t0 = performance.now();
      const forward = extractTexture(this.stn, frameT, filtered);
      seconds.texture += (performance.now() - t0) / 1000;
      // The next frame's square follows the filtered fitted landmarks (the detected where the
      // model has none).
      const lm = Float32Array.from(f.face.landmarks);
      this.stn.grid.landmarkIds.forEach((id, l) => {
        lm[2 * (id - 1)] = forward.landmarks[2 * l];
        lm[2 * (id - 1) + 1] = forward.landmarks[2 * l + 1];
      });
      track.landmarks = lm;
      t0 = performance.now();
      let frameCoverage = 0;
      if (this.o.fuse) {
        track.fusion ??= new UvFusion(this.stn.grid, this.o.minCos);
        frameCoverage = track.fusion.add({
          uv: forward.uv,
          mask: forward.mask,
          cosines: texelViewCosines(this.stn.grid, forward.vertices, filtered),
          pixels: forward.pixels,
          width: W,
          height: H,
          sharpness: f.sharpness,
        });
      }
      seconds.fusion += (performance.now() - t0) / 1000;
      out.faces.push({
        track: track.id,
        face: f.face,
        fit: {
          crop: f.crop,
          thetaCrop: thetaToCrop(f.crop, filtered),
          theta: filtered,
          method: 'optimisation',
          optimisation: f.optimisation,
          forward,
        },
        rawTheta: theta,
        redetected: f.redetected,
        frameCoverage,
        sharpness: f.sharpness,
        identityFixed: track.identityFixed,
      });
    }
    for (const t of this.list) {
      if (!t.lost) continue;
      t.lostFor++;
      out.lost.push({ track: t.id, reason: t.lostReason });
    }
    out.faces.sort((a, b) => a.track - b.track);
    return out;
  }

  /** Every track so far (id order). */
  tracks(): TrackSummary[] {
    return this.list.map((t) => ({
      track: t.id,
      firstFrame: t.firstFrame,
      lastFrame: t.lastFrame,
      framesTracked: t.framesTracked,
      identity: Array.from(t.identitySum, (v) => v / Math.max(1, t.identityCount)),
      identityFixed: t.identityFixed,
      ...(t.lost && t.lostAt ? { lostAt: t.lostAt } : {}),
    }));
  }

  /** The fused texture of a track (null when fusion is off or the track has no frame). */
  fusion(track: number): UvFusion | null {
    return this.list.find((t) => t.id === track)?.fusion ?? null;
  }

  /** θ of a track's identity: the identity modes, zero expression, pose zero (model space). */
  identityTheta(track: number): number[] {
    const t = this.list.find((x) => x.id === track);
    const P = 6 + this.stn.grid.numModes;
    const theta = new Array(P).fill(0);
    if (t)
      t.identitySum.forEach((v, d) => {
        theta[6 + d] = v / Math.max(1, t.identityCount);
      });
    return theta;
  }

  private lose(track: Track, frame: number, reason: string): void {
    if (!track.lost) {
      track.lost = true;
      track.lostFor = 0;
      track.lostAt = { frame, reason };
    }
    track.lostReason = reason;
  }

  /** The square for the landmark net: the detector's box as it sat around the landmarks. */
  private boxFor(track: Track): [number, number, number, number] {
    const lm = track.landmarks as Float32Array;
    const b = landmarkBox(lm);
    const m = Math.max(b.w, b.h);
    const side = track.boxModel.side * m;
    const cx = b.x + b.w / 2 + track.boxModel.dx * m;
    const cy = b.y + b.h / 2 + track.boxModel.dy * m;
    return [cx - side / 2, cy - side / 2, side, side];
  }

  /**
   * Detections → tracks: each lost track takes the unclaimed detection whose landmark box
   * overlaps its last one most (IoU ≥ 0.3); detections overlapping a face tracked in this frame
   * are dropped; the rest start new tracks while there is room.
   */
  private assign(
    faces: DetectedFace[],
    trackedNow: Track[],
    frame: number,
  ): { track: Track; face: DetectedFace }[] {
    const taken = new Array(faces.length).fill(false);
    faces.forEach((f, k) => {
      if (
        trackedNow.some(
          (t) => t.landmarks && iou(landmarkBox(f.landmarks), landmarkBox(t.landmarks)) >= 0.3,
        )
      )
        taken[k] = true;
    });
    const out: { track: Track; face: DetectedFace }[] = [];
    for (const track of this.list) {
      if (!track.lost || !track.landmarks) continue;
      let best = -1;
      let bestIou = 0.3;
      faces.forEach((f, k) => {
        if (taken[k]) return;
        const o = iou(landmarkBox(f.landmarks), landmarkBox(track.landmarks as Float32Array));
        if (o >= bestIou) {
          bestIou = o;
          best = k;
        }
      });
      if (best >= 0) {
        taken[best] = true;
        track.boxModel = boxModel(faces[best]);
        out.push({ track, face: faces[best] });
      }
    }
    // A clip's only face, lost and found again without overlap (it moved while lost): the
    // nearest detection within two face sizes of where it was is the same person.
    const only = this.list.length === 1 ? this.list[0] : undefined;
    if (only?.lost && only.landmarks && !out.some((o) => o.track === only)) {
      const last = landmarkBox(only.landmarks);
      const size = Math.max(last.w, last.h);
      let best = -1;
      let bestD = 2 * size;
      faces.forEach((f, k) => {
        if (taken[k]) return;
        const b = landmarkBox(f.landmarks);
        const d = Math.hypot(
          b.x + b.w / 2 - (last.x + last.w / 2),
          b.y + b.h / 2 - (last.y + last.h / 2),
        );
        const ratio = Math.max(b.w, b.h) / size;
        if (d < bestD && ratio > 0.5 && ratio < 2) {
          bestD = d;
          best = k;
        }
      });
      if (best >= 0) {
        taken[best] = true;
        only.boxModel = boxModel(faces[best]);
        out.push({ track: only, face: faces[best] });
      }
    }
    const active = this.list.filter((t) => !t.lost).length + out.length;
    // Up to three more candidates than there is room for (see `step`).
    let room = this.o.maxFaces === undefined ? Infinity : this.o.maxFaces - active + 3;
    faces.forEach((f, k) => {
      if (taken[k] || room <= 0) return;
      room--;
      const track: Track = {
        id: -1,
        candidate: true,
        theta: null,
        filtered: null,
        filter: null,
        identitySum: new Float64Array(this.stn.grid.numShapeModes),
        identityCount: 0,
        identityFixed: false,
        boxModel: boxModel(f),
        landmarks: null,
        lost: false,
        lostFor: 0,
        lostReason: '',
        firstFrame: frame,
        lastFrame: frame,
        framesTracked: 0,
        fusion: null,
        lastTime: -1,
      };
      this.list.push(track);
      out.push({ track, face: f });
    });
    return out;
  }

  /** θ of a batch of faces (one optimisation): warm from the previous θ, or from the closed form. */
  private fitBatch(
    frame: PixelImage,
    items: { track: Track; face: DetectedFace }[],
    detected: boolean,
  ): {
    track: Track;
    face: DetectedFace;
    theta: number[];
    crop: CropTransform;
    rmsNormalised: number;
    sharpness: number;
    redetected: boolean;
    optimisation: FitRecord['optimisation'];
  }[] {
    if (items.length === 0) return [];
    const grid = this.stn.grid;
    const B = items.length;
    const P = 6 + grid.numModes;
    const ds = grid.numShapeModes;
    const L = grid.landmarkIds.length;
    const size = this.o.cropSize;
    const { crops, pixels } = cropFaces(
      frame,
      items.map((i) => i.face),
      size,
    );
    const target = new Float32Array(B * 2 * L);
    const conf = new Float32Array(B * L);
    items.forEach(({ face }, b) => {
      grid.landmarkIds.forEach((id, l) => {
        const x = face.landmarks[2 * (id - 1)];
        const y = face.landmarks[2 * (id - 1) + 1];
        if (!Number.isFinite(x) || !Number.isFinite(y)) return;
        const [cx, cy] = toCrop(crops[b], x, y);
        target[2 * (b * L + l)] = cx;
        target[2 * (b * L + l) + 1] = cy;
        conf[b * L + l] = 1;
      });
    });
    const images = this.o.symmetry ? tf.tensor4d(pixels, [B, size, size, 3]) : undefined;
    const frozen = new Float32Array(B * P);
    items.forEach(({ track }, b) => {
      if (track.identityFixed) frozen.fill(1, b * P + 6, b * P + 6 + ds);
    });
    const fixedIdentity = (b: number, th: number[]) => {
      const t = items[b].track;
      if (!t.identityFixed) return;
      for (let d = 0; d < ds; d++) th[6 + d] = t.identitySum[d] / t.identityCount;
    };
    let thetaCrop: number[][];
    let r: ReturnType<typeof optimiseTheta>;
    try {
      if (detected) {
        // Closed form + Adam; a track whose identity is known then gets it back and a polish.
        r = optimiseTheta(this.stn, target, conf, images, {
          steps: this.o.detectSteps,
          contour: this.o.contour,
        });
        thetaCrop = r.theta.map((t) => Array.from(t));
        if (items.some((i) => i.track.identityFixed)) {
          thetaCrop.forEach((th, b) => {
            fixedIdentity(b, th);
          });
          r = optimiseTheta(this.stn, target, conf, images, {
            steps: this.o.steps,
            contour: this.o.contour,
            initialTheta: thetaCrop.flat(),
            frozen,
          });
          thetaCrop = r.theta.map((t) => Array.from(t));
        }
      } else if (this.o.perFrame === 'closed-form') {
        // This frame's closed form: pose and expressions for the fixed identity (exact least
        // squares under the prior), or pose and all modes before it is fixed; then `steps`
        // Adam steps from it (default none).
        const fits = items.map(({ track }, b) => {
          const p = target.subarray(2 * b * L, 2 * (b + 1) * L);
          const w = conf.subarray(b * L, (b + 1) * L);
          let used = 0;
          for (const c of w) if (c > 0) used++;
          const lambda = (0.1 * Math.max(1, used)) / 0.8998;
          if (track.identityFixed) {
            const id = Array.from(track.identitySum, (v) => v / track.identityCount);
            const cf = closedFormFit(withFixedIdentity(grid, id), p, w, {
              lambda,
              contour: this.o.contour,
            });
            return { cf, theta: [...cf.r, ...cf.t, cf.logS, ...id, ...cf.alpha] };
          }
          const cf = closedFormFit(grid, p, w, { lambda, contour: this.o.contour });
          return { cf, theta: [...cf.r, ...cf.t, cf.logS, ...cf.alpha] };
        });
        thetaCrop = fits.map((f) => f.theta);
        r = {
          theta: thetaCrop.map((t) => Float64Array.from(t)),
          initial: fits.map((f) => f.cf),
          loss: fits.map((f) => {
            let a2 = 0;
            for (let d = 6; d < P; d++) a2 += f.theta[d] ** 2;
            const l = 0.8998 * f.cf.rms ** 2 + 0.1 * a2;
            return { initial: l, final: l };
          }),
          steps: 0,
          seconds: { init: 0, optimise: 0 },
        };
        if (this.o.steps > 0) {
          r = optimiseTheta(this.stn, target, conf, images, {
            steps: this.o.steps,
            contour: this.o.contour,
            initialTheta: thetaCrop.flat(),
            frozen,
          });
          thetaCrop = r.theta.map((t) => Array.from(t));
        }
      } else {
        const start = items.map(({ track }, b) => {
          const th = thetaToCrop(crops[b], track.theta as number[]);
          fixedIdentity(b, th);
          return th;
        });
        r = optimiseTheta(this.stn, target, conf, images, {
          steps: this.o.steps,
          contour: this.o.contour,
          initialTheta: start.flat(),
          frozen,
          repose: true,
        });
        thetaCrop = r.theta.map((t) => Array.from(t));
      }
    } finally {
      images?.dispose();
    }
    // The fit's landmark error on the inner points (crop pixels → eye-corner distances).
    const projected = tf.tidy(() =>
      this.stn.projectLandmarks(tf.tensor2d(thetaCrop.flat(), [B, P])).dataSync(),
    );
    return items.map(({ track, face }, b) => {
      let sq = 0;
      let n = 0;
      for (let l = 0; l < L; l++) {
        // The jaw (ibug 1–17) is matched to contour candidates by the fit: left out here.
        if (!conf[b * L + l] || grid.landmarkIds[l] <= 17) continue;
        sq +=
          (projected[2 * (b * L + l)] - target[2 * (b * L + l)]) ** 2 +
          (projected[2 * (b * L + l) + 1] - target[2 * (b * L + l) + 1]) ** 2;
        n++;
      }
      const k = size / crops[b].side;
      const rms = n > 0 ? Math.sqrt(sq / n) / k : Number.NaN;
      return {
        track,
        face,
        theta: thetaToPhoto(crops[b], thetaCrop[b]),
        crop: crops[b],
        rmsNormalised: rms / eyeCornerDistance(face.landmarks),
        sharpness: varianceOfLaplacian(
          pixels.subarray(b * size * size * 3, (b + 1) * size * size * 3),
          size,
          size,
        ),
        redetected: detected,
        optimisation: {
          steps: r.steps,
          init: detected ? r.initial[b].method : 'affine',
          initRmsPx: r.initial[b].rms / k,
          contour: this.o.contour !== false && grid.contour !== undefined,
          loss: r.loss[b],
        },
      };
    });
  }

  /** The One Euro filter on [r, t/s, log s, expressions]; the identity is the track's mean. */
  private filterTheta(
    track: Track,
    theta: number[],
    identity: number[],
    dt: number,
    reset: boolean,
  ): number[] {
    const grid = this.stn.grid;
    const ds = grid.numShapeModes;
    const out = theta.slice();
    for (let d = 0; d < ds; d++) out[6 + d] = identity[d];
    if (!this.filterParams) return out;
    const ne = grid.numModes - ds;
    const fp = this.filterParams;
    if (!track.filter) {
      track.filter = new OneEuroFilter(6 + ne, [
        fp.rotation,
        fp.rotation,
        fp.rotation,
        fp.translation,
        fp.translation,
        fp.logScale,
        ...new Array(ne).fill(fp.expression),
      ]);
    }
    if (reset) track.filter.reset();
    // Translation in model units at a scale fixed per track (set when the filter starts): the
    // parameters do not depend on the face's size in pixels, and the scale's own jitter is not
    // mixed into the position (t/s with the frame's s would move t by Δs/s · |t|).
    if (reset || track.filterScale === undefined) track.filterScale = Math.exp(theta[5]);
    const s = track.filterScale;
    const z = [
      theta[0],
      theta[1],
      theta[2],
      theta[3] / s,
      theta[4] / s,
      theta[5],
      ...theta.slice(6 + ds),
    ];
    const f = track.filter.filter(z, dt);
    out[0] = f[0];
    out[1] = f[1];
    out[2] = f[2];
    out[3] = f[3] * s;
    out[4] = f[4] * s;
    out[5] = f[5];
    const range = grid.expressionRange;
    for (let e = 0; e < ne; e++) {
      const v = f[6 + e];
      out[6 + ds + e] = range ? Math.min(range[1], Math.max(range[0], v)) : v;
    }
    return out;
  }
}

/** The detector box as it sits around the landmarks (for the squares between detections). */
function boxModel(face: DetectedFace): { dx: number; dy: number; side: number } {
  const b = landmarkBox(face.landmarks);
  const m = Math.max(b.w, b.h);
  if (!(m > 0) || face.detector === 'none') return { ...DEFAULT_BOX_MODEL };
  const [x, y, w, h] = face.box;
  const side = Math.max(w, h) / m;
  if (!(side > 0.8 && side < 2)) return { ...DEFAULT_BOX_MODEL };
  return {
    dx: (x + w / 2 - (b.x + b.w / 2)) / m,
    dy: (y + h / 2 - (b.y + b.h / 2)) / m,
    side,
  };
}

function landmarkBox(lm: ArrayLike<number>): { x: number; y: number; w: number; h: number } {
  const b = cropBoxAround(lm, 0);
  // cropBoxAround rounds to a square; the plain bounding box is wanted here.
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i + 1 < lm.length; i += 2) {
    const x = lm[i];
    const y = lm[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  if (!Number.isFinite(minX)) return { x: b.x0, y: b.y0, w: b.side, h: b.side };
  return { x: minX, y: minY, w: maxX - minX, h: maxY - minY };
}

function iou(
  a: { x: number; y: number; w: number; h: number },
  b: { x: number; y: number; w: number; h: number },
): number {
  const iw = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const ih = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = iw * ih;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

function meanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i + 1 < Math.min(a.length, b.length); i += 2) {
    const d = Math.hypot(a[i] - b[i], a[i + 1] - b[i + 1]);
    if (!Number.isFinite(d)) continue;
    s += d;
    n++;
  }
  return n > 0 ? s / n : Number.NaN;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : String(x);
}

export type { StnForward };

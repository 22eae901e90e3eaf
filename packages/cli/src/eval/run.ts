/**
 * `evaluate`: landmark error of the project's methods against labelled faces.
 *
 * Per photo: face-api detects once (boxes + its own 68 landmarks); each labelled face is matched
 * one-to-one to a detected face by the overlap (IoU ≥ 0.3) of the two landmark bounding boxes
 * (the same convention on both sides, whatever box the label file uses); every method then runs
 * on the matched faces of the photo in one batch:
 *   - `detector`: face-api's own 68 landmarks (a reference: another network's output),
 *   - `fit`: the per-image optimisation of θ to the detected landmarks,
 *   - `localiser`: a trained network, θ in one pass from the crop (`--localiser`),
 *   - `localiser+refine`: that θ polished with N optimisation steps (`--refine N`).
 * Model landmarks are projected from θ on the host; every method is scored on the same points
 * (the ibug points the model maps). NME (eye) = mean ‖pred − label‖ / ‖label₃₇ − label₄₆‖, NME
 * (box) = the same mean / √(w·h) of the label landmarks' bounding box (AFLW2000-3D). Faces the
 * detector misses count as missed for every method and are listed, never averaged in silence.
 *
 * The field's protocol (3DDFA's `benchmark_aflw2000.py`), reported beside: NME68 = the mean over
 * all 68 points / √(w·h) of the ground truth's 68-point box (a method that predicts fewer points
 * has none), averaged per |yaw| bucket [0, 30), [30, 60), [60, 90] (≥ 60 all in the last, as
 * 3DDFA's `yaw > 60`) and reported as the mean of the three bucket means; the buckets use the
 * ground-truth yaw when the labels have a pose (AFLW2000-3D `.mat`), else the fitted one. Pose
 * MAE: mean |Δ| of yaw, pitch, roll in degrees, in `Pose_Para`'s convention, against the labels.
 * `crop: 'labels'` skips detection: every labelled face is cropped as 3DDFA does from its
 * ground-truth landmarks and face-api's landmark net runs inside that square (no face is missed).
 */
import { resolve } from 'node:path';
import { landmarkNme } from '@3dmm-stn/datasets';
import { type FitPose, type FitStn, fitPose, outlineLandmarks } from '@3dmm-stn/fit';
import { type GridModel, morphRows, projectScaledOrthographic } from '@3dmm-stn/morphable-model';
import { roiBoxFromLandmarks } from './aflw';
import { type RgbImage, readRgb } from '../image';
import type { DetectedFace, LandmarkDetector } from '../fit/faces';
import { type Localiser, thetaForFaces } from '../fit/fit';
import { iou, type LabelSet, labelsOf, landmarkBox, matchFaces } from './labels';

export type EvalMethod = 'detector' | 'fit' | 'localiser' | 'localiser+refine';

export interface EvalOptions {
  methods: EvalMethod[];
  localiser?: Localiser;
  /** Optimisation steps of `fit`. Default: fit's own. */
  steps?: number;
  /** Refinement steps after the localiser (`localiser+refine`). */
  refine?: number;
  /** Contour-aware jaw points in `fit` and refinement (default off). */
  contour?: boolean;
  /** η of the blendshape sparsity prior (default fit's `EXPRESSION_L1`). */
  expressionSparsity?: number;
  minConfidence?: number;
  minIou?: number;
  /** Where the face square comes from: the detector (default) or the labels (3DDFA's crop). */
  crop?: 'detector' | 'labels';
  onImage?: (done: number, total: number, image: string) => void;
}

export interface FaceResult {
  image: string;
  /** Where the label came from (file:line). */
  label: string;
  /** The label's box `[x, y, w, h]`. */
  box: [number, number, number, number];
  matched: boolean;
  /** IoU of the label's and the detection's landmark boxes (0 when missed). */
  iou: number;
  /**
   * |yaw| in degrees that buckets the face: the ground truth's when the labels have a pose, else
   * the face as fitted (`fit`, else the localiser).
   */
  yaw: number | null;
  /** Where `yaw` came from. */
  yawFrom: 'labels' | 'fit' | 'localiser' | null;
  /** Ground-truth pose in degrees, `Pose_Para`'s convention (AFLW2000-3D labels), or null. */
  truePose: { pitch: number; yaw: number; roll: number } | null;
  /** Per method: its scores on this face. */
  methods: Partial<Record<EvalMethod, MethodFace>>;
}

export interface MethodFace {
  /** NME (eye) and NME (box) on the points the model has. */
  nme: number;
  nmeBox: number;
  /** All 68 points / √(w·h) of the ground truth's box (3DDFA); null: fewer points predicted. */
  nme68: number | null;
  seconds: number;
  /** The head pose of θ (methods with a θ), as in the fit record. */
  pose?: FitPose;
  /** |Δ| to the ground-truth pose, degrees, `Pose_Para`'s convention (labels with a pose). */
  poseError?: { yaw: number; pitch: number; roll: number };
}

export interface MethodSummary {
  faces: number;
  missed: number;
  nme: number;
  nmeBox: number;
  /** Mean NME (eye) by |yaw| bucket: [0, 30), [30, 60), [60, 90]. */
  byYaw: { bucket: string; faces: number; nme: number; nmeBox: number }[];
  /**
   * The field's protocol: NME68 per |yaw| bucket and the mean of the three bucket means (NaN
   * when a bucket is empty); null when the method predicts fewer than 68 points.
   */
  nme68: {
    faces: number;
    byYaw: { bucket: string; faces: number; nme: number }[];
    meanOfBuckets: number;
  } | null;
  /** Mean absolute pose error in degrees (`Pose_Para` convention); null without ground truth. */
  poseMae: { faces: number; yaw: number; pitch: number; roll: number; mean: number } | null;
  secondsPerFace: number;
}

export interface EvalSummary {
  labels: string;
  /** The face square: the detector's, or 3DDFA's from the ground-truth landmarks. */
  crop: 'detector' | 'labels';
  model: string;
  /** The ibug points (1-based) every method is scored on. */
  points: number[];
  images: number;
  labelledFaces: number;
  matchedFaces: number;
  missed: { image: string; label: string }[];
  /** Inputs without a label, and labelled photos that were not among the inputs. */
  unlabelledImages: string[];
  labelledImagesNotGiven: string[];
  failed: { image: string; error: string }[];
  methods: Partial<Record<EvalMethod, MethodSummary>>;
  faces: FaceResult[];
}

/** Host projection of the model's landmarks for θ (photo pixels) → `[L, 2]`. */
export function modelLandmarks(grid: GridModel, theta: ArrayLike<number>): Float64Array {
  const X = morphRows(grid.landmarkMean, grid.landmarkBasis, theta, {
    offset: 6,
    modes: grid.numModes,
  });
  return projectScaledOrthographic(
    X,
    [theta[0], theta[1], theta[2]],
    [theta[3], theta[4]],
    theta[5],
  );
}

const BUCKETS: [string, number, number][] = [
  ['0-30', 0, 30],
  ['30-60', 30, 60],
  ['60-90', 60, 90.0001],
];

function mean(a: number[]): number {
  return a.length ? a.reduce((s, x) => s + x, 0) / a.length : Number.NaN;
}

function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

const DEG = 180 / Math.PI;

export function summarise(faces: FaceResult[], method: EvalMethod): MethodSummary {
  const scored = faces.filter((f) => f.methods[method]);
  const get = (f: FaceResult) => f.methods[method] as MethodFace;
  const with68 = scored.filter((f) => get(f).nme68 !== null && f.yaw !== null);
  const inBucket = (f: FaceResult, lo: number, hi: number) =>
    f.yaw !== null && f.yaw >= lo && (f.yaw < hi || hi === BUCKETS[2][2]);
  const nme68Buckets = BUCKETS.map(([bucket, lo, hi]) => {
    const inB = with68.filter((f) => inBucket(f, lo, hi));
    return { bucket, faces: inB.length, nme: mean(inB.map((f) => get(f).nme68 as number)) };
  });
  const posed = scored.filter((f) => get(f).poseError);
  const err = (k: 'yaw' | 'pitch' | 'roll') =>
    mean(posed.map((f) => (get(f).poseError as Record<typeof k, number>)[k]));
  return {
    faces: scored.length,
    missed: faces.length - scored.length,
    nme: mean(scored.map((f) => get(f).nme)),
    nmeBox: mean(scored.map((f) => get(f).nmeBox)),
    byYaw: BUCKETS.map(([bucket, lo, hi]) => {
      const inB = scored.filter((f) => f.yaw !== null && f.yaw >= lo && f.yaw < hi);
      return {
        bucket,
        faces: inB.length,
        nme: mean(inB.map((f) => get(f).nme)),
        nmeBox: mean(inB.map((f) => get(f).nmeBox)),
      };
    }),
    nme68:
      with68.length > 0
        ? {
            faces: with68.length,
            byYaw: nme68Buckets,
            meanOfBuckets: mean(nme68Buckets.map((b) => b.nme)),
          }
        : null,
    poseMae:
      posed.length > 0
        ? {
            faces: posed.length,
            yaw: err('yaw'),
            pitch: err('pitch'),
            roll: err('roll'),
            mean: (err('yaw') + err('pitch') + err('roll')) / 3,
          }
        : null,
    secondsPerFace: mean(scored.map((f) => get(f).seconds)),
  };
}

/** Evaluate `methods` on every labelled face of `images`. */
export async function evaluateImages(
  images: string[],
  labels: LabelSet,
  labelsName: string,
  detector: LandmarkDetector,
  g: FitStn,
  options: EvalOptions,
): Promise<EvalSummary> {
  const grid = g.grid;
  const ids = Array.from(grid.landmarkIds);
  const crop = options.crop ?? 'detector';
  const summary: EvalSummary = {
    labels: labelsName,
    crop,
    model: grid.metadata.name,
    points: ids,
    images: images.length,
    labelledFaces: 0,
    matchedFaces: 0,
    missed: [],
    unlabelledImages: [],
    labelledImagesNotGiven: [],
    failed: [],
    methods: {},
    faces: [],
  };
  const given = new Set(images.map((i) => resolve(i)));
  if (labels.kind === 'dlib-xml')
    for (const p of labels.byPath.keys()) if (!given.has(p)) summary.labelledImagesNotGiven.push(p);
  for (let n = 0; n < images.length; n++) {
    const image = images[n];
    const labelled = labelsOf(labels, image);
    if (!labelled) {
      summary.unlabelledImages.push(image);
      options.onImage?.(n + 1, images.length, image);
      continue;
    }
    summary.labelledFaces += labelled.length;
    let pushed = false;
    const missedBefore = summary.missed.length;
    try {
      const photo = await readRgb(image);
      const { detected, match, detectSeconds } = await detectLabelled(
        photo,
        labelled,
        detector,
        crop,
        options,
      );
      const faces: DetectedFace[] = [];
      const rows: FaceResult[] = labelled.map((l, i) => {
        const j = match[i];
        if (j >= 0) faces.push(detected[j]);
        else summary.missed.push({ image, label: l.source });
        return { ...unscoredRow(image, l), matched: j >= 0 };
      });
      const matchedRows = rows.filter((r) => r.matched);
      matchedRows.forEach((r, k) => {
        const l = labelled[rows.indexOf(r)];
        r.iou = iou(landmarkBox(l.landmarks), landmarkBox(faces[k].landmarks));
      });
      summary.matchedFaces += faces.length;
      const score = (
        r: FaceResult,
        method: EvalMethod,
        pred: ArrayLike<number>,
        pred68: ArrayLike<number> | null,
        seconds: number,
        pose?: FitPose,
      ) => {
        r.methods[method] = scoreFace(
          r,
          labelled[rows.indexOf(r)].landmarks,
          ids,
          pred,
          pred68,
          seconds,
          pose,
        );
      };
      if (faces.length > 0) {
        for (const method of options.methods) {
          if (method === 'detector') {
            matchedRows.forEach((r, k) => {
              const p = new Float64Array(2 * ids.length);
              ids.forEach((id, q) => {
                p[2 * q] = faces[k].landmarks[2 * (id - 1)];
                p[2 * q + 1] = faces[k].landmarks[2 * (id - 1) + 1];
              });
              // face-api finds boxes and landmarks in one call: its time is the detection's.
              score(r, method, p, faces[k].landmarks, detectSeconds / Math.max(1, detected.length));
            });
            continue;
          }
          if ((method === 'localiser' || method === 'localiser+refine') && !options.localiser)
            throw new Error(`method ${method} needs a localiser`);
          const t1 = performance.now();
          const { thetas } = thetaForFaces(photo, faces, g, {
            steps: options.steps,
            localiser: method === 'fit' ? undefined : options.localiser,
            refine: method === 'localiser+refine' ? (options.refine ?? 20) : 0,
            contour: options.contour,
            expressionSparsity: options.expressionSparsity,
          });
          const seconds = (performance.now() - t1) / 1000 / faces.length;
          matchedRows.forEach((r, k) => {
            const theta = thetas[k].theta;
            const { pred, pred68 } = predictedLandmarks(
              grid,
              theta,
              faces[k].landmarks,
              labels.kind !== 'aflw-mat' && options.contour === true,
            );
            const pose = fitPose(theta);
            score(r, method, pred, pred68, seconds, pose);
            // Without a ground-truth pose, the fit's (else the localiser's) yaw buckets the face.
            if (
              r.yawFrom !== 'labels' &&
              (method === 'fit' || (r.yaw === null && method === 'localiser'))
            ) {
              r.yaw = Math.abs(pose.yaw);
              r.yawFrom = method;
            }
          });
        }
      }
      summary.faces.push(...rows);
      pushed = true;
    } catch (e) {
      summary.failed.push({ image, error: (e as Error).message });
      // Its faces stay in the count, as missed by every method.
      summary.missed.length = missedBefore;
      if (!pushed)
        for (const l of labelled) {
          summary.missed.push({ image, label: l.source });
          summary.faces.push(unscoredRow(image, l));
        }
    }
    options.onImage?.(n + 1, images.length, image);
  }
  for (const m of options.methods) summary.methods[m] = summarise(summary.faces, m);
  return summary;
}

type Labelled = NonNullable<ReturnType<typeof labelsOf>>[number];

/**
 * Stage 1 of an image: its faces and which label each matches (index into `detected`, −1 =
 * missed). `crop: 'labels'` (3DDFA's protocol): the square from the ground truth, face-api's
 * landmarks inside it; else the detector, matched to the labels by landmark-box IoU.
 */
async function detectLabelled(
  photo: RgbImage,
  labelled: Labelled[],
  detector: LandmarkDetector,
  crop: 'detector' | 'labels',
  options: Pick<EvalOptions, 'minConfidence' | 'minIou'>,
): Promise<{ detected: DetectedFace[]; match: number[]; detectSeconds: number }> {
  const t0 = performance.now();
  let detected: DetectedFace[];
  let match: number[];
  if (crop === 'labels') {
    detected = [];
    for (const l of labelled)
      detected.push(await detector.landmarksInBox(photo, roiBoxFromLandmarks(l.landmarks)));
    match = labelled.map((_, i) => i);
  } else {
    const det = await detector.detect(photo, { minConfidence: options.minConfidence });
    detected = det.faces;
    match = matchFaces(
      labelled.map((l) => landmarkBox(l.landmarks)),
      det.faces.map((f) => landmarkBox(f.landmarks)),
      options.minIou ?? 0.3,
    );
  }
  return { detected, match, detectSeconds: (performance.now() - t0) / 1000 };
}

/** A labelled face's row before any method scored it (unmatched; yaw from the labels' pose). */
function unscoredRow(image: string, l: Labelled): FaceResult {
  const truePose = l.pose
    ? { pitch: l.pose.pitch * DEG, yaw: l.pose.yaw * DEG, roll: l.pose.roll * DEG }
    : null;
  return {
    image,
    label: l.source,
    box: l.box,
    matched: false,
    iou: 0,
    yaw: truePose ? Math.abs(truePose.yaw) : null,
    yawFrom: truePose ? 'labels' : null,
    truePose,
    methods: {},
  };
}

const ALL_68 = Array.from({ length: 68 }, (_, i) => i + 1);

/**
 * One method's score of one face: NME on the model's points `ids` (`pred` `[L, 2]`), on all 68
 * when the method predicts every point (`pred68` `[68, 2]`), and the pose error against the
 * labels' pose.
 */
function scoreFace(
  r: Pick<FaceResult, 'truePose'>,
  truth: Labelled['landmarks'],
  ids: number[],
  pred: ArrayLike<number>,
  pred68: ArrayLike<number> | null,
  seconds: number,
  pose?: FitPose,
): MethodFace {
  const e = landmarkNme(pred, ids, truth);
  const m: MethodFace = {
    nme: e.eye,
    nmeBox: e.box,
    nme68: pred68 ? landmarkNme(pred68, ALL_68, truth).box : null,
    seconds,
  };
  if (pose) {
    m.pose = pose;
    if (r.truePose) {
      const p = pose.posePara;
      m.poseError = {
        yaw: angleDiff(p.yaw * DEG, r.truePose.yaw),
        pitch: angleDiff(p.pitch * DEG, r.truePose.pitch),
        roll: angleDiff(p.roll * DEG, r.truePose.roll),
      };
    }
  }
  return m;
}

/**
 * The model's landmarks of θ in photo pixels: `pred` `[L, 2]` on the grid's points and, for a
 * 68-point model, `pred68` `[68, 2]`. `outline`: 2D annotations (dlib, .pts) put the jaw points
 * on the outline, as the detector does, so the jaw rows are scored on the matched contour
 * candidates; AFLW2000-3D's labels are 3D-consistent: the model's fixed vertices.
 */
function predictedLandmarks(
  grid: GridModel,
  theta: ArrayLike<number>,
  detected: Float32Array,
  outline: boolean,
): { pred: Float64Array; pred68: Float64Array | null } {
  const ids = grid.landmarkIds;
  const fixed = modelLandmarks(grid, theta);
  const pred = outline ? outlineLandmarks(grid, theta, fixed, detected) : fixed;
  let pred68: Float64Array | null = null;
  if (ids.length === 68) {
    pred68 = new Float64Array(136);
    ids.forEach((id, q) => {
      pred68?.set([pred[2 * q], pred[2 * q + 1]], 2 * (id - 1));
    });
  }
  return { pred, pred68 };
}

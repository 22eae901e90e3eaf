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
 */
import { resolve } from 'node:path';
import type { FitStn } from '@3dmm-stn/fit';
import {
  eulerDegreesFromAxisAngle,
  type GridModel,
  projectScaledOrthographic,
} from '@3dmm-stn/morphable-model';
import { landmarkNme } from '@3dmm-stn/datasets';
import { readRgb } from '../image';
import type { DetectedFace, FaceDetector } from '../fit/faces';
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
  minConfidence?: number;
  minIou?: number;
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
  /** |yaw| in degrees of the face as fitted (`fit`, else the localiser; no ground truth pose). */
  yaw: number | null;
  /** Per method: NME (eye), NME (box), seconds per face. */
  methods: Partial<Record<EvalMethod, { nme: number; nmeBox: number; seconds: number }>>;
}

export interface MethodSummary {
  faces: number;
  missed: number;
  nme: number;
  nmeBox: number;
  /** Mean NME (eye) by |yaw| bucket: [0, 30), [30, 60), [60, 90]. */
  byYaw: { bucket: string; faces: number; nme: number; nmeBox: number }[];
  secondsPerFace: number;
}

export interface EvalSummary {
  labels: string;
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
  const L = grid.landmarkIds.length;
  const X = Float64Array.from(grid.landmarkMean);
  const D = grid.numModes;
  for (let d = 0; d < D; d++) {
    const a = theta[6 + d];
    if (a === 0) continue;
    const off = d * L * 3;
    for (let k = 0; k < 3 * L; k++) X[k] += a * grid.landmarkBasis[off + k];
  }
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

export function summarise(faces: FaceResult[], method: EvalMethod): MethodSummary {
  const scored = faces.filter((f) => f.methods[method]);
  const get = (f: FaceResult) =>
    f.methods[method] as { nme: number; nmeBox: number; seconds: number };
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
    secondsPerFace: mean(scored.map((f) => get(f).seconds)),
  };
}

/** Evaluate `methods` on every labelled face of `images`. */
export async function evaluateImages(
  images: string[],
  labels: LabelSet,
  labelsName: string,
  detector: FaceDetector,
  g: FitStn,
  options: EvalOptions,
): Promise<EvalSummary> {
  const grid = g.grid;
  const ids = Array.from(grid.landmarkIds);
  const summary: EvalSummary = {
    labels: labelsName,
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
      const t0 = performance.now();
      const det = await detector.detect(photo, { minConfidence: options.minConfidence });
      const detectSeconds = (performance.now() - t0) / 1000;
      const match = matchFaces(
        labelled.map((l) => landmarkBox(l.landmarks)),
        det.faces.map((f) => landmarkBox(f.landmarks)),
        options.minIou ?? 0.3,
      );
      const faces: DetectedFace[] = [];
      const rows: FaceResult[] = labelled.map((l, i) => {
        const j = match[i];
        if (j >= 0) faces.push(det.faces[j]);
        else summary.missed.push({ image, label: l.source });
        return {
          image,
          label: l.source,
          box: l.box,
          matched: j >= 0,
          iou: 0,
          yaw: null,
          methods: {},
        };
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
        seconds: number,
      ) => {
        const l = labelled[rows.indexOf(r)];
        const e = landmarkNme(pred, ids, l.landmarks);
        r.methods[method] = { nme: e.eye, nmeBox: e.box, seconds };
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
              score(r, method, p, detectSeconds / Math.max(1, det.faces.length));
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
          });
          const seconds = (performance.now() - t1) / 1000 / faces.length;
          matchedRows.forEach((r, k) => {
            const theta = thetas[k].theta;
            score(r, method, modelLandmarks(grid, theta), seconds);
            if (method === 'fit' || (r.yaw === null && method === 'localiser'))
              r.yaw = Math.abs(eulerDegreesFromAxisAngle(theta.slice(0, 3)).yaw);
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
          summary.faces.push({
            image,
            label: l.source,
            box: l.box,
            matched: false,
            iou: 0,
            yaw: null,
            methods: {},
          });
        }
    }
    options.onImage?.(n + 1, images.length, image);
  }
  for (const m of options.methods) summary.methods[m] = summarise(summary.faces, m);
  return summary;
}

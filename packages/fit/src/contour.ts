/**
 * Contour-aware landmark correspondences (eos's `fit_shape_and_pose` contour step).
 *
 * A 2D detector puts the jaw points ibug 1–17 on the visible outline of the face. At large yaw
 * the outline of the side turned away is not the model's fixed jaw vertices but the silhouette,
 * so tying those points to fixed vertices pulls the fit towards a half-turned face. Instead, at
 * every iteration each jaw point of the side turned away from the camera is matched to the
 * candidate of its side (the model's jawline candidates, `GridModel.contour`) whose projection
 * under the current θ is nearest, and down-weighted by cos(yaw), the fraction of that side still
 * facing the camera. The side facing the camera shows its jawline: its points keep their own
 * vertices, as does the chin (ibug 9), and below `CONTOUR_MIN_YAW` every point does.
 *
 * **Convention:** ibug 1–8 lie on the subject's right jaw (image left in a frontal photo),
 * 10–17 on the left; `GridModel.contour.vertices` lists the right candidates first (`numRight`).
 * Yaw > 0 turns the nose to image right, hiding the subject's left side.
 */
import {
  type GridModel,
  headPoseFromAxisAngle,
  morphRows,
  projectScaledOrthographic,
} from '@3dmm-stn/morphable-model';

/**
 * Below this |yaw| (degrees) every jaw point keeps its own vertex: a near-frontal outline is the
 * jawline on both sides, and letting the points slide along it only loosened the fit (43 dlib
 * faces: NME 7.87 % matching both sides always, 7.81 % the hidden side only, 7.70 % from 15°,
 * 7.67 % never).
 */
export const CONTOUR_MIN_YAW = 15;

/** What the contour step reads of a GridModel. */
export type ContourModel = Pick<GridModel, 'numModes' | 'landmarkIds' | 'contour'>;

/** Per contour landmark row: its side and its index among the landmark rows. */
export interface ContourRows {
  /** Landmark rows (indices into `landmarkIds`) of ibug 1–8 and 10–17. */
  rows: number[];
  /** Per row: true for the subject's right side (ibug 1–8). */
  right: boolean[];
}

/** The landmark rows of the contour points, or undefined when the model has no candidates. */
export function contourRows(grid: ContourModel): ContourRows | undefined {
  if (!grid.contour || grid.contour.numRight === 0) return undefined;
  const rows: number[] = [];
  const right: boolean[] = [];
  grid.landmarkIds.forEach((id, l) => {
    if (id >= 1 && id <= 17 && id !== 9) {
      rows.push(l);
      right.push(id <= 8);
    }
  });
  return rows.length > 0 ? { rows, right } : undefined;
}

/** The chosen candidates of one face: per contour row, a candidate index and a weight. */
export interface ContourChoice {
  /** [Lc] index into `grid.contour.vertices` per contour row; -1: the row keeps its own vertex. */
  candidate: Int32Array;
  /** [Lc] weight per contour row (1 on the side facing the camera, cos(yaw) on the other). */
  weight: Float64Array;
}

/**
 * [C, 2] projections of the contour candidates for θ = (r, t, log s, α) (pixels of θ's frame).
 */
export function projectCandidates(grid: ContourModel, theta: ArrayLike<number>): Float64Array {
  const c = grid.contour!;
  const C = c.vertices.length;
  const X = morphRows(c.mean.subarray(0, 3 * C), c.basis, theta, {
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

/**
 * For each contour row of one face, the candidate of its side nearest the detected point under
 * θ, and the row's weight.
 *
 * @param target [L, 2] detected landmarks in θ's pixels, in the order of `landmarkIds`.
 */
export function chooseContour(
  grid: ContourModel,
  rows: ContourRows,
  theta: ArrayLike<number>,
  target: ArrayLike<number>,
): ContourChoice {
  const c = grid.contour!;
  const q = projectCandidates(grid, theta);
  const C = c.vertices.length;
  const yaw = headPoseFromAxisAngle([theta[0], theta[1], theta[2]]).yaw;
  // The side turned away: the subject's left for yaw > 0.
  const hiddenRight = yaw < 0;
  const away = Math.max(0, Math.cos((yaw * Math.PI) / 180));
  const n = rows.rows.length;
  const candidate = new Int32Array(n);
  const weight = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const l = rows.rows[k];
    const [px, py] = [target[2 * l], target[2 * l + 1]];
    const hidden = rows.right[k] === hiddenRight;
    weight[k] = hidden ? away : 1;
    // The side facing the camera shows its jawline: its points keep their own vertex
    // (`fixedCandidate`); the side turned away shows the silhouette: the nearest candidate.
    if (!hidden || Math.abs(yaw) < CONTOUR_MIN_YAW) {
      candidate[k] = -1;
      continue;
    }
    const [from, to] = rows.right[k] ? [0, c.numRight] : [c.numRight, C];
    let best = from;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = from; j < to; j++) {
      const d = (q[2 * j] - px) ** 2 + (q[2 * j + 1] - py) ** 2;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    candidate[k] = best;
  }
  return { candidate, weight };
}

/**
 * The fitted landmarks in a 2D detector's convention: [L, 2] `fixed` (the model's landmark
 * vertices projected under θ, in the order of `landmarkIds`) with the jaw rows replaced by the
 * projection of the contour candidate each detected point is matched to — where a detector (or
 * a 2D annotation such as dlib's or 300-W's) puts the outline. AFLW2000-3D's labels are
 * 3D-consistent instead (an occluded jaw point lies where its vertex projects): score those on
 * `fixed`.
 *
 * @param detected68 [68, 2] detected landmarks in θ's pixels (ibug order).
 */
export function outlineLandmarks(
  grid: ContourModel,
  theta: ArrayLike<number>,
  fixed: ArrayLike<number>,
  detected68: ArrayLike<number>,
): Float64Array {
  const out = Float64Array.from(fixed);
  const rows = contourRows(grid);
  if (!rows) return out;
  const target = new Float64Array(2 * grid.landmarkIds.length);
  grid.landmarkIds.forEach((id, l) => {
    target[2 * l] = detected68[2 * (id - 1)];
    target[2 * l + 1] = detected68[2 * (id - 1) + 1];
  });
  const choice = chooseContour(grid, rows, theta, target);
  const q = projectCandidates(grid, theta);
  rows.rows.forEach((l, k) => {
    if (choice.candidate[k] < 0) return;
    out[2 * l] = q[2 * choice.candidate[k]];
    out[2 * l + 1] = q[2 * choice.candidate[k] + 1];
  });
  return out;
}

// The fit on the default model (the ICT Face Model): blendshape weights kept in [0, 1], known
// ICT coefficients recovered, and contour-aware jaw points at large yaw.
import { selectBackend } from '@3dmm-stn/backend/node';
import {
  axisAngleFromRotation,
  defaultModel,
  headPoseFromAxisAngle,
  matrixFromEuler,
  projectScaledOrthographic,
  symmetricGrid,
} from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boxedSolve } from '../src/closed_form';
import {
  chooseContour,
  contourRows,
  FitStn,
  fitLandmarks,
  optimiseTheta,
  outlineLandmarks,
  thetaForFaces,
} from '../src/index';

const model = defaultModel();
const EXPRESSIONS = [
  'jawOpen',
  'mouthSmile_L',
  'mouthSmile_R',
  'mouthPucker',
  'browInnerUp_L',
  'browInnerUp_R',
];
const { grid } = symmetricGrid(model, 40, { shapeModes: 10, expressionModes: EXPRESSIONS });
const D = grid.numModes;
const L = grid.landmarkIds.length;
let stn: FitStn;

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  stn = new FitStn(grid);
});
afterAll(() => stn.dispose());

const DEG = 180 / Math.PI;

/** [68, 2] projections of the model's landmark vertices for θ (float64, independent of tfjs). */
function landmarks68(theta: number[]): Float64Array {
  const X = Float64Array.from(grid.landmarkMean);
  for (let d = 0; d < D; d++)
    for (let k = 0; k < 3 * L; k++) X[k] += theta[6 + d] * grid.landmarkBasis[d * 3 * L + k];
  const p = projectScaledOrthographic(X, theta.slice(0, 3), theta.slice(3, 5), theta[5]);
  const out = new Float64Array(136);
  grid.landmarkIds.forEach((id, l) => {
    out.set([p[2 * l], p[2 * l + 1]], 2 * (id - 1));
  });
  return out;
}

function thetaOf(yaw: number, pitch: number, roll: number, alpha: number[]): number[] {
  const r = axisAngleFromRotation(matrixFromEuler(yaw / DEG, pitch / DEG, roll / DEG));
  // ≈ 1 px/mm: the face of the fit's 224-px crop
  return [...r, 112, 118, Math.log(0.9), ...alpha];
}

describe('expression weights on the ICT model', () => {
  it('the grid names its expressions and bounds them to [0, 1]', () => {
    expect(grid.expressionNames).toEqual(EXPRESSIONS);
    expect(grid.expressionRange).toEqual([0, 1]);
  });

  it('recovers known ICT coefficients: pose within 1°, expression weights within 0.05', () => {
    // jaw and mouth blendshapes (4–17 mm at the landmarks): what 68 points can see
    const identity = [0.8, -0.6, 0.4, 0.3, -0.5, 0.2, 0, 0.1, -0.2, 0.3];
    const weights = [0.5, 0.6, 0.55, 0, 0, 0];
    const truth = thetaOf(20, -8, 5, [...identity, ...weights]);
    // No sparsity prior: with model-consistent landmarks the unbiased weights come back; the
    // default η (for real detectors' points) shrinks a 0.6 smile by ~0.15 (README).
    const fit = fitLandmarks(stn, landmarks68(truth), {
      steps: 80,
      contour: false,
      expressionSparsity: 0,
    });
    const theta = Array.from(fit.theta[0]);
    const got = headPoseFromAxisAngle(theta.slice(0, 3));
    const want = headPoseFromAxisAngle(truth.slice(0, 3));
    expect(Math.abs(got.yaw - want.yaw)).toBeLessThan(1);
    expect(Math.abs(got.pitch - want.pitch)).toBeLessThan(1);
    expect(Math.abs(got.roll - want.roll)).toBeLessThan(1);
    for (let k = 0; k < weights.length; k++) {
      expect(
        Math.abs(theta[6 + 10 + k] - weights[k]),
        `${EXPRESSIONS[k]} ${theta.slice(16).map((v) => v.toFixed(3))}`,
      ).toBeLessThan(0.05);
    }
  });

  it('the sparsity term keeps a neutral face neutral (no opposing blendshapes switched on)', () => {
    // a neutral face of another identity, landmarks with ±1 px noise: every weight stays ~0
    let seed = 5;
    const noise = () => {
      seed = (seed * 16807) % 2147483647;
      return 2 * (seed / 2147483647) - 1;
    };
    const truth = thetaOf(
      10,
      4,
      -3,
      [1.2, -0.8, 0.6, -0.5, 0.4, 0.9, -0.3, 0.2, 0.5, -0.6, 0, 0, 0, 0, 0, 0],
    );
    const p = landmarks68(truth).map((v) => v + noise());
    const sparse = Array.from(fitLandmarks(stn, p, { steps: 30, contour: false }).theta[0]);
    const dense = Array.from(
      fitLandmarks(stn, p, {
        steps: 30,
        contour: false,
        expressionSparsity: 0,
        expressionPrior: 0.3,
      }).theta[0],
    );
    const sum = (t: number[]) => t.slice(16).reduce((a, b) => a + b, 0);
    expect(Math.max(...sparse.slice(16))).toBeLessThan(0.05);
    expect(sum(sparse)).toBeLessThan(sum(dense));
  });

  it('never leaves [0, 1], even when the landmarks ask for more (closed form and Adam)', () => {
    // jawOpen −0.6 (the mouth closed past neutral) and mouthSmile 1.5: outside the range.
    const truth = thetaOf(0, 0, 0, [...new Array(10).fill(0), -0.6, 1.5, 1.5, 0, 0, 0]);
    for (const steps of [0, 30]) {
      const fit = fitLandmarks(stn, landmarks68(truth), { steps, contour: false });
      const e = Array.from(fit.theta[0].slice(16));
      for (const w of e) {
        expect(w).toBeGreaterThanOrEqual(0);
        expect(w).toBeLessThanOrEqual(1);
      }
      expect(e[0]).toBeLessThan(0.02); // jawOpen at its bound
      expect(e[1]).toBeGreaterThan(0.98); // mouthSmile at its bound
    }
  });

  it("projects a localiser's blendshape weights into [0, 1] (a linear θ head can leave it)", () => {
    const theta = [
      0,
      0,
      0,
      32,
      32,
      Math.log(0.2),
      ...new Array(10).fill(0.3),
      -0.5,
      1.7,
      0.4,
      0,
      2,
      -3,
    ];
    const localiser = {
      model: {
        predict: (x: tf.Tensor) => tf.tensor2d([theta], [x.shape[0] as number, theta.length]),
      },
      inputSize: 64,
      crop: 'box' as const,
      margin: 0.2,
    };
    const photo = {
      data: new Uint8Array(64 * 64 * 3).fill(90),
      width: 64,
      height: 64,
      channels: 3,
    };
    const face = {
      box: [8, 8, 48, 48] as [number, number, number, number],
      score: 0.9,
      detector: 'ssd' as const,
      padded: false,
      landmarks: new Float32Array(136).fill(32),
    };
    const { thetas } = thetaForFaces(photo, [face], stn, { localiser });
    const e = thetas[0].thetaCrop.slice(16);
    [0, 1, 0.4, 0, 1, 0].forEach((w, k) => {
      expect(e[k]).toBeCloseTo(w, 6);
    });
    // identity modes are PCA coefficients: untouched
    expect(thetas[0].thetaCrop[6]).toBeCloseTo(0.3, 6);
  });

  it('boxedSolve satisfies the KKT conditions of the box-constrained quadratic (active set alone)', () => {
    for (const [n, first, seed0] of [
      [6, 2, 7],
      [20, 5, 11],
      [40, 10, 19],
    ]) {
      let seed = seed0;
      const rnd = () => {
        seed = (seed * 16807) % 2147483647;
        return seed / 2147483647 - 0.5;
      };
      const A = Array.from({ length: n * n }, rnd);
      const N = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let s = i === j ? 0.5 : 0;
          for (let k = 0; k < n; k++) s += A[k * n + i] * A[k * n + j];
          N[i * n + j] = s;
        }
      const rhs = Float64Array.from({ length: n }, () => 3 * rnd());
      const x = new Float64Array(n);
      // no Gauss–Seidel fallback: the active set must settle on its own
      boxedSolve(N, rhs, n, first, [0, 1], x, 0);
      let atBound = 0;
      for (let i = 0; i < n; i++) {
        let g = -rhs[i];
        for (let j = 0; j < n; j++) g += N[i * n + j] * x[j];
        if (i < first || (x[i] > 1e-9 && x[i] < 1 - 1e-9)) expect(Math.abs(g)).toBeLessThan(1e-6);
        else if (x[i] <= 1e-9) expect(g).toBeGreaterThan(-1e-6);
        else expect(g).toBeLessThan(1e-6);
        if (i >= first) {
          expect(x[i]).toBeGreaterThanOrEqual(0);
          expect(x[i]).toBeLessThanOrEqual(1);
          if (x[i] <= 1e-9 || x[i] >= 1 - 1e-9) atBound++;
        }
      }
      expect(atBound).toBeGreaterThan(0); // the box is active in these problems
    }
  });

  it('leaks no tensors', () => {
    const truth = thetaOf(10, 0, 0, new Array(D).fill(0.1));
    const target = new Float32Array(2 * L);
    const p = landmarks68(truth);
    grid.landmarkIds.forEach((id, l) => {
      target.set([p[2 * (id - 1)], p[2 * (id - 1) + 1]], 2 * l);
    });
    const conf = new Float32Array(L).fill(1);
    optimiseTheta(stn, target, conf, undefined, { steps: 2 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) optimiseTheta(stn, target, conf, undefined, { steps: 3 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('contour-aware jaw points', () => {
  /**
   * A detector's view of a face at yaw ψ: inner points and the visible side's jaw on their
   * vertices, the hidden side's jaw points on the silhouette — the candidate of that side that
   * projects furthest out at each point's height (what a 2D detector outlines).
   */
  function detectorView(truth: number[]): Float64Array {
    const p = landmarks68(truth);
    const rows = contourRows(grid)!;
    const choice = chooseContour(grid, rows, truth, landmarkRows(p));
    // chooseContour tells which side is hidden (candidate ≥ 0); replace those by the outline.
    const q = projectCandidatesOf(truth);
    const c = grid.contour!;
    rows.rows.forEach((l, k) => {
      if (choice.candidate[k] < 0) return;
      const id = grid.landmarkIds[l];
      const [from, to] = rows.right[k] ? [0, c.numRight] : [c.numRight, c.vertices.length];
      const y = p[2 * (id - 1) + 1];
      // the outermost candidate near this height (the silhouette is the extreme in x)
      let best = -1;
      let bestX = rows.right[k] ? Infinity : -Infinity;
      for (let j = from; j < to; j++) {
        if (Math.abs(q[2 * j + 1] - y) > 12) continue;
        const x = q[2 * j];
        if (rows.right[k] ? x < bestX : x > bestX) {
          bestX = x;
          best = j;
        }
      }
      if (best >= 0) p.set([q[2 * best], q[2 * best + 1]], 2 * (id - 1));
    });
    return p;
  }
  const landmarkRows = (p68: Float64Array) => {
    const t = new Float64Array(2 * L);
    grid.landmarkIds.forEach((id, l) => {
      t.set([p68[2 * (id - 1)], p68[2 * (id - 1) + 1]], 2 * l);
    });
    return t;
  };
  const projectCandidatesOf = (theta: number[]) => {
    const c = grid.contour!;
    const C = c.vertices.length;
    const X = Float64Array.from(c.mean);
    for (let d = 0; d < D; d++)
      for (let i = 0; i < 3 * C; i++) X[i] += theta[6 + d] * c.basis[d * 3 * C + i];
    return projectScaledOrthographic(X, theta.slice(0, 3), theta.slice(3, 5), theta[5]);
  };

  it('60–90° yaw: a silhouette outline pulls a fixed-vertex fit towards frontal; contour fitting halves the yaw error', () => {
    const errors = { on: [] as number[], off: [] as number[] };
    for (const yaw of [60, -65, 70, -75, 80, -85]) {
      const truth = thetaOf(yaw, 5, 0, [0.5, -0.4, 0.3, 0, 0, 0, 0, 0, 0, 0, 0.2, 0, 0, 0, 0, 0]);
      const seen = detectorView(truth);
      for (const contour of [true, false]) {
        const fit = fitLandmarks(stn, seen, { steps: 30, contour });
        const got = headPoseFromAxisAngle(Array.from(fit.theta[0]).slice(0, 3)).yaw;
        errors[contour ? 'on' : 'off'].push(Math.abs(got - yaw));
      }
    }
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    console.log(
      `yaw MAE 60–90°: contour on ${mean(errors.on).toFixed(2)}°, off ${mean(errors.off).toFixed(2)}°`,
    );
    expect(mean(errors.on)).toBeLessThanOrEqual(0.5 * mean(errors.off));
    expect(mean(errors.on)).toBeLessThan(3);
  });

  it('outlineLandmarks puts the hidden jaw rows on their matched candidates, the rest unchanged', () => {
    const truth = thetaOf(50, 0, 0, new Array(D).fill(0));
    const p = landmarks68(truth);
    const fixed = landmarkRows(p);
    const out = outlineLandmarks(grid, truth, fixed, p);
    const rows = contourRows(grid)!;
    let moved = 0;
    for (let l = 0; l < L; l++) {
      const k = rows.rows.indexOf(l);
      if (k < 0) expect([out[2 * l], out[2 * l + 1]]).toEqual([fixed[2 * l], fixed[2 * l + 1]]);
      else if (out[2 * l] !== fixed[2 * l]) moved++;
    }
    // each moved row is the projection of the candidate of its side nearest the detected point
    const q = projectCandidatesOf(truth);
    const c = grid.contour!;
    rows.rows.forEach((l, k) => {
      if (out[2 * l] === fixed[2 * l] && out[2 * l + 1] === fixed[2 * l + 1]) return;
      const d = Math.hypot(out[2 * l] - fixed[2 * l], out[2 * l + 1] - fixed[2 * l + 1]);
      const [from, to] = rows.right[k] ? [0, c.numRight] : [c.numRight, c.vertices.length];
      for (let j = from; j < to; j++)
        expect(
          Math.hypot(q[2 * j] - fixed[2 * l], q[2 * j + 1] - fixed[2 * l + 1]),
        ).toBeGreaterThanOrEqual(d - 1e-9);
    });
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual(8);
  });
});

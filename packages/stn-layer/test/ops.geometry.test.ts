import * as tf from '@tensorflow/tfjs';
import {
  projectScaledOrthographic,
  rotationFromAxisAngle,
  ShapeError,
} from '@3dmm-stn/morphable-model';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  axisAngleToRotation as axisAngleToRotationOp,
  morphShape,
  projectVertices as projectVerticesOp,
  rotateVertices as rotateVerticesOp,
  splitTheta,
} from '../src/index';
import { axisAngleToRotationComposed } from '../src/ops/axis_angle_to_rotation';
import { rotateVerticesComposed } from '../src/ops/rotate_vertices';
import { projectVerticesComposed } from '../src/ops/project_vertices';
import { checkGradient, f32, maxAbsDiff, seededRandom, uniform } from './ops-gradcheck';
import {
  axisAngleToRotation64,
  dot64,
  morphShape64,
  projectVertices64,
  rotation64,
} from './ops-reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Axis-angle vectors of the given norms along seeded random directions. */
function axisAngles(norms: number[], seed: number): Float64Array {
  const rand = seededRandom(seed);
  const r = new Float64Array(3 * norms.length);
  norms.forEach((n, b) => {
    const d = uniform(rand, 3);
    const len = Math.hypot(d[0], d[1], d[2]);
    for (let c = 0; c < 3; c++) r[3 * b + c] = (n * d[c]) / len;
  });
  return r;
}

/** Each op's cpu/wasm kernel (what it runs here, on cpu) and its composed fallback. */
const ROTATIONS = { kernel: axisAngleToRotationOp, composed: axisAngleToRotationComposed };
const ROTATE = { kernel: rotateVerticesOp, composed: rotateVerticesComposed };

for (const [implName, axisAngleToRotation] of Object.entries(ROTATIONS))
  describe(`axisAngleToRotation (${implName})`, () => {
    const norms = [0, 1e-8, 1e-4, 5e-3, 1e-2 - 1e-6, 1e-2 + 1e-6, 0.3, 1, 2, Math.PI - 1e-3];

    it('matches exp([r]×) (power series, float64) at every angle, including 0', () => {
      const r = axisAngles(norms, 1);
      const R = tf.tidy(() =>
        axisAngleToRotation(tf.tensor2d(f32(r), [norms.length, 3])).dataSync(),
      );
      expect(maxAbsDiff(R, axisAngleToRotation64(r, norms.length))).toBeLessThan(1e-6);
    });

    it("equals the project's host implementation (rotationFromAxisAngle) at every angle", () => {
      const r = axisAngles(norms, 11);
      const R = tf.tidy(() =>
        axisAngleToRotation(tf.tensor2d(f32(r), [norms.length, 3])).dataSync(),
      );
      const host = new Float64Array(9 * norms.length);
      norms.forEach((_, b) => {
        host.set(rotationFromAxisAngle(r.subarray(3 * b, 3 * b + 3)), 9 * b);
      });
      expect(maxAbsDiff(R, host)).toBeLessThan(1e-6);
    });

    it('is orthonormal with det = 1', () => {
      const r = axisAngles(norms, 2);
      const R = tf.tidy(() =>
        axisAngleToRotation(tf.tensor2d(f32(r), [norms.length, 3])).arraySync(),
      );
      for (const m of R) {
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            const dot = m[i][0] * m[j][0] + m[i][1] * m[j][1] + m[i][2] * m[j][2];
            expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-6);
          }
        const det =
          m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
          m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
          m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        expect(Math.abs(det - 1)).toBeLessThan(1e-6);
      }
    });

    it('rotates a vector about its axis by |r| counter-clockwise (right-handed)', () => {
      const R = tf.tidy(() => axisAngleToRotation(tf.tensor2d([[0, 0, Math.PI / 2]])).arraySync());
      // x̂ → ŷ for a quarter turn about +z.
      expect(R[0][0][0]).toBeCloseTo(0, 6);
      expect(R[0][1][0]).toBeCloseTo(1, 6);
    });

    it('has a finite gradient that matches central differences at |r| ∈ {0, 1e-8, 1e-4, 1, π − 1e-3}', () => {
      const r = axisAngles(norms, 3);
      const B = norms.length;
      const w = uniform(seededRandom(4), 9 * B);
      const grad = tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) =>
            tf.sum(tf.mul(axisAngleToRotation(x as tf.Tensor2D), tf.tensor3d(f32(w), [B, 3, 3]))),
          )(tf.tensor2d(f32(r), [B, 3]))
          .dataSync(),
      );
      for (const g of grad) expect(Number.isFinite(g)).toBe(true);
      for (let b = 0; b < B; b++) {
        const wb = w.subarray(9 * b, 9 * b + 9);
        checkGradient(
          `|r| = ${norms[b]}`,
          (x) => dot64(rotation64(x[0], x[1], x[2]), wb),
          r.subarray(3 * b, 3 * b + 3),
          grad.subarray(3 * b, 3 * b + 3),
          { atol: 2e-5, rtol: 1e-4 },
        );
      }
    });

    it('gradient at r = 0 is d R = [dr]× exactly', () => {
      // ∂/∂r Σ W ⊙ R at 0: W₂₁ − W₁₂, W₀₂ − W₂₀, W₁₀ − W₀₁.
      const w = [1, 2, 3, 4, 5, 6, 7, 8, 9];
      const g = tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) =>
            tf.sum(tf.mul(axisAngleToRotation(x as tf.Tensor2D), tf.tensor3d(f32(w), [1, 3, 3]))),
          )(tf.zeros([1, 3]))
          .dataSync(),
      );
      expect(Array.from(g)).toEqual([8 - 6, 3 - 7, 4 - 2]);
    });

    it.runIf(implName === 'kernel')('checks its argument', () => {
      expect(() => axisAngleToRotation(tf.zeros([2, 4]) as tf.Tensor2D)).toThrow(
        new ShapeError('Error in axisAngleToRotation: r must have shape [B,3], but got [2,4].'),
      );
    });
  });

for (const [implName, rotateVertices] of Object.entries(ROTATE))
  describe(`rotateVertices (${implName})`, () => {
    it('applies R to every vertex, and its gradients match central differences', () => {
      const B = 2;
      const N = 4;
      const rand = seededRandom(5);
      const X = uniform(rand, B * N * 3);
      const R = uniform(rand, B * 9);
      const w = uniform(rand, B * N * 3);
      const ref = (x: ArrayLike<number>, m: ArrayLike<number>) => {
        const out = new Float64Array(B * N * 3);
        for (let b = 0; b < B; b++)
          for (let n = 0; n < N; n++)
            for (let i = 0; i < 3; i++)
              for (let k = 0; k < 3; k++)
                out[(b * N + n) * 3 + i] += m[b * 9 + 3 * i + k] * x[(b * N + n) * 3 + k];
        return out;
      };
      const [out, gX, gR] = tf.tidy(() => {
        const f = (x: tf.Tensor, m: tf.Tensor) =>
          tf.sum(
            tf.mul(
              rotateVertices(x as tf.Tensor3D, m as tf.Tensor3D),
              tf.tensor3d(f32(w), [B, N, 3]),
            ),
          );
        const x = tf.tensor3d(f32(X), [B, N, 3]);
        const m = tf.tensor3d(f32(R), [B, 3, 3]);
        const grads = tf.grads(f)([x, m]);
        return [rotateVertices(x, m).dataSync(), grads[0].dataSync(), grads[1].dataSync()];
      });
      expect(maxAbsDiff(out, ref(X, R))).toBeLessThan(1e-6);
      checkGradient('dX', (x) => dot64(ref(x, R), w), X, gX, { atol: 1e-5, rtol: 1e-4 });
      checkGradient('dR', (m) => dot64(ref(X, m), w), R, gR, { atol: 1e-5, rtol: 1e-4 });
    });

    it.runIf(implName === 'kernel')('checks that X and R agree on B', () => {
      expect(() =>
        rotateVertices(tf.zeros([2, 5, 3]) as tf.Tensor3D, tf.zeros([3, 3, 3]) as tf.Tensor3D),
      ).toThrow(
        'Error in rotateVertices: R must have shape [B,3,3], but got [3,3,3] (B = 2 elsewhere).',
      );
    });
  });

describe('morphShape', () => {
  const B = 3;
  const D = 4;
  const N = 5;
  const rand = seededRandom(6);
  const alpha = uniform(rand, B * D);
  const mean = uniform(rand, N * 3, -50, 50);
  const basis = uniform(rand, D * 3 * N, -5, 5);

  it('is mean + alpha · basis (mode-major) and differentiable in alpha, mean and basis', () => {
    const w = uniform(rand, B * N * 3);
    const [out, gA, gM, gB] = tf.tidy(() => {
      const a = tf.tensor2d(f32(alpha), [B, D]);
      const m = tf.tensor2d(f32(mean), [N, 3]);
      const s = tf.tensor2d(f32(basis), [D, 3 * N]);
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(
          tf.mul(
            morphShape(x as tf.Tensor2D, y as tf.Tensor2D, z as tf.Tensor2D),
            tf.tensor3d(f32(w), [B, N, 3]),
          ),
        ),
      )([a, m, s]);
      return [morphShape(a, m, s).dataSync(), ...grads.map((g) => g.dataSync())];
    });
    expect(maxAbsDiff(out, morphShape64(alpha, mean, basis, B, D, N))).toBeLessThan(1e-4);
    const tol = { atol: 1e-4, rtol: 1e-4, h: 1e-4 };
    checkGradient('dalpha', (x) => dot64(morphShape64(x, mean, basis, B, D, N), w), alpha, gA, tol);
    checkGradient('dmean', (x) => dot64(morphShape64(alpha, x, basis, B, D, N), w), mean, gM, tol);
    checkGradient('dbasis', (x) => dot64(morphShape64(alpha, mean, x, B, D, N), w), basis, gB, tol);
  });

  it('with D = 0 returns the mean for every batch element', () => {
    const out = tf.tidy(() =>
      morphShape(
        tf.zeros([2, 0]) as tf.Tensor2D,
        tf.tensor2d(f32(mean), [N, 3]),
        tf.zeros([0, 3 * N]) as tf.Tensor2D,
      ).dataSync(),
    );
    expect(maxAbsDiff(out, [...mean, ...mean])).toBeLessThan(1e-5);
  });

  it('checks that the basis matches mean and alpha', () => {
    expect(() =>
      morphShape(
        tf.zeros([2, 4]) as tf.Tensor2D,
        tf.zeros([5, 3]) as tf.Tensor2D,
        tf.zeros([4, 14]) as tf.Tensor2D,
      ),
    ).toThrow('Error in morphShape: basis must have shape [D,15], but got [4,14].');
  });
});

const PROJECTIONS = { kernel: projectVerticesOp, composed: projectVerticesComposed };

for (const [implName, projectVertices] of Object.entries(PROJECTIONS))
  describe(`projectVertices (${implName})`, () => {
    const B = 6;
    const N = 6;
    const rand = seededRandom(7);
    const X = uniform(rand, B * N * 3, -80, 80);
    const r = axisAngles([0, 1e-8, 1e-4, 0.5, 2.5, Math.PI - 1e-3], 8);
    const t = uniform(rand, B * 2, 50, 150);
    const logS = uniform(rand, B, -1, 0.5);

    it('matches the float64 reference p = s·[x′, −y′] + t', () => {
      const out = tf.tidy(() =>
        projectVertices(
          tf.tensor3d(f32(X), [B, N, 3]),
          tf.tensor2d(f32(r), [B, 3]),
          tf.tensor2d(f32(t), [B, 2]),
          tf.tensor2d(f32(logS), [B, 1]),
        ).dataSync(),
      );
      expect(maxAbsDiff(out, projectVertices64(X, r, t, logS, B, N))).toBeLessThan(1e-4);
    });

    it("equals the project's host camera (projectScaledOrthographic)", () => {
      const out = tf.tidy(() =>
        projectVertices(
          tf.tensor3d(f32(X), [B, N, 3]),
          tf.tensor2d(f32(r), [B, 3]),
          tf.tensor2d(f32(t), [B, 2]),
          tf.tensor2d(f32(logS), [B, 1]),
        ).dataSync(),
      );
      const host = new Float64Array(B * N * 2);
      for (let b = 0; b < B; b++)
        host.set(
          projectScaledOrthographic(
            X.subarray(3 * N * b, 3 * N * (b + 1)),
            r.subarray(3 * b, 3 * b + 3),
            t.subarray(2 * b, 2 * b + 2),
            logS[b],
          ),
          2 * N * b,
        );
      expect(maxAbsDiff(out, host)).toBeLessThan(1e-4);
    });

    it('shows an upright face at r = 0: model +y is image up (smaller pixel y)', () => {
      const p = tf.tidy(() =>
        projectVertices(
          tf.tensor3d([0, 0, 0, 0, 10, 0, 10, 0, 0], [1, 3, 3]),
          tf.zeros([1, 3]) as tf.Tensor2D,
          tf.tensor2d([[100, 100]]),
          tf.tensor2d([[Math.log(2)]]),
        ).arraySync(),
      );
      expect(p[0][0]).toEqual([100, 100]);
      expect(p[0][1][1]).toBeCloseTo(80, 5);
      expect(p[0][2][0]).toBeCloseTo(120, 5);
    });

    it('gradients in X, r, t, log s match central differences', () => {
      const w = uniform(rand, B * N * 2);
      const grads = tf.tidy(() =>
        tf
          .grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
            tf.sum(
              tf.mul(
                projectVertices(
                  a as tf.Tensor3D,
                  b as tf.Tensor2D,
                  c as tf.Tensor2D,
                  d as tf.Tensor2D,
                ),
                tf.tensor3d(f32(w), [B, N, 2]),
              ),
            ),
          )([
            tf.tensor3d(f32(X), [B, N, 3]),
            tf.tensor2d(f32(r), [B, 3]),
            tf.tensor2d(f32(t), [B, 2]),
            tf.tensor2d(f32(logS), [B, 1]),
          ])
          .map((g) => g.dataSync()),
      );
      const f = (
        x: ArrayLike<number>,
        rr: ArrayLike<number>,
        tt: ArrayLike<number>,
        ll: ArrayLike<number>,
      ) => dot64(projectVertices64(x, rr, tt, ll, B, N), w);
      const tol = { atol: 1e-3, rtol: 1e-4, h: 1e-5 };
      checkGradient('dX', (x) => f(x, r, t, logS), X, grads[0], tol);
      checkGradient('dr', (x) => f(X, x, t, logS), r, grads[1], tol);
      checkGradient('dt', (x) => f(X, r, x, logS), t, grads[2], tol);
      checkGradient('dlogS', (x) => f(X, r, t, x), logS, grads[3], tol);
    });

    it.runIf(implName === 'kernel')('checks its arguments', () => {
      expect(() =>
        projectVertices(
          tf.zeros([2, 5, 3]) as tf.Tensor3D,
          tf.zeros([2, 3]) as tf.Tensor2D,
          tf.zeros([2, 3]) as tf.Tensor2D,
          tf.zeros([2, 1]) as tf.Tensor2D,
        ),
      ).toThrow('Error in projectVertices: t must have shape [B,2], but got [2,3].');
    });
  });

describe('splitTheta', () => {
  it('splits [r0 r1 r2, tx ty, log s, α…]', () => {
    const theta = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]]);
    const { r, t, logS, alpha } = splitTheta(theta);
    expect(r.arraySync()).toEqual([[1, 2, 3]]);
    expect(t.arraySync()).toEqual([[4, 5]]);
    expect(logS.arraySync()).toEqual([[6]]);
    expect(alpha.arraySync()).toEqual([[7, 8]]);
    tf.dispose([theta, r, t, logS, alpha]);
  });

  it('allows D = 0 and rejects fewer than 6 columns', () => {
    const { alpha } = splitTheta(tf.zeros([2, 6]) as tf.Tensor2D);
    expect(alpha.shape).toEqual([2, 0]);
    expect(() => splitTheta(tf.zeros([2, 5]) as tf.Tensor2D)).toThrow(
      'Error in splitTheta: theta must have shape [B,6+D], but got [2,5].',
    );
  });
});

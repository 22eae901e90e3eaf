import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@3dmm-stn/morphable-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { affineGrid, gridSample as gridSampleOp } from '../src/index';
import { gridSampleComposed } from '../src/ops/grid_sample_composed';
import { checkGradient, f32, maxAbsDiff, seededRandom, uniform } from './ops-gradcheck';
import { affineGrid64, dot64, gridSample64 } from './ops-reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Padding = 'zeros' | 'border';
const PADDINGS: Padding[] = ['zeros', 'border'];

/** The kernel (what `gridSample` runs on cpu/wasm) and the composed fallback (other backends). */
const IMPLEMENTATIONS = {
  kernel: gridSampleOp,
  composed: (image: tf.Tensor4D, coords: tf.Tensor4D, options: { padding?: Padding } = {}) =>
    gridSampleComposed(image, coords, options.padding ?? 'zeros'),
};

/** Random coordinates in [lo, hi), each at least `gap` away from an integer (off the kinks). */
function offKinkCoords(rand: () => number, n: number, lo: number, hi: number, gap = 0.02) {
  const c = uniform(rand, n, lo, hi);
  for (let i = 0; i < n; i++) {
    const f = c[i] - Math.floor(c[i]);
    if (f < gap) c[i] += gap;
    if (f > 1 - gap) c[i] -= gap;
  }
  return c;
}

/** Forward and both gradients of Σ gridSample(image, coords) ⊙ w. */
function runGridSample(
  gridSample: typeof gridSampleOp,
  image: ArrayLike<number>,
  coords: ArrayLike<number>,
  imageShape: number[],
  coordShape: number[],
  w: ArrayLike<number>,
  padding: Padding,
) {
  return tf.tidy(() => {
    const img = tf.tensor4d(f32(image), imageShape as [number, number, number, number]);
    const xy = tf.tensor4d(f32(coords), coordShape as [number, number, number, number]);
    const weight = tf.tensor(f32(w), [...coordShape.slice(0, 3), imageShape[3]]);
    const [dImage, dCoords] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(gridSample(a as tf.Tensor4D, b as tf.Tensor4D, { padding }), weight)),
    )([img, xy]);
    return {
      out: gridSample(img, xy, { padding }).dataSync(),
      dImage: dImage.dataSync(),
      dCoords: dCoords.dataSync(),
    };
  });
}

for (const [implName, gridSample] of Object.entries(IMPLEMENTATIONS))
  describe(`gridSample (${implName})`, () => {
    const imageShape = [2, 5, 7, 3];
    const [B, H, W, C] = imageShape;
    const coordShape = [B, 4, 6, 2];
    const nOut = B * 4 * 6 * C;

    for (const padding of PADDINGS) {
      it(`matches the float64 reference to 1e-5, in and far outside the image (${padding})`, () => {
        const rand = seededRandom(11);
        const image = uniform(rand, B * H * W * C);
        const coords = uniform(rand, B * 4 * 6 * 2, -2.5, 9.5);
        // Exact pixel centres, edges and far-away points too.
        coords.set(
          [0, 0, W - 1, H - 1, -1, 2, 3, -1, W - 0.5, 1, 1e9, -1e9, Number.MAX_VALUE, 3],
          0,
        );
        const { out } = runGridSample(
          gridSample,
          image,
          coords,
          imageShape,
          coordShape,
          new Float64Array(nOut),
          padding,
        );
        expect(
          maxAbsDiff(out, gridSample64(image, coords, imageShape, coordShape.slice(1), padding)),
        ).toBeLessThan(1e-5);
      });

      it(`both gradients match central differences of the float64 reference (${padding})`, () => {
        const rand = seededRandom(12);
        const image = uniform(rand, B * H * W * C);
        const coords = offKinkCoords(rand, B * 4 * 6 * 2, -1.8, 8.8);
        const w = uniform(rand, nOut);
        const { dImage, dCoords } = runGridSample(
          gridSample,
          image,
          coords,
          imageShape,
          coordShape,
          w,
          padding,
        );
        const ref = (img: ArrayLike<number>, xy: ArrayLike<number>) =>
          dot64(gridSample64(img, xy, imageShape, coordShape.slice(1), padding), w);
        // Piecewise bilinear: central differences within one piece are exact up to rounding.
        const tol = { h: 1e-3, atol: 1e-5, rtol: 1e-4 };
        checkGradient('dImage', (x) => ref(x, coords), image, dImage, tol);
        checkGradient('dCoords', (x) => ref(image, x), coords, dCoords, tol);
        // The coordinate gradient is not trivially zero.
        expect(Math.max(...Array.from(dCoords, Math.abs))).toBeGreaterThan(0.1);
      });

      it(`at integer coordinates the coordinate gradient is the derivative from the right (${padding})`, () => {
        const rand = seededRandom(13);
        const image = uniform(rand, B * H * W * C);
        const coords = new Float64Array(B * 4 * 6 * 2);
        for (let i = 0; i < coords.length; i += 2) {
          coords[i] = Math.floor(rand() * (W + 2)) - 1; // −1 … W
          coords[i + 1] = Math.floor(rand() * (H + 2)) - 1;
        }
        const w = uniform(rand, nOut);
        const { dCoords } = runGridSample(
          gridSample,
          image,
          coords,
          imageShape,
          coordShape,
          w,
          padding,
        );
        const f = (xy: Float64Array) =>
          dot64(gridSample64(image, xy, imageShape, coordShape.slice(1), padding), w);
        const h = 1e-3;
        const f0 = f(coords);
        const right = new Float64Array(coords.length);
        for (let i = 0; i < coords.length; i++) {
          const xs = Float64Array.from(coords);
          xs[i] += h;
          right[i] = (f(xs) - f0) / h;
        }
        expect(maxAbsDiff(dCoords, right)).toBeLessThan(1e-4);
      });
    }

    it('is exact on an image that is linear in (x, y)', () => {
      const [h, w] = [20, 30];
      const lin = (x: number, y: number, c: number) => 0.3 + (0.02 + 0.01 * c) * x - 0.015 * y;
      const image = new Float64Array(h * w * 3);
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          for (let c = 0; c < 3; c++) image[(i * w + j) * 3 + c] = lin(j, i, c);
      const rand = seededRandom(14);
      const n = 200;
      const coords = new Float64Array(n * 2);
      for (let k = 0; k < n; k++) {
        coords[2 * k] = rand() * (w - 1);
        coords[2 * k + 1] = rand() * (h - 1);
      }
      const out = tf.tidy(() =>
        gridSample(
          tf.tensor4d(f32(image), [1, h, w, 3]),
          tf.tensor4d(f32(coords), [1, n, 1, 2]),
        ).dataSync(),
      );
      const expected = new Float64Array(n * 3);
      for (let k = 0; k < n; k++)
        for (let c = 0; c < 3; c++) expected[3 * k + c] = lin(coords[2 * k], coords[2 * k + 1], c);
      expect(maxAbsDiff(out, expected)).toBeLessThan(2e-6);
    });

    it('samples scattered points given as [B, N, 1, 2] (the 3DMM STN case)', () => {
      const rand = seededRandom(15);
      const image = uniform(rand, B * H * W * C);
      const N = 37;
      const coords = uniform(rand, B * N * 2, -1, 8);
      const out = tf.tidy(() => {
        const o = gridSample(
          tf.tensor4d(f32(image), [B, H, W, C]),
          tf.tensor4d(f32(coords), [B, N, 1, 2]),
        );
        expect(o.shape).toEqual([B, N, 1, C]);
        return o.dataSync();
      });
      expect(maxAbsDiff(out, gridSample64(image, coords, imageShape, [N, 1]))).toBeLessThan(1e-5);
    });

    it('NaN coordinates give NaN, never a silent zero', () => {
      const [out, dImage, dCoords] = tf.tidy(() => {
        const img = tf.randomUniform([1, 4, 4, 2]) as tf.Tensor4D;
        const xy = tf.tensor4d([Number.NaN, 1, 1.5, 1.5], [1, 2, 1, 2]);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(gridSample(a as tf.Tensor4D, b as tf.Tensor4D)),
        )([img, xy]);
        return [gridSample(img, xy).dataSync(), ...grads.map((g) => g.dataSync())];
      });
      expect(Number.isNaN(out[0]) && Number.isNaN(out[1])).toBe(true);
      expect(Number.isFinite(out[2]) && Number.isFinite(out[3])).toBe(true);
      if (implName === 'kernel') {
        expect(Number.isNaN(dCoords[0]) && Number.isNaN(dCoords[1])).toBe(true);
        expect(Number.isFinite(dCoords[2])).toBe(true);
        expect(Array.from(dImage).every(Number.isNaN)).toBe(true);
      }
    });

    it('reads pixel centres exactly: (x = j, y = i) is image[i, j]', () => {
      const out = tf.tidy(() =>
        gridSample(
          tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]),
          tf.tensor4d([2, 0, 0, 1, 1, 0.5], [1, 1, 3, 2]),
        ).dataSync(),
      );
      expect(Array.from(out)).toEqual([3, 4, 3.5]);
    });

    it.runIf(implName === 'kernel')('checks its arguments', () => {
      expect(() =>
        gridSample(
          tf.zeros([2, 64, 64]) as unknown as tf.Tensor4D,
          tf.zeros([2, 4, 4, 2]) as tf.Tensor4D,
        ),
      ).toThrow(
        new ShapeError('Error in gridSample: image must have shape [B,H,W,C], but got [2,64,64].'),
      );
      expect(() =>
        gridSample(tf.zeros([2, 8, 8, 3]) as tf.Tensor4D, tf.zeros([2, 4, 4, 3]) as tf.Tensor4D),
      ).toThrow('Error in gridSample: coords must have shape [B,Ho,Wo,2], but got [2,4,4,3].');
      expect(() =>
        gridSample(tf.zeros([2, 8, 8, 3]) as tf.Tensor4D, tf.zeros([1, 4, 4, 2]) as tf.Tensor4D),
      ).toThrow(
        'Error in gridSample: coords must have shape [B,Ho,Wo,2], but got [1,4,4,2] (B = 2 elsewhere).',
      );
      expect(() =>
        gridSample(tf.zeros([1, 8, 8, 3]) as tf.Tensor4D, tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, {
          padding: 'reflection' as Padding,
        }),
      ).toThrow(
        "Error in gridSample: padding must be one of 'zeros', 'border', but got 'reflection'.",
      );
      expect(() =>
        gridSample(
          tf.zeros([1, 8, 8, 3], 'int32') as tf.Tensor4D,
          tf.zeros([1, 4, 4, 2]) as tf.Tensor4D,
        ),
      ).toThrow('Error in gridSample: image must be float32, but got int32.');
    });
  });

describe('affineGrid', () => {
  const gridSample = gridSampleOp;
  for (const alignCorners of [true, false]) {
    it(`identity θ reproduces the image exactly (alignCorners ${alignCorners})`, () => {
      const rand = seededRandom(21);
      const image = uniform(rand, 2 * 6 * 9 * 2);
      const [out, grid] = tf.tidy(() => {
        const theta = tf.tensor3d([1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0], [2, 2, 3]);
        const g = affineGrid(theta, [2, 6, 9, 2], { alignCorners });
        return [gridSample(tf.tensor4d(f32(image), [2, 6, 9, 2]), g).dataSync(), g.arraySync()];
      });
      expect(maxAbsDiff(out, f32(image))).toBe(0);
      expect(grid[1][5][8]).toEqual([8, 5]);
    });
  }

  it('matches the float64 reference for random θ and a different input size', () => {
    const rand = seededRandom(22);
    const theta = uniform(rand, 3 * 6);
    for (const alignCorners of [true, false]) {
      const grid = tf.tidy(() =>
        affineGrid(tf.tensor3d(f32(theta), [3, 2, 3]), [3, 5, 4], {
          inputSize: [7, 11],
          alignCorners,
        }).dataSync(),
      );
      expect(maxAbsDiff(grid, affineGrid64(theta, [3, 5, 4], [7, 11], alignCorners))).toBeLessThan(
        1e-5,
      );
    }
  });

  it('a translation by 2/(W−1) shifts by one pixel; a quarter turn rotates the pixel grid', () => {
    const n = 5;
    const image = Float32Array.from({ length: n * n }, (_, k) => k + 1);
    const [shifted, turned] = tf.tidy(() => {
      const img = tf.tensor4d(image, [1, n, n, 1]);
      const shift = affineGrid(tf.tensor3d([1, 0, 2 / (n - 1), 0, 1, 0], [1, 2, 3]), [1, n, n]);
      const turn = affineGrid(tf.tensor3d([0, -1, 0, 1, 0, 0], [1, 2, 3]), [1, n, n]);
      return [gridSample(img, shift).arraySync(), gridSample(img, turn).arraySync()];
    });
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        // u_in = u_out + 2/(W−1): x_in = j + 1 (zeros beyond the last column).
        expect(shifted[0][i][j][0]).toBeCloseTo(j + 1 < n ? image[i * n + j + 1] : 0, 5);
        // u_in = −v_out, v_in = u_out: x_in = (n − 1) − i, y_in = j.
        expect(turned[0][i][j][0]).toBeCloseTo(image[j * n + (n - 1 - i)], 5);
      }
  });

  it('gradient w.r.t. θ matches central differences, alone and through gridSample', () => {
    const rand = seededRandom(23);
    const B = 2;
    const [Ho, Wo, H, W, C] = [4, 5, 6, 7, 2];
    // Chosen so that no grid point lies within 1e-3 of an integer (a kink of the sampler).
    const theta = Float64Array.from([
      0.9137, 0.1071, 0.0531, -0.1213, 1.0468, -0.0317, 0.8123, -0.2087, 0.1049, 0.1516, 0.7069,
      0.0213,
    ]);
    const image = uniform(rand, B * H * W * C);
    const wGrid = uniform(rand, B * Ho * Wo * 2);
    const wOut = uniform(rand, B * Ho * Wo * C);
    const [gGrid, gSample] = tf.tidy(() => {
      const th = tf.tensor3d(f32(theta), [B, 2, 3]);
      const img = tf.tensor4d(f32(image), [B, H, W, C]);
      const g1 = tf.grad((t: tf.Tensor) =>
        tf.sum(
          tf.mul(
            affineGrid(t as tf.Tensor3D, [B, Ho, Wo], { inputSize: [H, W] }),
            tf.tensor(f32(wGrid), [B, Ho, Wo, 2]),
          ),
        ),
      )(th);
      const g2 = tf.grad((t: tf.Tensor) =>
        tf.sum(
          tf.mul(
            gridSample(img, affineGrid(t as tf.Tensor3D, [B, Ho, Wo], { inputSize: [H, W] })),
            tf.tensor(f32(wOut), [B, Ho, Wo, C]),
          ),
        ),
      )(th);
      return [g1.dataSync(), g2.dataSync()];
    });
    checkGradient(
      'affineGrid dθ',
      (t) => dot64(affineGrid64(t, [B, Ho, Wo], [H, W]), wGrid),
      theta,
      gGrid,
      {
        h: 1e-4,
        atol: 1e-4,
        rtol: 1e-4,
      },
    );
    checkGradient(
      'gridSample∘affineGrid dθ',
      (t) =>
        dot64(
          gridSample64(image, affineGrid64(t, [B, Ho, Wo], [H, W]), [B, H, W, C], [Ho, Wo]),
          wOut,
        ),
      theta,
      gSample,
      { h: 1e-5, atol: 1e-4, rtol: 1e-3 },
    );
  });

  it('checks its arguments', () => {
    expect(() => affineGrid(tf.zeros([2, 3, 3]) as tf.Tensor3D, [2, 4, 4])).toThrow(
      new ShapeError('Error in affineGrid: theta must have shape [B,2,3], but got [2,3,3].'),
    );
    expect(() => affineGrid(tf.zeros([2, 2, 3]) as tf.Tensor3D, [3, 4, 4])).toThrow(
      'Error in affineGrid: size must have shape [B,Ho,Wo], but got [3,4,4] (B = 2 elsewhere).',
    );
    expect(() => affineGrid(tf.zeros([2, 2, 3]) as tf.Tensor3D, [2, 0, 4])).toThrow(
      'Error in affineGrid: sizes must be positive integers, but got output [2,0,4] and input [0,4].',
    );
  });
});

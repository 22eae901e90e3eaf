/**
 * `gridSampleMasked` (kernel `StnGridSampleMasked`, the layer's `maskedUv` in one pass): equals
 * the float64 sampler times the mask, both gradients match central differences, masked points
 * get exactly zero gradient, NaN coordinates still give NaN, cpu == wasm, no tensor growth.
 */
import * as tf from '@tensorflow/tfjs';
import '../src/register_all_kernels'; // deep imports of the ops: register as index.ts does
import { afterAll, describe, expect, it } from 'vitest';
import { gridSampleMasked } from '../src/ops/grid_sample';
import { BACKENDS, useBackend } from './layer.backends';
import { checkGradient, f32, maxAbsDiff, seededRandom, uniform } from './ops-gradcheck';
import { dot64, gridSample64 } from './ops-reference';

const [B, H, W, C, Ho, Wo] = [2, 7, 8, 3, 5, 4];
const rand = seededRandom(5);
const image = uniform(rand, B * H * W * C);
// Away from integer kinks so central differences are valid; partly outside the image.
const coords = uniform(rand, B * Ho * Wo * 2, -1.7, 8.7).map((v) =>
  Math.abs(v - Math.round(v)) < 0.05 ? v + 0.1 : v,
);
const mask = Float64Array.from({ length: B * Ho * Wo }, () => (rand() < 0.35 ? 0 : 1));
const w = uniform(rand, B * Ho * Wo * C);

function masked64(img: ArrayLike<number>, xy: ArrayLike<number>, padding: 'zeros' | 'border') {
  const out = gridSample64(img, xy, [B, H, W, C], [Ho, Wo], padding);
  for (let i = 0; i < out.length; i++) out[i] *= mask[Math.floor(i / C)];
  return out;
}

function run(padding: 'zeros' | 'border') {
  return tf.tidy(() => {
    const img = tf.tensor4d(f32(image), [B, H, W, C]);
    const xy = tf.tensor4d(f32(coords), [B, Ho, Wo, 2]);
    const m = tf.tensor3d(f32(mask), [B, Ho, Wo]);
    const wt = tf.tensor4d(f32(w), [B, Ho, Wo, C]);
    const out = gridSampleMasked(img, xy, m, padding).dataSync() as Float32Array;
    const [dImage, dCoords] = tf
      .grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(gridSampleMasked(a as tf.Tensor4D, b as tf.Tensor4D, m, padding), wt)),
      )([img, xy])
      .map((g) => g.dataSync() as Float32Array);
    return { out, dImage, dCoords };
  });
}

const results: Record<string, ReturnType<typeof run>> = {};

afterAll(async () => {
  await useBackend('cpu');
});

describe.each(BACKENDS)('gridSampleMasked (%s)', (backend) => {
  for (const padding of ['zeros', 'border'] as const) {
    it(`equals the float64 sampler times the mask, gradients match central differences (${padding})`, async () => {
      await useBackend(backend);
      const res = run(padding);
      results[`${backend} ${padding}`] = res;
      expect(maxAbsDiff(res.out, masked64(image, coords, padding))).toBeLessThan(1e-5);
      const tol = { atol: 1e-4, rtol: 1e-3, h: 1e-5 };
      checkGradient(
        'dImage',
        (x) => dot64(masked64(x, coords, padding), w),
        image,
        res.dImage,
        tol,
      );
      checkGradient(
        'dCoords',
        (x) => dot64(masked64(image, x, padding), w),
        coords,
        res.dCoords,
        tol,
      );
      for (let q = 0; q < mask.length; q++) {
        if (mask[q] === 0) {
          expect(res.dCoords[2 * q]).toBe(0);
          expect(res.dCoords[2 * q + 1]).toBe(0);
        }
      }
    });
  }

  it('gives NaN for NaN coordinates even where the mask is 0', async () => {
    await useBackend(backend);
    const out = tf.tidy(() =>
      gridSampleMasked(
        tf.ones([1, 3, 3, 1]) as tf.Tensor4D,
        tf.tensor4d([Number.NaN, 1, 1, 1], [1, 2, 1, 2]),
        tf.tensor3d([0, 0], [1, 2, 1]),
        'zeros',
      ).dataSync(),
    );
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out[1]).toBe(0);
  });

  it('does not grow the tensor count over 100 forward+backward calls', async () => {
    await useBackend(backend);
    run('zeros');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) run('zeros');
    expect(tf.memory().numTensors).toBe(before);
  });
});

it('cpu and wasm agree to float32 rounding', () => {
  for (const padding of ['zeros', 'border']) {
    const cpu = results[`cpu ${padding}`];
    const wasm = results[`wasm ${padding}`];
    expect(cpu && wasm).toBeTruthy();
    expect(maxAbsDiff(cpu.out, wasm.out)).toBeLessThan(1e-6);
    expect(maxAbsDiff(cpu.dImage, wasm.dImage)).toBeLessThan(1e-6);
    expect(maxAbsDiff(cpu.dCoords, wasm.dCoords)).toBeLessThan(1e-5);
  }
});

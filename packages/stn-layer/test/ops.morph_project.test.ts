/**
 * The layer's fused grid generator (`morphOffsets` + `morphProject`, kernel `StnMorphProject`):
 * float64 reference, gradients vs central differences in α, the mean, the offsets and the pose
 * (r, t, log s), cpu == wasm, and no tensor growth.
 */
import * as tf from '@tensorflow/tfjs';
import '../src/register_all_kernels'; // deep imports of the ops: register as index.ts does
import { afterAll, describe, expect, it } from 'vitest';
import { morphOffsets, morphProject, morphProjectComposed } from '../src/ops/morph_project';
import { BACKENDS, useBackend } from './layer.backends';
import { checkGradient, f32, maxAbsDiff, seededRandom, uniform } from './ops-gradcheck';
import { dot64, morphShape64, projectVertices64 } from './ops-reference';

const B = 5;
const N = 7;
const D = 3;
const rand = seededRandom(11);
const alpha = uniform(rand, B * D);
const mean = uniform(rand, N * 3, -60, 60);
const basis = uniform(rand, D * 3 * N, -5, 5);
// Angles 0, tiny, Taylor boundary, ordinary, near π.
const r = Float64Array.from([
  0,
  0,
  0,
  1e-8,
  0,
  0,
  0,
  5e-3,
  0,
  0.3,
  -0.5,
  0.2,
  0,
  0,
  Math.PI - 1e-3,
]);
const t = uniform(rand, B * 2, 50, 150);
const logS = uniform(rand, B, -1, 0.5);
const pose = new Float64Array(B * 6);
for (let b = 0; b < B; b++) {
  pose.set(r.subarray(3 * b, 3 * b + 3), 6 * b);
  pose.set(t.subarray(2 * b, 2 * b + 2), 6 * b + 3);
  pose[6 * b + 5] = logS[b];
}
const w = uniform(rand, B * N * 2);

/** p(α, mean, pose) in float64, through the independent references. */
function p64(a: ArrayLike<number>, m: ArrayLike<number>, q: ArrayLike<number>): Float64Array {
  const X = morphShape64(a, m, basis, B, D, N);
  const rr = new Float64Array(3 * B);
  const tt = new Float64Array(2 * B);
  const ll = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < 3; k++) rr[3 * b + k] = q[6 * b + k];
    tt[2 * b] = q[6 * b + 3];
    tt[2 * b + 1] = q[6 * b + 4];
    ll[b] = q[6 * b + 5];
  }
  return projectVertices64(X, rr, tt, ll, B, N);
}

function run(project = morphProject) {
  return tf.tidy(() => {
    const bt = tf.tensor2d(f32(basis), [D, 3 * N]);
    const btT = tf.transpose(bt) as tf.Tensor2D;
    const f = (a: tf.Tensor, m: tf.Tensor, q: tf.Tensor) =>
      project(
        tf.reshape(morphOffsets(a as tf.Tensor2D, bt, btT), [B, N, 3]) as tf.Tensor3D,
        m as tf.Tensor2D,
        q as tf.Tensor2D,
      );
    const inputs = [
      tf.tensor2d(f32(alpha), [B, D]),
      tf.tensor2d(f32(mean), [N, 3]),
      tf.tensor2d(f32(pose), [B, 6]),
    ];
    const out = f(inputs[0], inputs[1], inputs[2]).dataSync() as Float32Array;
    const wt = tf.tensor3d(f32(w), [B, N, 2]);
    const grads = tf
      .grads((a: tf.Tensor, m: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(f(a, m, q), wt)))(inputs)
      .map((g) => g.dataSync() as Float32Array);
    // The offsets' own gradient (∂p/∂X, shared with projectVertices).
    const off = tf.tensor3d(f32(uniform(seededRandom(3), B * N * 3, -5, 5)), [B, N, 3]);
    const [dOff] = tf.grads((o: tf.Tensor) =>
      tf.sum(
        tf.mul(project(o as tf.Tensor3D, inputs[1] as tf.Tensor2D, inputs[2] as tf.Tensor2D), wt),
      ),
    )([off]);
    return {
      out,
      grads,
      dOff: dOff.dataSync() as Float32Array,
      off: off.dataSync() as Float32Array,
    };
  });
}

const results: Record<string, ReturnType<typeof run>> = {};

afterAll(async () => {
  await useBackend('cpu');
});

describe.each(BACKENDS)('morphProject kernel (%s)', (backend) => {
  it('matches the float64 reference mean + α·basis, rotated, projected', async () => {
    await useBackend(backend);
    const res = run();
    results[backend] = res;
    expect(maxAbsDiff(res.out, p64(alpha, mean, pose))).toBeLessThan(1e-3);
  });

  it('gradients in α, mean, pose and offsets match central differences', async () => {
    await useBackend(backend);
    const { grads, dOff, off } = results[backend] ?? run();
    const f = (a: ArrayLike<number>, m: ArrayLike<number>, q: ArrayLike<number>) =>
      dot64(p64(a, m, q), w);
    const tol = { atol: 1e-3, rtol: 1e-3, h: 1e-5 };
    checkGradient('dα', (x) => f(x, mean, pose), alpha, grads[0], tol);
    checkGradient('dmean', (x) => f(alpha, x, pose), mean, grads[1], tol);
    checkGradient('dpose', (x) => f(alpha, mean, x), pose, grads[2], tol);
    // offsets: p = project(offsets + mean), i.e. α = 0 with the mean moved by the offsets.
    const fo = (o: ArrayLike<number>) => {
      const X = new Float64Array(B * N * 3);
      for (let i = 0; i < X.length; i++) X[i] = o[i] + mean[i % (3 * N)];
      const rr = Float64Array.from(
        { length: 3 * B },
        (_, i) => pose[6 * Math.floor(i / 3) + (i % 3)],
      );
      const tt = Float64Array.from(
        { length: 2 * B },
        (_, i) => pose[6 * Math.floor(i / 2) + 3 + (i % 2)],
      );
      const ll = Float64Array.from({ length: B }, (_, b) => pose[6 * b + 5]);
      return dot64(projectVertices64(X, rr, tt, ll, B, N), w);
    };
    checkGradient('doffsets', fo, off, dOff, tol);
  });

  it('does not grow the tensor count over 100 forward+backward calls', async () => {
    await useBackend(backend);
    const step = () => {
      run();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});

it('cpu and wasm agree to float32 rounding', () => {
  const { cpu, wasm } = results;
  expect(cpu && wasm).toBeTruthy();
  expect(maxAbsDiff(cpu.out, wasm.out)).toBeLessThan(1e-4);
  for (let i = 0; i < 3; i++) {
    const scale = Math.max(1, ...Array.from(cpu.grads[i], Math.abs));
    expect(maxAbsDiff(cpu.grads[i], wasm.grads[i]) / scale).toBeLessThan(1e-5);
  }
});

it('the composed fallback (other backends) agrees with the kernel, values and gradients', async () => {
  await useBackend('cpu');
  const kernel = run();
  const composed = run(morphProjectComposed);
  expect(maxAbsDiff(kernel.out, composed.out)).toBeLessThan(1e-3);
  for (let i = 0; i < 3; i++) {
    const scale = Math.max(1, ...Array.from(kernel.grads[i], Math.abs));
    expect(maxAbsDiff(kernel.grads[i], composed.grads[i]) / scale).toBeLessThan(1e-5);
  }
  expect(maxAbsDiff(kernel.dOff, composed.dOff)).toBeLessThan(1e-4);
});

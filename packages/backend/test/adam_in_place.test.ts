import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adamUpdateHostMoments, adamUpdateInPlace, selectBackend } from '@3dmm-stn/backend/node';
import { randomValues } from './helpers';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

const HP = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Float64 Adam over plain arrays, with the gradient scaled first. */
function reference(w0: Float32Array, grads: Float32Array[], lr: number, scale: number) {
  const w = Float64Array.from(w0);
  const m = new Float64Array(w.length);
  const v = new Float64Array(w.length);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] * scale;
      m[i] = HP.beta1 * m[i] + (1 - HP.beta1) * gi;
      v[i] = HP.beta2 * v[i] + (1 - HP.beta2) * gi * gi;
      w[i] -= (lr * (m[i] / (1 - HP.beta1 ** t))) / (Math.sqrt(v[i] / (1 - HP.beta2 ** t)) + 1e-7);
    }
  });
  return w;
}

/** A variable that is the only owner of its buffer (as an optimiser's slots are). */
const owned = (values: Float32Array, shape: number[]) =>
  tf.tidy(() => tf.variable(tf.tensor(values, shape), true));

describe('adamUpdateInPlace', () => {
  it('equals a float64 Adam over 4 steps, with a gradient scale, in place', async () => {
    await tf.setBackend('wasm');
    const shape = [7, 5, 3];
    const w0 = randomValues(105, 1);
    const grads = [2, 3, 4, 5].map((s) => randomValues(105, s));
    const w = owned(Float32Array.from(w0), shape);
    const m = owned(new Float32Array(105), shape);
    const v = owned(new Float32Array(105), shape);
    const ids = [m.dataId, v.dataId];
    const tensors = tf.memory().numTensors;
    grads.forEach((gv, k) => {
      const g = tf.tensor(gv, shape);
      const t = k + 1;
      const done = adamUpdateInPlace(w, m, v, g, {
        ...HP,
        stepSize: 0.01 / (1 - HP.beta1 ** t),
        biasCorrection2: 1 - HP.beta2 ** t,
        gradScale: 0.5,
      });
      expect(done).toBe(true);
      g.dispose();
    });
    expect([m.dataId, v.dataId]).toEqual(ids); // the moments' own buffers, updated
    expect(tf.memory().numTensors).toBe(tensors);
    const want = reference(w0, grads, 0.01, 0.5);
    const got = w.dataSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 6);
    tf.dispose([w, m, v]);
  });

  it('does nothing on other backends (the caller uses tf ops)', async () => {
    await tf.setBackend('cpu');
    const mine = new Float32Array([1, 2, 3]);
    const w = owned(mine, [3]); // the cpu backend may keep `mine` as the storage
    const m = owned(new Float32Array(3), [3]);
    const v = owned(new Float32Array(3), [3]);
    const g = tf.tensor1d([1, 1, 1]);
    const o = { ...HP, stepSize: 0.1, biasCorrection2: 0.001, gradScale: 1 };
    expect(adamUpdateInPlace(w, m, v, g, o)).toBe(false);
    expect(Array.from(mine)).toEqual([1, 2, 3]);
    tf.dispose([w, m, v, g]);
  });

  it('gives a variable that shares its buffer a copy of its own first (the other tensor is unchanged)', async () => {
    await tf.setBackend('wasm');
    const init = tf.tensor1d([1, 2, 3]);
    const w = tf.variable(init); // shares init's buffer: writing it would change `init` too
    const m = owned(new Float32Array(3), [3]);
    const v = owned(new Float32Array(3), [3]);
    const g = tf.tensor1d([1, 1, 1]);
    const o = { ...HP, stepSize: 0.1, biasCorrection2: 0.001, gradScale: 1 };
    expect(adamUpdateInPlace(w, m, v, g, o)).toBe(true);
    expect(Array.from(init.dataSync())).toEqual([1, 2, 3]);
    expect(w.dataId).not.toBe(init.dataId);
    // The same update as a variable that owned its buffer from the start.
    const w2 = owned(Float32Array.from([1, 2, 3]), [3]);
    const m2 = owned(new Float32Array(3), [3]);
    const v2 = owned(new Float32Array(3), [3]);
    expect(adamUpdateInPlace(w2, m2, v2, g, o)).toBe(true);
    expect(Array.from(w.dataSync())).toEqual(Array.from(w2.dataSync()));
    tf.dispose([init, w, m, v, g, w2, m2, v2]);
  });

  it('a convolution sees the new weights (wasm caches XNNPACK operators by filter buffer)', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(randomValues(2 * 6 * 6 * 3, 7), [2, 6, 6, 3]);
    const w = owned(randomValues(3 * 3 * 3 * 4, 8), [3, 3, 3, 4]);
    const m = owned(new Float32Array(108), [3, 3, 3, 4]);
    const v = owned(new Float32Array(108), [3, 3, 3, 4]);
    const g = tf.tensor4d(randomValues(108, 9), [3, 3, 3, 4]);
    tf.tidy(() => tf.conv2d(x, w as tf.Tensor4D, 1, 'same').dataSync()); // builds the cached operator
    const o = { ...HP, stepSize: 0.5, biasCorrection2: 0.001, gradScale: 1 };
    expect(adamUpdateInPlace(w, m, v, g, o)).toBe(true);
    const got = tf.tidy(() => tf.conv2d(x, w as tf.Tensor4D, 1, 'same').dataSync());
    const want = tf.tidy(() =>
      tf.conv2d(x, tf.tensor4d(w.dataSync(), [3, 3, 3, 4]), 1, 'same').dataSync(),
    );
    expect(Array.from(got)).toEqual(Array.from(want));
    tf.dispose([x, w, m, v, g]);
  });

  it('refuses other dtypes and sizes', async () => {
    await tf.setBackend('wasm');
    const w = owned(new Float32Array(3), [3]);
    const m = owned(new Float32Array(3), [3]);
    const v = owned(new Float32Array(3), [3]);
    const o = { ...HP, stepSize: 0.1, biasCorrection2: 0.001, gradScale: 1 };
    const g4 = tf.zeros([4]);
    const gi = tf.zeros([3], 'int32');
    expect(adamUpdateInPlace(w, m, v, g4, o)).toBe(false);
    expect(adamUpdateInPlace(w, m, v, gi, o)).toBe(false);
    tf.dispose([w, m, v, g4, gi]);
  });
});

describe('adamUpdateHostMoments', () => {
  for (const backend of ['wasm', 'cpu']) {
    it(`equals a float64 Adam over 4 steps with the moments in host arrays (${backend})`, async () => {
      await tf.setBackend(backend);
      const shape = [7, 5, 3];
      const w0 = randomValues(105, 1);
      const grads = [2, 3, 4, 5].map((s) => randomValues(105, s));
      const w = owned(Float32Array.from(w0), shape);
      const m = new Float32Array(105);
      const v = new Float32Array(105);
      const tensors = tf.memory().numTensors;
      grads.forEach((gv, k) => {
        const g = tf.tensor(gv, shape);
        const t = k + 1;
        adamUpdateHostMoments(w, m, v, g, {
          ...HP,
          stepSize: 0.01 / (1 - HP.beta1 ** t),
          biasCorrection2: 1 - HP.beta2 ** t,
          gradScale: 0.5,
        });
        g.dispose();
      });
      expect(tf.memory().numTensors).toBe(tensors);
      const want = reference(w0, grads, 0.01, 0.5);
      const got = w.dataSync();
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 6);
      // The moments moved (they are the state): m ≈ the bias-free running mean of 0.5·g.
      expect(m.some((x) => x !== 0) && v.every((x) => x >= 0)).toBe(true);
      tf.dispose(w);
      await tf.setBackend('wasm');
    });
  }

  it('gives the same bits as the in-heap update', async () => {
    await tf.setBackend('wasm');
    const w0 = randomValues(64, 7);
    const wa = owned(Float32Array.from(w0), [64]);
    const wb = owned(Float32Array.from(w0), [64]);
    const ma = owned(new Float32Array(64), [64]);
    const va = owned(new Float32Array(64), [64]);
    const mb = new Float32Array(64);
    const vb = new Float32Array(64);
    for (let t = 1; t <= 3; t++) {
      const g = tf.tensor(randomValues(64, 10 + t), [64]);
      const o = {
        ...HP,
        stepSize: 0.02 / (1 - HP.beta1 ** t),
        biasCorrection2: 1 - HP.beta2 ** t,
        gradScale: 0.3,
      };
      expect(adamUpdateInPlace(wa, ma, va, g, o)).toBe(true);
      adamUpdateHostMoments(wb, mb, vb, g, o);
      g.dispose();
    }
    expect(Array.from(wb.dataSync())).toEqual(Array.from(wa.dataSync()));
    expect(Array.from(mb)).toEqual(Array.from(ma.dataSync()));
    expect(Array.from(vb)).toEqual(Array.from(va.dataSync()));
    tf.dispose([wa, wb, ma, va]);
  });

  it('throws a RangeError naming the sizes when they differ', async () => {
    await tf.setBackend('wasm');
    const w = owned(new Float32Array(3), [3]);
    const g = tf.zeros([3]);
    const o = { ...HP, stepSize: 0.1, biasCorrection2: 0.001, gradScale: 1 };
    expect(() => adamUpdateHostMoments(w, new Float32Array(2), new Float32Array(3), g, o)).toThrow(
      /must all have 3 values, got g 3 \(float32\), m 2, v 3/,
    );
    tf.dispose([w, g]);
  });
});

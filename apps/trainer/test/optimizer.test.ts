import { selectBackend } from '@3dmm-stn/backend/node';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataReport } from '../src/data_report';
import {
  clipByGlobalNorm,
  clipScale,
  GroupOptimizer,
  globalNorm,
  learningRate,
} from '../src/optimizer';
import type { FaceSample } from '../src/sample';
import { checkBatch } from '../src/train';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

/** Float64 reference of Adam / SGD-momentum on plain arrays. */
function reference(
  kind: 'adam' | 'sgd',
  w0: number[],
  grads: number[][],
  lr: number,
  mult: number,
) {
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < w.length; i++) {
      if (kind === 'adam') {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        w[i] -= (lr * mult * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-7);
      } else {
        m[i] = 0.9 * m[i] + g[i];
        w[i] -= lr * mult * m[i];
      }
    }
  });
  return w;
}

describe('GroupOptimizer', () => {
  for (const [kind, backend, slots] of [
    ['adam', 'cpu', 'auto'],
    ['sgd', 'cpu', 'auto'],
    ['adam', 'wasm', 'auto'], // moments in host memory (the default on wasm)
    ['adam', 'wasm', 'tensor'], // in place on the wasm heap (a loaded slot shares its buffer first)
    ['adam', 'cpu', 'host'],
  ] as const) {
    it(`${kind} on ${backend} (slots ${slots}): matches a float64 reference, with per-group learning-rate multipliers`, async () => {
      await selectBackend({ backend });
      const a = tf.variable(tf.tensor1d([0.5, -1, 2]));
      const b = tf.variable(tf.tensor1d([3, 0.25]));
      const opt = new GroupOptimizer(
        [
          { name: 'backbone', variables: [a], lrMultiplier: 1 },
          { name: 'head', variables: [b], lrMultiplier: 10 },
        ],
        { kind, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, momentum: 0.9, slots },
      );
      expect(opt.slotMemory).toBe(
        slots === 'auto' ? (kind === 'adam' && backend === 'wasm' ? 'host' : 'tensor') : slots,
      );
      const ga = [
        [0.1, -0.2, 0.3],
        [0.05, 0.4, -0.1],
        [-0.3, 0.1, 0.2],
      ];
      const gb = [
        [1, -2],
        [0.5, 0.5],
        [-1, 0.1],
      ];
      for (let k = 0; k < 3; k++) opt.apply([tf.tensor1d(ga[k]), tf.tensor1d(gb[k])], 0.01);
      const wa = reference(kind, [0.5, -1, 2], ga, 0.01, 1);
      const wb = reference(kind, [3, 0.25], gb, 0.01, 10);
      for (const [i, x] of Array.from(a.dataSync()).entries()) expect(x).toBeCloseTo(wa[i], 5);
      for (const [i, x] of Array.from(b.dataSync()).entries()) expect(x).toBeCloseTo(wb[i], 5);
      expect(opt.t).toBe(3);
      // state round trip: a fresh optimiser loaded with the state continues identically
      const state = (await opt.state()).map((s) => ({ shape: s.shape, data: s.data.slice() }));
      const a2 = tf.variable(a.clone());
      const b2 = tf.variable(b.clone());
      const opt2 = new GroupOptimizer(
        [
          { name: 'backbone', variables: [a2], lrMultiplier: 1 },
          { name: 'head', variables: [b2], lrMultiplier: 10 },
        ],
        { kind, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, momentum: 0.9, slots },
      );
      opt2.loadState(opt.t, state);
      opt.apply([tf.tensor1d([1, 1, 1]), tf.tensor1d([1, 1])], 0.01);
      opt2.apply([tf.tensor1d([1, 1, 1]), tf.tensor1d([1, 1])], 0.01);
      expect(Array.from(a2.dataSync())).toEqual(Array.from(a.dataSync()));
      expect(Array.from(b2.dataSync())).toEqual(Array.from(b.dataSync()));
      expect(() => opt2.loadState(1, state.slice(1))).toThrow(/slot tensors/);
      await selectBackend({ backend: 'cpu' });
    });
  }

  it('adam on wasm updates the moments in place, with the clipping scale', async () => {
    await selectBackend({ backend: 'wasm' });
    const w = tf.tidy(() => tf.variable(tf.tensor1d([0.5, -1, 2])));
    const opt = new GroupOptimizer([{ name: 'all', variables: [w], lrMultiplier: 1 }], {
      kind: 'adam',
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      momentum: 0,
      slots: 'tensor',
    });
    const ids = opt.slotTensors().map((t) => t.dataId);
    const before = tf.memory().numTensors;
    const g = tf.tensor1d([0.2, -0.4, 0.6]);
    opt.apply([g], 0.01, 0.5);
    opt.apply([g], 0.01, 0.5);
    expect(opt.slotTensors().map((t) => t.dataId)).toEqual(ids);
    expect(tf.memory().numTensors).toBe(before + 1);
    const want = reference(
      'adam',
      [0.5, -1, 2],
      [
        [0.1, -0.2, 0.3],
        [0.1, -0.2, 0.3],
      ],
      0.01,
      1,
    );
    for (const [i, x] of Array.from(w.dataSync()).entries()) expect(x).toBeCloseTo(want[i], 6);
    tf.dispose([g, w]);
    opt.dispose();
    await selectBackend({ backend: 'cpu' });
  });

  it('adam on wasm with host moments: no slot on the heap, bit-identical to the in-heap update', async () => {
    await selectBackend({ backend: 'wasm' });
    const opts = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7, momentum: 0 } as const;
    const init = Array.from({ length: 37 }, (_, i) => Math.sin(i) * 0.3);
    const wh = tf.variable(tf.tensor1d(init));
    const wt = tf.variable(tf.tensor1d(init));
    const before = tf.memory().numTensors;
    const host = new GroupOptimizer([{ name: 'all', variables: [wh], lrMultiplier: 2 }], opts);
    expect(host.slotMemory).toBe('host');
    expect(tf.memory().numTensors).toBe(before); // the moments are not tensors
    const heap = new GroupOptimizer([{ name: 'all', variables: [wt], lrMultiplier: 2 }], {
      ...opts,
      slots: 'tensor',
    });
    for (let k = 0; k < 4; k++) {
      const g = tf.tensor1d(init.map((x, i) => Math.cos(x * (k + 1) + i)));
      const n0 = tf.memory().numTensors;
      host.apply([g], 0.01, 0.7);
      expect(tf.memory().numTensors).toBe(n0); // w reassigned, nothing left over
      heap.apply([g], 0.01, 0.7);
      g.dispose();
    }
    expect(Array.from(wh.dataSync())).toEqual(Array.from(wt.dataSync()));
    const hs = await host.state();
    const ts = await heap.state();
    expect(hs.map((s) => Array.from(s.data))).toEqual(ts.map((s) => Array.from(s.data)));
    expect(() => host.loadState(4, [hs[0]])).toThrow(/expected 2 slot tensors/);
    expect(() => host.loadState(4, [hs[0], { shape: [36], data: new Float32Array(36) }])).toThrow(
      /slot 1 has shape \[36\]/,
    );
    tf.dispose([wh, wt]);
    host.dispose();
    heap.dispose();
    await selectBackend({ backend: 'cpu' });
  });

  it('clips by the global norm and leaves small gradients alone', () => {
    const g = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])]; // norm 5
    const c = clipByGlobalNorm(g, 1);
    expect(c.norm.dataSync()[0]).toBeCloseTo(5);
    expect(Array.from(c.grads[0].dataSync())).toEqual([expect.closeTo(0.6, 6), 0]);
    expect(Array.from(c.grads[1].dataSync())).toEqual([0, expect.closeTo(0.8, 6)]);
    const d = clipByGlobalNorm(g, 10);
    expect(Array.from(d.grads[1].dataSync())).toEqual([0, 4]);
  });

  it('globalNorm + clipScale: the norm, and the factor clipping multiplies by', () => {
    const g = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])];
    const before = tf.memory().numTensors;
    const n = globalNorm(g);
    expect(tf.memory().numTensors).toBe(before + 1); // only the result
    expect(n.dataSync()[0]).toBeCloseTo(5);
    expect(clipScale(5, 1)).toBeCloseTo(0.2);
    expect(clipScale(5, 10)).toBe(1);
    expect(clipScale(5, 0)).toBe(1); // 0 = no clipping
    tf.dispose([n, ...g]);
  });

  it('schedules: warm-up, cosine to 5%, progress override', () => {
    expect(learningRate(0, 1, 100, 'constant', 10)).toBeCloseTo(0.1);
    expect(learningRate(50, 1, 100, 'constant', 10)).toBe(1);
    expect(learningRate(0, 1, 101, 'cosine', 0)).toBeCloseTo(1);
    expect(learningRate(100, 1, 101, 'cosine', 0)).toBeCloseTo(0.05);
    expect(learningRate(50, 1, 101, 'cosine', 0)).toBeCloseTo(0.525);
    expect(learningRate(0, 1, 101, 'cosine', 0, 1)).toBeCloseTo(0.05);
  });
});

describe('checkBatch (NaN guard)', () => {
  const sample = (id: string, bad = false): FaceSample => ({
    image: new Float32Array(4 * 4 * 3).fill(bad ? Number.NaN : 1),
    size: 4,
    landmarks: new Float32Array(136).fill(1),
    confidence: new Float32Array(68).fill(1),
    visible: new Uint8Array(68).fill(1),
    identity: id,
    source: `src:${id}${bad ? ':bad' : ''}`,
  });
  it('drops a non-finite sample with its pair partner and reports it', () => {
    const report = new DataReport();
    const b = checkBatch(
      { step: 0, samples: [sample('a'), sample('b', true), sample('a'), sample('b')], pairs: 2 },
      report,
    );
    expect(b.pairs).toBe(1);
    expect(b.samples.map((s) => s.identity)).toEqual(['a', 'a']);
    expect(report.problems[0].path).toBe('src:b:bad');
    expect(report.problems[0].reason).toMatch(/image value 0 is NaN/);
  });
});

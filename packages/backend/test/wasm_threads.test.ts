import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, wasmThreadCount } from '@3dmm-stn/backend/node';
import { randomValues, relativeError } from './helpers';

// Its own file: the wasm build (threaded or not) is chosen once per process (vitest isolates files).
let threads = 0;
beforeAll(async () => {
  threads = (await selectBackend({ backend: 'wasm', wasmThreads: 2 })).wasmThreads;
});

function convGrads(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(4 * 20 * 20 * 8, 1), [4, 20, 20, 8]);
    const w = tf.tensor4d(randomValues(3 * 3 * 8 * 16, 2), [3, 3, 8, 16]);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(
        tf.square(
          tf.matMul(
            tf.reshape(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')), [4, -1]),
            tf.ones([6400, 3]),
          ),
        ),
      );
    return tf
      .grads(f)([x, w])
      .map((g) => Float32Array.from(g.dataSync()));
  });
}

describe('wasm with XNNPACK threads (threaded SIMD build started in Node)', () => {
  it('starts with 2 threads', () => {
    expect(threads).toBe(2);
    expect(wasmThreadCount()).toBe(2);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('conv/matmul gradients equal the cpu backend and are bit-identical run to run', async () => {
    const a = convGrads();
    const b = convGrads();
    expect(a.map((t) => Array.from(t))).toEqual(b.map((t) => Array.from(t)));
    await tf.setBackend('cpu');
    const c = convGrads();
    await tf.setBackend('wasm');
    for (let i = 0; i < 2; i++) expect(relativeError(a[i], c[i])).toBeLessThan(1e-4);
  });

  it('rejects an invalid thread count', async () => {
    await expect(selectBackend({ backend: 'wasm', wasmThreads: 0 })).rejects.toThrow(
      /wasmThreads '0': expected an integer from 1 to 64/,
    );
    await expect(
      selectBackend({ backend: 'wasm', env: { STN_WASM_THREADS: 'two' } }),
    ).rejects.toThrow(/STN_WASM_THREADS 'two'/);
  });
});

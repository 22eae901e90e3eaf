import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@3dmm-stn/checks';
import { beforeAll, describe, expect, test } from 'vitest';
import { preprocess, VGG_FACE_MEAN_RGB } from '../src/index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('preprocess', () => {
  test('RGB 0..255 → BGR minus the VGG-Face means (Keras VGGFace preprocess_input v1)', () => {
    expect(VGG_FACE_MEAN_RGB).toEqual([129.1863, 104.7624, 93.594]);
    tf.tidy(() => {
      // one 1×2 image: pixel 0 = (R 200, G 100, B 50), pixel 1 = (0, 0, 255), as int32
      const img = tf.tensor4d([200, 100, 50, 0, 0, 255], [1, 1, 2, 3], 'int32');
      const out = preprocess(img);
      expect(out.dtype).toBe('float32');
      expect(out.shape).toEqual([1, 1, 2, 3]);
      const v = Array.from(out.dataSync());
      const expected = [
        50 - 93.594,
        100 - 104.7624,
        200 - 129.1863,
        255 - 93.594,
        -104.7624,
        -129.1863,
      ];
      v.forEach((x, k) => {
        expect(x).toBeCloseTo(expected[k], 4);
      });
    });
  });

  test('rejects non-[B,H,W,3] input', () => {
    tf.tidy(() => {
      expect(() => preprocess(tf.zeros([4, 4, 3]))).toThrow(ShapeError);
      expect(() => preprocess(tf.zeros([1, 4, 4, 1]))).toThrow(
        /preprocess: images must have shape \[B,H,W,3\]/,
      );
    });
  });

  test('no tensor growth', () => {
    const img = tf.zeros([2, 8, 8, 3]);
    preprocess(img).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) preprocess(img).dispose();
    expect(tf.memory().numTensors).toBe(before);
    img.dispose();
  });
});

import { cropFaces, readRgb } from '@3dmm-stn/cli';
import { cropAroundLandmarks, cropSquare } from '../src/crop';
import { squareAroundBox } from '@3dmm-stn/localiser';
import { describe, expect, it } from 'vitest';
import { samplePhoto } from './cli_helpers';

describe('one face crop for training and inference', () => {
  it("the trainer's crop and fit's crop are the same pixels for the same photo and landmarks", async () => {
    const file = samplePhoto(2);
    const photo = await readRgb(file);
    // 68 landmarks of a face of sample2 (any points inside the photo: the crop box depends on
    // their bounding box only); the trainer's default margin is fit's (0.25).
    const lm = new Float32Array(136);
    for (let i = 0; i < 68; i++) {
      lm[2 * i] = 300 + 140 * Math.cos(i) + (i % 7);
      lm[2 * i + 1] = 250 + 160 * Math.sin(0.7 * i);
    }
    for (const size of [224, 64, 400]) {
      const train = await cropAroundLandmarks(file, lm, size, 0.25);
      const infer = cropFaces(photo, [{ landmarks: lm }], size);
      expect(infer.crops[0]).toEqual(train.transform);
      expect(train.image.length).toBe(infer.pixels.length);
      let differ = 0;
      for (let k = 0; k < train.image.length; k++) if (train.image[k] !== infer.pixels[k]) differ++;
      expect(differ).toBe(0);
      // Not a blank crop: the photo is there.
      const mean = train.image.reduce((a, v) => a + v, 0) / train.image.length;
      expect(mean).toBeGreaterThan(10);
    }
  });

  it("the pretrained network's crop (the detector box) is the same pixels in training and in fit", async () => {
    const file = samplePhoto(2);
    const photo = await readRgb(file);
    const box: [number, number, number, number] = [310.4, 180.2, 150.5, 190.7];
    const lm = new Float32Array(136).fill(Number.NaN);
    lm[0] = 350;
    lm[1] = 260;
    const localiser = { model: null as never, inputSize: 112, crop: 'box' as const, margin: 0.2 };
    const train = await cropSquare(file, lm, squareAroundBox(box, 0.2), 112);
    const infer = cropFaces(photo, [{ landmarks: lm, box, detector: 'ssd' }], 112, localiser);
    expect(infer.crops[0]).toEqual(train.transform);
    let differ = 0;
    for (let k = 0; k < train.image.length; k++) if (train.image[k] !== infer.pixels[k]) differ++;
    expect(differ).toBe(0);
  });
});

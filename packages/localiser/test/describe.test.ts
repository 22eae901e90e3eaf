import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { type BackboneName, createLocaliser, describeLocaliser } from '../src/index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const KERAS_VGGFACE_VGG16_WEIGHTED = [
  'conv1_1',
  'conv1_2',
  'conv2_1',
  'conv2_2',
  'conv3_1',
  'conv3_2',
  'conv3_3',
  'conv4_1',
  'conv4_2',
  'conv4_3',
  'conv5_1',
  'conv5_2',
  'conv5_3',
  'fc6',
  'fc7',
];

describe('describeLocaliser', () => {
  test.each([
    ['vgg-tiny', 112],
    ['vgg-tiny', 224],
    ['vgg-small', 112],
    ['vgg-small', 224],
    ['vgg16', 64],
  ] as [BackboneName, number][])(
    '%s at %i: params equal countParams(), layers match the model',
    (backbone, inputSize) => {
      const d = describeLocaliser({ backbone, inputSize, shapeDims: 10 });
      const model = createLocaliser({ backbone, inputSize, shapeDims: 10, seed: 1 });
      try {
        expect(d.params).toBe(model.countParams());
        expect(model.layers.map((l) => l.name)).toEqual(d.layers.map((l) => l.name));
        model.layers.forEach((l, k) => {
          expect((l.outputShape as number[]).slice(1)).toEqual(d.layers[k].outputShape);
          expect(l.countParams()).toBe(d.layers[k].params);
        });
        expect(model.outputs[0].shape).toEqual([null, 16]);
      } finally {
        model.dispose();
      }
    },
  );

  test('vgg16 at 224 is VGG-16: 134,260,544 backbone parameters, ≈15.5 GMAC, Keras VGGFace names', () => {
    const d = describeLocaliser({ backbone: 'vgg16' });
    const weighted = d.layers.filter((l) => l.params > 0).map((l) => l.name);
    expect(weighted).toEqual([...KERAS_VGGFACE_VGG16_WEIGHTED, 'theta']);
    // VGG-16 with a 1000-way fc8 has 138,357,544 parameters; minus fc8 (4096·1000 + 1000):
    const theta = d.layers.at(-1)!;
    expect(theta.params).toBe(4096 * 16 + 16);
    expect(d.params - theta.params).toBe(138_357_544 - 4_097_000);
    expect(d.featureShape).toEqual([7, 7, 512]);
    // published VGG-16 cost ≈ 15.5 GMAC per 224×224 image (convolutions ≈ 15.3 GMAC)
    const convMacs = d.layers.filter((l) => l.kind === 'conv').reduce((s, l) => s + l.flops / 2, 0);
    expect(convMacs / 1e9).toBeGreaterThan(15.3);
    expect(convMacs / 1e9).toBeLessThan(15.4);
    expect(d.flops / 2e9).toBeGreaterThan(15.4);
    expect(d.flops / 2e9).toBeLessThan(15.6);
  });

  test('a conv layer’s FLOPs are 2·H·W·9·Cin·Cout', () => {
    const d = describeLocaliser({ backbone: 'vgg-tiny', inputSize: 112 });
    const conv21 = d.layers.find((l) => l.name === 'conv2_1')!;
    expect(conv21.outputShape).toEqual([56, 56, 32]);
    expect(conv21.flops).toBe(2 * 56 * 56 * 9 * 16 * 32);
    expect(d.featureShape).toEqual([3, 3, 128]);
  });

  test('rejects bad configs with the valid values in the message', () => {
    expect(() => describeLocaliser({ backbone: 'resnet' as never })).toThrow(
      /backbone must be one of 'vgg16', 'vgg-small', 'vgg-tiny'/,
    );
    expect(() => describeLocaliser({ inputSize: 31 })).toThrow(/inputSize must be an integer ≥ 32/);
    expect(() => describeLocaliser({ shapeDims: 2.5 })).toThrow(/shapeDims/);
    expect(() => describeLocaliser({ dropout: 1 })).toThrow(/dropout/);
    expect(() => describeLocaliser({ meanFaceWidth: 0 })).toThrow(/meanFaceWidth/);
    expect(() => describeLocaliser({ inputsize: 224 } as never)).toThrow(
      /unknown option 'inputsize'/,
    );
  });
});

import { selectBackend, WasmOutOfMemoryError } from '@3dmm-stn/backend/node';
import type { GridModel } from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainingOutOfMemoryError } from '../src/errors';
import type { Network } from '../src/network';
import { GroupOptimizer } from '../src/optimizer';
import type { FaceSample } from '../src/sample';
import { createTrainStep } from '../src/train_step';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

const sample = (): FaceSample => ({
  image: new Float32Array(8 * 8 * 3).fill(1),
  size: 8,
  landmarks: new Float32Array(136).fill(1),
  confidence: new Float32Array(68).fill(1),
  visible: new Uint8Array(68).fill(1),
  identity: 'a',
  source: 'test',
});

/** A train step whose network fails the way a full wasm heap makes it fail. */
function stepThatFails(failure: unknown) {
  const w = tf.variable(tf.zeros([2]));
  const net = {
    model: {
      apply: () => {
        throw failure;
      },
    },
    backboneVariables: [w],
    headVariables: [],
  } as unknown as Network;
  const grid = { numModes: 2, landmarkIds: Int32Array.from({ length: 68 }, (_, i) => i) };
  const optimizer = new GroupOptimizer([{ name: 'all', variables: [w], lrMultiplier: 1 }], {
    kind: 'adam',
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    momentum: 0,
  });
  return createTrainStep({
    net,
    grid: grid as unknown as GridModel,
    optimizer,
    lossWeights: {},
    clipNorm: 0,
    label: 'vgg16@224',
  });
}

/** What wasm throws on an access past the heap (`WebAssembly.RuntimeError`). */
const wasmRuntimeError = (msg: string): Error =>
  new (
    globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }
  ).WebAssembly.RuntimeError(msg);

describe('train step out of wasm memory', () => {
  it('a failed allocation becomes TrainingOutOfMemoryError naming model, batch, need and remedy', async () => {
    const step = stepThatFails(new WasmOutOfMemoryError(411 * 2 ** 20, 3.9 * 2 ** 30));
    const err = await step([sample(), sample(), sample()], 0, 1e-3).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingOutOfMemoryError);
    expect(err.model).toBe('vgg16@224');
    expect(err.batchSize).toBe(3);
    expect(err.requestedBytes).toBe(411 * 2 ** 20);
    expect(err.message).toMatch(/Training vgg16@224 at batch size 3 ran out of wasm memory/);
    expect(err.message).toMatch(
      /a further 0\.40 GiB was needed, with [\d.]+ GiB in use of at most 4\.00 GiB/,
    );
    expect(err.message).toMatch(/smaller batch .* smaller backbone .* tensorflow backend/);
  });

  it("wasm's own 'memory access out of bounds' is recognised too; other errors pass through", async () => {
    const oob = stepThatFails(wasmRuntimeError('memory access out of bounds'));
    const err = await oob([sample()], 0, 1e-3).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingOutOfMemoryError);
    expect(err.requestedBytes).toBe(null);
    expect(err.message).toMatch(/more memory was needed/);
    const other = stepThatFails(new RangeError('bad shape'));
    await expect(other([sample()], 0, 1e-3)).rejects.toThrow(RangeError);
  });
});

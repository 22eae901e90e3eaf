import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@3dmm-stn/backend/node';
import {
  encodeFloat16,
  fromFloat16Bits,
  loadPretrained as loadInBrowser,
  PretrainedFileError,
  toFloat16Bits,
} from '@3dmm-stn/pretrained';
import { loadPretrained, pretrainedDir } from '@3dmm-stn/pretrained/node';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

const FILES = ['model.json', 'weights.bin', 'pretrained.json'];

async function copyWeights(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pretrained-'));
  for (const f of FILES) await copyFile(join(pretrainedDir(), f), join(dir, f));
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<PretrainedFileError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PretrainedFileError);
    return e as PretrainedFileError;
  }
  throw new Error('expected a PretrainedFileError');
}

describe('float16', () => {
  it('encodes like IEEE 754 half precision (round to nearest even) and decodes exactly', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up to Inf
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -14, 0x0400], // smallest normal
      [1 + 2 ** -11, 0x3c00], // a tie: to even
      [1 + 3 * 2 ** -11, 0x3c02], // a tie: to even (up)
      [0.1, 0x2e66],
    ];
    for (const [v, h] of cases) expect(toFloat16Bits(v)).toBe(h);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN)))).toBe(true);
    // relative error ≤ 2^-11 over the normal range
    const x = new Float32Array(1000).map((_, i) => (i - 500) * 0.731 + 0.013);
    const y = encodeFloat16(x);
    x.forEach((v, i) => {
      expect(Math.abs(fromFloat16Bits(y[i]) - v)).toBeLessThanOrEqual(
        Math.abs(v) * 2 ** -11 + 1e-7,
      );
    });
  });

  it('matches what tfjs decodes from a float16-quantised manifest', () => {
    const x = new Float32Array([0.5, -3.25, 1e-3, 1234.5, 0.1]);
    const bytes = encodeFloat16(x);
    const [t] = Object.values(
      tf.io.decodeWeights(bytes.buffer as ArrayBuffer, [
        { name: 'w', shape: [5], dtype: 'float32', quantization: { dtype: 'float16' } },
      ]),
    );
    const d = t.dataSync();
    x.forEach((_, i) => {
      expect(d[i]).toBe(fromFloat16Bits(bytes[i]));
    });
    t.dispose();
  });
});

describe('loadPretrained', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm' });
  });

  it('loads the shipped network (localiser + STN) and runs a crop through it', async () => {
    const p = await loadPretrained();
    expect(p.inputSize).toBe(112);
    expect(p.crop.rule).toBe('box');
    expect(p.model.outputs).toHaveLength(4);
    const S = p.inputSize;
    const x = tf.randomUniform([2, S, S, 3], 0, 255, 'float32', 3);
    // warm-up: the STN layer caches host copies of its grid on the first call
    tf.dispose(p.model.predict(x) as tf.Tensor[]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const ys = p.model.predict(x) as tf.Tensor[];
      expect(ys[0].shape).toEqual([2, p.meta.thetaLength]);
      expect(ys[3].shape[2]).toBe(2);
      expect(ys[0].dataSync().every(Number.isFinite)).toBe(true);
      tf.dispose(ys);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    p.model.dispose();
  });

  it('weights on disk are float16 and small', async () => {
    const model = JSON.parse(await readFile(join(pretrainedDir(), 'model.json'), 'utf8'));
    const floats = model.weightsManifest[0].weights.filter(
      (w: { dtype: string }) => w.dtype === 'float32',
    );
    expect(
      floats.every(
        (w: { quantization?: { dtype: string } }) => w.quantization?.dtype === 'float16',
      ),
    ).toBe(true);
    const bytes = (await readFile(join(pretrainedDir(), 'weights.bin'))).length;
    expect(bytes).toBeLessThan(8 * 1024 * 1024);
  });

  it('loads the same network through the browser entry (fetch of the package folder)', async () => {
    const urls: string[] = [];
    const fakeFetch = (async (u: string) => {
      urls.push(u);
      const bytes = await readFile(new URL(u));
      return new Response(bytes);
    }) as unknown as typeof fetch;
    const a = await loadInBrowser({ fetch: fakeFetch });
    const b = await loadPretrained();
    expect(urls.map((u) => u.split('/').slice(-2).join('/')).sort()).toEqual([
      'weights/model.json',
      'weights/pretrained.json',
      'weights/weights.bin',
    ]);
    const x = tf.randomUniform([1, 112, 112, 3], 0, 255, 'float32', 5);
    const ta = (a.model.predict(x) as tf.Tensor[])[0];
    const tb = (b.model.predict(x) as tf.Tensor[])[0];
    expect(Array.from(ta.dataSync())).toEqual(Array.from(tb.dataSync()));
    tf.dispose([x, ta, tb]);
    a.model.dispose();
    b.model.dispose();
  });

  it('names the file of a missing, truncated or corrupt weight file', async () => {
    const missing = await copyWeights();
    await rm(join(missing, 'weights.bin'));
    const e1 = await errorOf(loadPretrained({ dir: missing }));
    expect(e1.file).toBe(join(missing, 'weights.bin'));
    expect(e1.message).toMatch(/missing/);

    const truncated = await copyWeights();
    const w = await readFile(join(truncated, 'weights.bin'));
    await writeFile(join(truncated, 'weights.bin'), w.subarray(0, w.length - 10));
    const e2 = await errorOf(loadPretrained({ dir: truncated }));
    expect(e2.file).toBe(join(truncated, 'weights.bin'));
    expect(e2.message).toMatch(new RegExp(`expected ${w.length} bytes .* got ${w.length - 10}`));

    const badJson = await copyWeights();
    await writeFile(join(badJson, 'model.json'), '{"modelTopology": ');
    const e3 = await errorOf(loadPretrained({ dir: badJson }));
    expect(e3.file).toBe(join(badJson, 'model.json'));
    expect(e3.message).toMatch(/invalid JSON/);

    const badMeta = await copyWeights();
    const meta = JSON.parse(await readFile(join(badMeta, 'pretrained.json'), 'utf8'));
    await writeFile(
      join(badMeta, 'pretrained.json'),
      JSON.stringify({ ...meta, crop: { rule: 'face' } }),
    );
    const e4 = await errorOf(loadPretrained({ dir: badMeta }));
    expect(e4.file).toBe(join(badMeta, 'pretrained.json'));
    expect(e4.message).toMatch(/"crop.rule" must be "box" or "landmarks"/);

    await writeFile(join(badMeta, 'pretrained.json'), JSON.stringify({ ...meta, inputSize: 96 }));
    const e5 = await errorOf(loadPretrained({ dir: badMeta }));
    expect(e5.message).toMatch(/"inputSize" 96 does not match the network's input/);
  });
});

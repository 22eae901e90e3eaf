/**
 * Corrupt checkpoint files: every field the trainer uses is checked when loading, and a resume
 * with state that does not fit the network is a CheckpointError (one line, exit code 1), never a
 * TypeError from deep inside. The inputs come from the fuzzer (scripts/fuzz, kind "checkpoints").
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorKind } from '@3dmm-stn/checks';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, restoreOptimizer, saveCheckpoint } from '../src/checkpoint';
import { CheckpointError } from '../src/errors';
import { GroupOptimizer } from '../src/optimizer';

const optimizer = (vars: tf.Variable[]) =>
  new GroupOptimizer([{ name: 'all', variables: vars, lrMultiplier: 1 }], {
    kind: 'adam',
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    momentum: 0,
    slots: 'host',
  });

let seedDir: string;
let meta: Record<string, unknown>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const vars = [tf.variable(tf.ones([2, 3])), tf.variable(tf.zeros([3]))];
  const opt = optimizer(vars);
  seedDir = await mkdtemp(join(tmpdir(), 'ckpt-files-'));
  await saveCheckpoint(
    seedDir,
    { step: 3, seed: 1, optimizer: { kind: 'adam', t: 3 }, best: null, elapsed: 1 },
    vars.map((v, i) => ({ name: `w${i}`, tensor: v })),
    await opt.state(),
    2,
  );
  meta = JSON.parse(await readFile(join(seedDir, 'step-00000003', 'checkpoint.json'), 'utf8'));
  tf.dispose(vars);
});

/** A copy of the seed checkpoint with `latest.json` / `checkpoint.json` replaced. */
async function variant(latest: unknown, m: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ckpt-variant-'));
  await mkdir(join(dir, 'step-00000003'));
  await writeFile(
    join(dir, 'latest.json'),
    typeof latest === 'string' ? latest : JSON.stringify(latest),
  );
  await writeFile(join(dir, 'step-00000003', 'checkpoint.json'), JSON.stringify(m));
  await writeFile(
    join(dir, 'step-00000003', 'weights.bin'),
    await readFile(join(seedDir, 'step-00000003', 'weights.bin')),
  );
  return dir;
}

const good = { step: 3, dir: 'step-00000003' };

describe('corrupt checkpoint files give a CheckpointError', () => {
  it.each([
    ['1e309', 'the fuzz input checkpoint #36: a number (Infinity), no "dir"'],
    ['{"step": 3, "dirx": "step-00000003"}', '"dir" renamed'],
    ['{"step": 3, "dir": 3}', '"dir" a number'],
  ])('latest.json %s (%s)', async (latest) => {
    const dir = await variant(latest, meta);
    const e = await loadCheckpoint(dir).catch((x) => x);
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toMatch(/latest\.json: expected \{"step": N, "dir": "step-NNNNNNNN"\}/);
    expect(errorKind(e)).not.toBeNull();
  });

  it('latest.json pointing outside the checkpoints folder', async () => {
    const dir = await variant({ step: 3, dir: '../../etc' }, meta);
    await expect(loadCheckpoint(dir)).rejects.toThrow(CheckpointError);
  });

  it.each([
    ['weights not an array', { weights: 7 }, /"weights": expected an array/],
    ['a shape with a negative size', { weights: [{ name: 'w', shape: [-6] }] }, /"weights"\[0\]/],
    ['a spec without a shape', { slots: [{ name: 's' }] }, /"slots"\[0\]/],
    ['optimizer.t not an integer', { optimizer: { kind: 'adam', t: 'x' } }, /"optimizer"/],
    ['step negative', { step: -1 }, /"step"/],
    ['elapsed a string', { elapsed: '1' }, /"elapsed"/],
    ['best without nme', { best: { step: 1 } }, /"best"/],
    ['not an object', null, /expected a JSON object/],
  ])('checkpoint.json: %s', async (_, change, message) => {
    const dir = await variant(good, change === null ? null : { ...meta, ...change });
    const e = await loadCheckpoint(dir).catch((x) => x);
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toMatch(message);
  });

  it('optimiser slots that do not fit the network: CheckpointError naming the folder', async () => {
    const ck = await loadCheckpoint(await variant(good, meta));
    const other = [tf.variable(tf.ones([4])), tf.variable(tf.zeros([3]))];
    const opt = optimizer(other);
    expect(() => restoreOptimizer('ckpts', opt, ck)).toThrow(/^ckpts: optimiser state: /);
    expect(() => restoreOptimizer('ckpts', opt, ck)).toThrow(CheckpointError);
    tf.dispose([...other, ...ck.weights]);
  });
});

import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runTrainCli } from '../src/cli';
import { resolveWasmThreads } from '../src/train';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = 0;
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out, err };
}

describe('train CLI', () => {
  it('resolves defaults ← file ← flags and prints the config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'train:\n  steps: 50\n  lr: 0.01\nseed: 9\n');
    const io = capture();
    const code = await runTrainCli([
      '--config',
      file,
      '--steps',
      '7',
      '--set',
      'data.flip=false',
      '--data',
      dir,
      '--print-config',
    ]);
    expect(code).toBe(0);
    const cfg = JSON.parse(io.out.join(''));
    expect(cfg.train.steps).toBe(7);
    expect(cfg.train.lr).toBe(0.01);
    expect(cfg.seed).toBe(9);
    expect(cfg.data.flip).toBe(false);
    expect(cfg.data.source).toBe('folder');
    expect(cfg.data.root).toBe(dir);
  });
  it('--threads sets wasmThreads (a count or auto); resolveWasmThreads maps auto to the cores', async () => {
    let io = capture();
    expect(await runTrainCli(['--threads', 'auto', '--print-config'])).toBe(0);
    expect(JSON.parse(io.out.join('')).wasmThreads).toBe('auto');
    vi.restoreAllMocks();
    io = capture();
    expect(await runTrainCli(['--threads', '2', '--print-config'])).toBe(0);
    expect(JSON.parse(io.out.join('')).wasmThreads).toBe(2);
    vi.restoreAllMocks();
    io = capture();
    expect(await runTrainCli(['--threads', '0', '--print-config'])).toBe(2);
    expect(io.err.join('')).toMatch(/wasmThreads/);
    vi.restoreAllMocks();
    expect(resolveWasmThreads(null)).toBeUndefined();
    expect(resolveWasmThreads(3)).toBe(3);
    expect(resolveWasmThreads('auto')).toBe(Math.min(4, availableParallelism()));
  });
  it('exits 2 with a message naming the key for bad values and unknown keys', async () => {
    let io = capture();
    expect(await runTrainCli(['--steps', 'abc', '--print-config'])).toBe(2);
    expect(io.err.join('')).toMatch(/--steps: expected a number, got "abc"/);
    vi.restoreAllMocks();
    io = capture();
    expect(await runTrainCli(['--set', 'train.bogus=1', '--print-config'])).toBe(2);
    expect(io.err.join('')).toMatch(/train\.bogus: unknown key; valid keys here: steps/);
    vi.restoreAllMocks();
    io = capture();
    expect(await runTrainCli(['--backbone', 'resnet', '--print-config'])).toBe(2);
    expect(io.err.join('')).toMatch(/localiser\.backbone: .*"vgg-tiny"/);
    vi.restoreAllMocks();
    io = capture();
    expect(await runTrainCli(['--no-such-flag'])).toBe(2);
    expect(io.err.join('')).toMatch(/unknown option/);
  });
  it('exits 2 when resuming from a folder without a run config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    const io = capture();
    expect(await runTrainCli(['--resume', dir, '--print-config'])).toBe(2);
    expect(io.err.join('')).toMatch(/config\.json.*cannot read the run's config/s);
  });
});

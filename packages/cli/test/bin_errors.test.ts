import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatPts } from '@3dmm-stn/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../testing/fixtures';
import { samplePhoto, tempDir } from './helpers';

// Every kind of bad input through the BUILT `3dmm-stn` bin (dist/bin.js, as users run it): one
// line on stderr, never a stack trace, the exit code the README documents.

const BIN = resolve(__dirname, '../dist/bin.js');
const TRAINER_BUILT = existsSync(join(REPO_ROOT, 'apps/trainer/dist/index.js'));

let dir: string;

function run(...args: string[]): { code: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, STN_DEBUG: undefined, STN_BACKEND: 'wasm' },
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

function expectOneLine(r: { stderr: string }, pattern: RegExp): void {
  expect(r.stderr).not.toContain('    at ');
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
}

beforeAll(async () => {
  // The bin as shipped: build the CLI (and the libraries it bundles against) first.
  execFileSync('npx', ['nx', 'run', '@3dmm-stn/cli:build', '--output-style=static'], {
    cwd: REPO_ROOT,
    stdio: 'ignore',
    env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
  });
  dir = await tempDir();
  await writeFile(join(dir, 'garbage.bin'), 'garbage');
  // A closed mesh (tetrahedron): no boundary, no Tutte embedding.
  await writeFile(
    join(dir, 'closed.obj'),
    'v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 3 4\nf 1 4 2\nf 2 4 3\n',
  );
  await writeFile(join(dir, 'not-an-image.jpg'), 'not an image');
  await mkdir(join(dir, 'loc'));
  await writeFile(join(dir, 'loc', 'model.json'), '{nope');
  await mkdir(join(dir, 'bad-pts'));
  await writeFile(join(dir, 'bad-pts', 'sample1.pts'), 'version: 1\nn_points: 3\n{\n1 2\n}\n');
  await writeFile(join(dir, 'bad.xml'), "<images><image file='a.jpg'><box top='x'></image>");
  await mkdir(join(dir, 'imgs'));
  await copyFile(samplePhoto(1), join(dir, 'imgs', 'sample1.jpg'));
  await writeFile(join(dir, 'imgs', 'readme.txt'), 'not an image');
  await mkdir(join(dir, 'imgs', 'nested'));
  await mkdir(join(dir, 'pts'));
  const lm = new Float32Array(136).map((_, k) => (k % 2 ? 400 : 900) + (k >> 1));
  await writeFile(join(dir, 'pts', 'sample1.pts'), formatPts(lm));
  await mkdir(join(dir, 'run'));
  await writeFile(join(dir, 'run', 'config.json'), '{}');
  await writeFile(join(dir, 'bad-config.json'), '{bad');
  await mkdir(join(dir, 'empty'));
}, 900_000);

describe('the built bin: bad input → one line and the exit code', () => {
  it.each([
    ['an unknown command', ['bogus'], 2, /unknown command 'bogus'/],
    ['an unknown flag', ['inspect', '--bogus'], 2, /unknown option '--bogus'/],
    [
      'a bad flag value',
      ['fit', 'x.jpg', '-o', 'o', '--backend', 'bogus'],
      2,
      /^error: usage: --backend/,
    ],
    [
      '--refine without --localiser',
      ['fit', 'x.jpg', '-o', 'o', '--refine', '3'],
      2,
      /needs --localiser/,
    ],
    ['a missing file', ['inspect', 'missing.bin'], 1, /^error: file: missing\.bin: no such file/],
    [
      'a file that is not a model',
      ['inspect', 'garbage.bin'],
      1,
      /^error: model file: garbage\.bin: /,
    ],
    [
      'a closed mesh (tutte)',
      ['tutte', 'closed.obj', '-o', 't.json'],
      1,
      /^error: mesh geometry: .*no boundary/,
    ],
    [
      'a closed mesh (fit --model)',
      ['fit', 'imgs/sample1.jpg', '-o', 'o', '--model', 'closed.obj'],
      1,
      /^error: mesh geometry: /,
    ],
    [
      'a broken localiser model.json',
      ['fit', 'imgs/sample1.jpg', '-o', 'o', '--localiser', 'loc'],
      1,
      /^error: tfjs model: .*model\.json: is not valid JSON/,
    ],
    [
      'a malformed .pts label',
      ['eval', 'imgs', '--labels', 'bad-pts', '--method', 'fit'],
      1,
      /^error: landmark file: .*sample1\.pts:3: expected n_points: 68/,
    ],
    [
      'a malformed dlib XML label',
      ['eval', 'imgs', '--labels', 'bad.xml', '--method', 'fit'],
      1,
      /^error: landmark file: .*bad\.xml:1: /,
    ],
  ] as const)('%s', (_what, args, code, pattern) => {
    const r = run(...args);
    expect(r.code).toBe(code);
    expectOneLine(r, pattern);
  });

  it('a file that is not an image: the batch reports it and exits 1', () => {
    const r = run('fit', 'not-an-image.jpg', '-o', 'o');
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('    at ');
    expect(r.stderr).toMatch(/not-an-image\.jpg: cannot read image/);
  });

  it('--debug prints the stack of a typed error', () => {
    const r = run('inspect', 'garbage.bin', '--debug');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: model file: /);
    expect(r.stderr).toContain('    at ');
  });

  it('eval says what it skips and what it does not score', () => {
    const r = run('eval', 'imgs', '--labels', 'pts', '--refine', '3', '--steps', '1', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('    at ');
    expect(r.stderr).toMatch(/--method both without --localiser: the localiser is not scored/);
    expect(r.stderr).toMatch(/--refine 3 ignored/);
    expect(r.stderr).toMatch(
      /imgs: skipped 2 entries that are not an image file \(nested\/, readme\.txt\)/,
    );
    expect(r.stdout).not.toMatch(/localiser/);
  });

  describe.runIf(TRAINER_BUILT)('train (the trainer app is built)', () => {
    it.each([
      [
        'a bad flag value',
        ['train', '--steps', 'abc'],
        2,
        /^error: configuration: .*--steps: expected a number/,
      ],
      [
        'an unreadable config file',
        ['train', '--config', 'bad-config.json'],
        2,
        /^error: configuration: .*bad-config\.json/,
      ],
      [
        'a missing dataset folder',
        ['train', '--data', 'nope', '--steps', '1', '--no-progress'],
        1,
        /^error: dataset: nope: /,
      ],
      [
        'a dataset without labels',
        ['train', '--data', 'empty', '--steps', '1', '--no-progress'],
        1,
        /^error: dataset: empty: no image/,
      ],
      [
        'a run without a checkpoint',
        ['train', '--resume', 'run', '--steps', '1', '--no-progress'],
        1,
        /^error: checkpoint: .*no checkpoint to resume from/,
      ],
    ] as const)('%s', (_what, args, code, pattern) => {
      const r = run(...args);
      expect(r.code).toBe(code);
      expectOneLine(r, pattern);
    });
  });

  it.skipIf(TRAINER_BUILT)('train without a built trainer: one line, exit 2', () => {
    const r = run('train', '--steps', '1');
    expect(r.code).toBe(2);
    expectOneLine(r, /^error: train: 3dmm-stn train needs the trainer app/);
  });
});

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, parseConfig, parseOverride } from '../src/config';
import { ConfigError } from '../src/errors';
import { Rng } from '../src/rng';

describe('Rng', () => {
  it('is reproducible, restorable mid-stream, and has sane moments', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    for (let i = 0; i < 10; i++) expect(a.nextU32()).toBe(b.nextU32());
    a.normal(); // leaves a Box–Muller spare in the state
    const s = a.getState();
    const seqA = Array.from({ length: 5 }, () => a.normal());
    const c = Rng.fromState(s);
    expect(Array.from({ length: 5 }, () => c.normal())).toEqual(seqA);
    const r = new Rng(7);
    let m = 0;
    let v = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      m += x;
      v += x * x;
    }
    expect(Math.abs(m / n)).toBeLessThan(0.03);
    expect(Math.abs(v / n - 1)).toBeLessThan(0.05);
    let u = 0;
    for (let i = 0; i < n; i++) u += r.uniform();
    expect(Math.abs(u / n - 0.5)).toBeLessThan(0.01);
  });
  it('derives independent streams', () => {
    expect(Rng.derive(1, 'train', 3).nextU32()).toBe(Rng.derive(1, 'train', 3).nextU32());
    expect(Rng.derive(1, 'train', 3).nextU32()).not.toBe(Rng.derive(1, 'train', 4).nextU32());
    expect(Rng.derive(1, 'train', 3).nextU32()).not.toBe(Rng.derive(2, 'train', 3).nextU32());
    expect(Rng.derive(1, 'train', 3).nextU32()).not.toBe(Rng.derive(1, 'val', 3).nextU32());
  });
});

describe('config', () => {
  it('has defaults for every key (the paper loss weights included)', () => {
    const c = defaultConfig();
    expect(c.train.lossWeights).toEqual({
      landmark: 0.8998,
      symmetry: 1e-4,
      multiview: 1e-4,
      prior: 0.1,
    });
    expect(c.data.source).toBe('synthetic');
    expect(c.model.path).toBeNull();
  });
  it('names unknown keys with the valid ones', () => {
    expect(() => parseConfig({ train: { stpes: 3 } })).toThrow(
      /train\.stpes: unknown key; valid keys here: steps, batchSize/,
    );
    expect(() => parseConfig({ nope: 1 })).toThrow(
      /nope: unknown key; valid keys here: seed, backend/,
    );
  });
  it('names bad values with what was given', () => {
    try {
      parseConfig({ train: { steps: -1, optimizer: 'adagrad' }, data: { flip: 'yes' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).toMatch(/train\.steps: .*(>=|≥|at least|greater).* \(got -1\)/);
      expect(msg).toMatch(/train\.optimizer: .*"adam"\|"sgd".* \(got "adagrad"\)/);
      expect(msg).toMatch(/data\.flip: .*boolean.* \(got "yes"\)/);
      expect((e as ConfigError).problems).toHaveLength(3);
    }
  });
  it('merges defaults ← YAML/JSON file ← flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const y = join(dir, 'c.yaml');
    await writeFile(y, 'seed: 5\ntrain:\n  steps: 40\n  lr: 0.01\n');
    const c = await loadConfig({ file: y, overrides: { 'train.steps': 7, 'data.flip': false } });
    expect(c.seed).toBe(5);
    expect(c.train.steps).toBe(7);
    expect(c.train.lr).toBe(0.01);
    expect(c.data.flip).toBe(false);
    expect(c.train.batchSize).toBe(defaultConfig().train.batchSize);
    const j = join(dir, 'c.json');
    await writeFile(j, JSON.stringify({ eval: { every: 3 } }));
    expect((await loadConfig({ file: j })).eval.every).toBe(3);
    await writeFile(j, '{ bad json');
    await expect(loadConfig({ file: j })).rejects.toThrow(/c\.json.*cannot parse/s);
    await expect(loadConfig({ file: join(dir, 'missing.yaml') })).rejects.toThrow(
      /cannot read the file/,
    );
    await expect(loadConfig({ file: y, overrides: { 'train.bogus': 1 } })).rejects.toThrow(
      /command-line flags[\s\S]*train\.bogus: unknown key/,
    );
  });
  it('parses key=value overrides as YAML scalars', () => {
    expect(parseOverride('train.lr=1e-3')).toEqual(['train.lr', 0.001]);
    expect(parseOverride('data.flip=false')).toEqual(['data.flip', false]);
    expect(parseOverride('model.path=null')).toEqual(['model.path', null]);
    expect(parseOverride('output.dir=runs/x')).toEqual(['output.dir', 'runs/x']);
    expect(() => parseOverride('novalue')).toThrow(/key=value/);
  });
});

describe('config: keys that name a prototype (found by the fuzzer, scripts/fuzz)', () => {
  it('`__proto__` in a file or a --set is an unknown key, never a change of Object.prototype', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-proto-'));
    const cases = [
      '__proto__: {polluted: true}\n',
      'train:\n  __proto__: {polluted: true}\n',
      'constructor: {prototype: {polluted: true}}\n',
    ];
    for (const [i, text] of cases.entries()) {
      const file = join(dir, `c${i}.yaml`);
      await writeFile(file, text);
      await expect(loadConfig({ file })).rejects.toThrow(ConfigError);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
    await expect(loadConfig({ overrides: { '__proto__.polluted': true } })).rejects.toThrow(
      ConfigError,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

/**
 * `npx tsx --tsconfig scripts/fuzz/tsconfig.json scripts/fuzz/replay.ts '<format>#<i>' [OUT_DIR]
 *   [--seed S]`: re-creates input i of a format from a fuzz run's findings (the same seed → the
 * same mutations), runs it in this process and prints the outcome, the time and the error's stack;
 * with OUT_DIR, writes the input's files there (for a regression test).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSeed } from './main_seed';
import { sampleMutations } from './mutate';
import { FORMATS, setupBackend } from './targets';
import { classify, mutateInput } from './worker';

const args = process.argv.slice(2);
const seedAt = args.indexOf('--seed');
const seed = seedAt >= 0 ? Number(args.splice(seedAt, 2)[1]) : 20261207;
const [which, out] = args;
const m = /^(.*)#(\d+)$/.exec(which ?? '');
if (!m) throw new Error("usage: replay.ts '<format>#<input>' [OUT_DIR] [--seed S]");
const format = FORMATS.find((f) => f.name === m[1]);
if (!format)
  throw new Error(`unknown format ${m[1]}; formats: ${FORMATS.map((f) => f.name).join(', ')}`);
const i = Number(m[2]);
await setupBackend();
const tmp = await mkdtemp(join(tmpdir(), '3dmm-stn-fuzz-replay-'));
const seeds = await format.seeds(tmp);
const mutation = sampleMutations(format.profile, i + 1, formatSeed(seed, format.name))[i];
console.log(JSON.stringify(mutation));
const files = mutateInput(seeds, mutation, format.mutable);
if (out) {
  for (const f of files) {
    await mkdir(join(out, f.name, '..'), { recursive: true });
    await writeFile(join(out, f.name), f.bytes);
  }
}
const t0 = performance.now();
const r = await classify(() => format.run(files, tmp));
console.log(`${r.outcome} in ${(performance.now() - t0).toFixed(0)} ms`);
if (r.error) console.log((r.error as Error)?.stack ?? r.error);
await rm(tmp, { recursive: true, force: true });
process.exit(0);

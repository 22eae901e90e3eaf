/**
 * The fuzzer's child process: builds one format's seeds, regenerates its mutations from the
 * seed (deterministic), and runs inputs from `start` on, reporting each before and after, so
 * that the parent can time each one and restart past an input that hangs or kills the process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorKind } from '@3dmm-stn/checks';
import { applyMutation, sampleMutations } from './mutate';
import { FORMATS, type InputFile, setupBackend } from './targets';

export type Outcome = 'valid' | 'typed' | 'untyped';

/** `i` is the input's index in the whole plan (all jobs one after the other). */
export type ToParent =
  | { type: 'seeding'; format: string }
  | { type: 'start'; i: number }
  | { type: 'done'; i: number; outcome: Outcome; error?: string; name?: string };

/** One format's share of the run: `count` inputs from its mutation stream `seed`. */
export interface Job {
  format: string;
  count: number;
  seed: number;
}

export interface WorkerArgs {
  jobs: Job[];
  /** The first input to run (inputs before it were run by an earlier process). */
  start: number;
  /** Folder to write the inputs that gave untyped errors to (for regression tests), or ''. */
  crashDir: string;
}

const send = (m: ToParent) =>
  new Promise<void>((ok) => (process.send as NonNullable<typeof process.send>)(m, () => ok()));

/** Classifies what a call on an input did: accepted, a typed error (`errorKind`), or anything else. */
export async function classify(
  run: () => Promise<void>,
): Promise<{ outcome: Outcome; error?: unknown }> {
  try {
    await run();
    return { outcome: 'valid' };
  } catch (e) {
    return { outcome: errorKind(e) ? 'typed' : 'untyped', error: e };
  }
}

/** The input `m` makes of a seed set. */
export function mutateInput(
  seeds: InputFile[][],
  m: ReturnType<typeof sampleMutations>[number],
  mutable?: number[],
) {
  const seed = seeds[m.seed % seeds.length];
  const idx = mutable ?? seed.map((_, i) => i);
  const target = idx[m.file % idx.length];
  return seed.map((f, i) =>
    i === target ? { ...f, bytes: applyMutation(f.bytes, m.ops, f.text) } : f,
  );
}

async function main() {
  const args = JSON.parse(process.argv[2]) as WorkerArgs;
  await setupBackend();
  const tmp = await mkdtemp(join(tmpdir(), '3dmm-stn-fuzz-'));
  try {
    let base = 0;
    for (const job of args.jobs) {
      const end = base + job.count;
      if (end <= args.start) {
        base = end;
        continue;
      }
      const format = FORMATS.find((f) => f.name === job.format);
      if (!format) throw new Error(`unknown format ${job.format}`);
      await send({ type: 'seeding', format: job.format });
      const seeds = await format.seeds(tmp);
      const mutations = sampleMutations(format.profile, job.count, job.seed);
      for (let i = Math.max(base, args.start); i < end; i++) {
        await send({ type: 'start', i });
        const files = mutateInput(seeds, mutations[i - base], format.mutable);
        const { outcome, error } = await classify(() => format.run(files, tmp));
        let name: string | undefined;
        if (outcome === 'untyped' && args.crashDir)
          name = await saveCrash(args.crashDir, job.format, i - base, files, error);
        await send({
          type: 'done',
          i,
          outcome,
          ...(error ? { error: String((error as Error)?.message ?? error).slice(0, 300) } : {}),
          ...(name ? { name } : {}),
        });
      }
      base = end;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function saveCrash(
  crashDir: string,
  format: string,
  i: number,
  files: InputFile[],
  error: unknown,
): Promise<string> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const dir = join(crashDir, `${format.replace(/[^A-Za-z0-9.]+/g, '-')}-${i}`);
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    await mkdir(join(dir, f.name, '..'), { recursive: true });
    await writeFile(join(dir, f.name), f.bytes);
  }
  await writeFile(join(dir, 'error.txt'), `${(error as Error)?.stack ?? String(error)}\n`);
  return dir;
}

if (process.send) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

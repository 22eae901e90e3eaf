import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileSystemIO } from '@3dmm-stn/backend/node';
import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from './config';
import type { EvalMetrics } from './evaluate';
import { writeFileAtomic } from './fs_atomic';

/**
 * The run folder's layout and its plain-file writes (config, JSONL log, summary, exported model).
 * Checkpoints have their own module (`checkpoint.ts`).
 */
export interface RunFolder {
  runDir: string;
  /** `checkpoints/` */
  ckptDir: string;
  /** `log.jsonl` */
  logPath: string;
  /** `model/`: the best model, exported */
  modelDir: string;
}

/** One line of `log.jsonl` for an evaluation. */
export interface EvalLog {
  type: 'eval';
  step: number;
  time: number;
  metrics: EvalMetrics;
}

/**
 * Create (or reopen, on resume) the run folder: `resume` ← `runDir` ← `output.dir/output.name`
 * (a dated name when null). A new run writes the resolved `config.json`.
 */
export async function openRunFolder(
  config: TrainConfig,
  where: { resume?: string; runDir?: string },
): Promise<RunFolder> {
  const runDir = resolve(
    where.resume ?? where.runDir ?? join(config.output.dir, config.output.name ?? runName(config)),
  );
  const folder = {
    runDir,
    ckptDir: join(runDir, 'checkpoints'),
    logPath: join(runDir, 'log.jsonl'),
    modelDir: join(runDir, 'model'),
  };
  await mkdir(folder.ckptDir, { recursive: true });
  if (!where.resume)
    await writeFileAtomic(join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return folder;
}

function runName(config: TrainConfig): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `run-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-seed${config.seed}`;
}

/** Append one JSON line to the log. */
export function appendLog(folder: RunFolder, obj: unknown): Promise<void> {
  return appendFile(folder.logPath, `${JSON.stringify(obj)}\n`);
}

/** Start an empty log (a new run). */
export function startLog(folder: RunFolder): Promise<void> {
  return writeFile(folder.logPath, '');
}

/**
 * Resume: drop the log lines written after the checkpoint at `step` (they will be recomputed
 * identically); the evaluation at `step` itself is kept. A missing log is not an error.
 */
export async function trimLogAfter(folder: RunFolder, step: number): Promise<void> {
  try {
    const lines = (await readFile(folder.logPath, 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '');
    const keep = lines.filter((l) => {
      const j = JSON.parse(l) as { step: number; type: string };
      return j.step < step || (j.step === step && j.type === 'eval');
    });
    await writeFileAtomic(folder.logPath, keep.map((l) => `${l}\n`).join(''));
  } catch {
    /* no log yet */
  }
}

/** The metrics of the first evaluation in the log (a resumed run's step-0 numbers), if any. */
export async function firstEval(folder: RunFolder): Promise<EvalMetrics | null> {
  try {
    for (const l of (await readFile(folder.logPath, 'utf8')).split('\n')) {
      if (!l.trim()) continue;
      const j = JSON.parse(l) as EvalLog;
      if (j.type === 'eval') return j.metrics;
    }
  } catch {
    /* none */
  }
  return null;
}

/** `summary.json` (atomic). */
export function writeSummary(folder: RunFolder, summary: unknown): Promise<void> {
  return writeFileAtomic(
    join(folder.runDir, 'summary.json'),
    `${JSON.stringify(summary, null, 2)}\n`,
  );
}

/** Save the whole network (localiser + STN) as a tfjs layers model, replacing `dir` atomically. */
export async function exportModel(
  model: tf.LayersModel,
  dir: string,
  meta: unknown,
): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await model.save(fileSystemIO(tmp));
  await writeFile(join(tmp, 'training.json'), `${JSON.stringify(meta, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

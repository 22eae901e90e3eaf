import { selectBackend, type BackendRequest } from '@3dmm-stn/backend/node';
import { availableParallelism } from 'node:os';
import type { GridModel, MorphableModel } from '@3dmm-stn/morphable-model/node';
import * as tf from '@tensorflow/tfjs';
import { arrangeBatch } from './batch_tensors';
import { type MachineInfo, machineInfo } from './machine';
import { assignWeights, loadCheckpoint, restoreOptimizer, saveCheckpoint } from './checkpoint';
import type { TrainConfig } from './config';
import { DataReport } from './data_report';
import { CheckpointError } from './errors';
import { type EvalMetrics, evaluate, type Prediction } from './evaluate';
import type { Batch } from './folder_dataset';
import { learningRate } from './optimizer';
import { createProgress } from './progress';
import { writeReport } from './report';
import {
  appendLog,
  type EvalLog,
  exportModel,
  firstEval,
  openRunFolder,
  type RunFolder,
  startLog,
  trimLogAfter,
  writeSummary,
} from './run_folder';
import { prefetch } from './stream';
import { checkBatch, openTrainingData, type TrainingData } from './train_data';
import { buildTrainable, prepareModel, type Trainable, trainingLossWeights } from './train_setup';
import { createTrainStep, type StepResult } from './train_step';

export type { EvalLog } from './run_folder';
export { exportModel } from './run_folder';
export { checkBatch } from './train_data';
export { prepareModel } from './train_setup';

/** One line of `log.jsonl` for a training step. */
export interface StepLog {
  type: 'step';
  step: number;
  /** Seconds since the run started (cumulative over resumes). */
  time: number;
  lr: number;
  loss: { total: number; landmark: number; symmetry: number; multiview: number; prior: number };
  gradNorm: number;
  /** Images in the step (after flip doubling). */
  images: number;
  imagesPerSec: number;
  /** false when the loss was not finite and the update was skipped. */
  applied: boolean;
}

export interface TrainOptions {
  /** Resume from this run folder: its latest checkpoint (config should be the run's own). */
  resume?: string;
  /** Where the run folder goes (default `output.dir/output.name`). */
  runDir?: string;
  /** Stop (with a checkpoint, as on Ctrl-C) after this many steps of this call. */
  stopAfter?: number;
  /** Human-readable messages (default: stderr). */
  log?: (line: string) => void;
  /** Install a SIGINT handler that checkpoints and stops (default true). */
  handleSigint?: boolean;
  /** Write the report (PNGs + HTML) at the end (default true). */
  report?: boolean;
  /** Train on this model instead of `model.path` / the embedded default. */
  model?: MorphableModel;
  /** Called after every step (tests: memory checks, simulated Ctrl-C). */
  onStep?: (rec: StepLog) => void;
}

export interface TrainResult {
  runDir: string;
  /** Steps completed (global). */
  steps: number;
  /** True when stopped early by Ctrl-C / `stopAfter`. */
  interrupted: boolean;
  /** True when `train.maxMinutes` ended training before `train.steps`. */
  budgetStop: boolean;
  /** Validation metrics at step 0 and at the end. */
  initial: EvalMetrics | null;
  final: EvalMetrics | null;
  best: { step: number; nme: number } | null;
  /** Loss terms of every step run by this call (step → total). */
  losses: { step: number; total: number }[];
  /** Seconds of training (cumulative). */
  elapsed: number;
  data: ReturnType<DataReport['toJSON']>;
  backend: string;
  /** Where the best model was exported (model.json + weights.bin), if any. */
  modelDir: string | null;
}

type Evaluated = { metrics: EvalMetrics; predictions: Prediction[] };

/**
 * Everything the stages of a run share. `best` and `exported` change as evaluations run; the
 * clock's `elapsed` counts training seconds over resumes.
 */
interface Run {
  config: TrainConfig;
  options: TrainOptions;
  say: (line: string) => void;
  clock: Clock;
  folder: RunFolder;
  grid: GridModel;
  trainable: Trainable;
  data: TrainingData;
  report: DataReport;
  best: { step: number; nme: number } | null;
  exported: boolean;
  /** The machine and its load when the run started (summary.json). */
  machineAtStart: MachineInfo;
}

/** `wasmThreads` of the config → selectBackend's option (undefined: the environment decides). */
export function resolveWasmThreads(v: TrainConfig['wasmThreads']): number | undefined {
  if (v === null) return undefined;
  return v === 'auto' ? Math.min(4, availableParallelism()) : v;
}

/**
 * Train the 3DMM-STN: localiser → θ → MorphableModelSTN → the four losses. Writes the run folder
 * (config.json, log.jsonl, checkpoints/, model/, report/, summary.json) and returns a summary.
 *
 * Stages: backend → run folder → model + UV grid → network + optimiser → data → restore (resume)
 * → evaluation at step 0 → the step loop (evaluations and checkpoints on their schedules, stop on
 * Ctrl-C / `stopAfter` / time budget) → final evaluation, checkpoint, export, report, summary.
 */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const say = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const clock = new Clock(config.train.maxMinutes * 60);
  const machineAtStart = machineInfo();
  const backend = await selectBackend({
    backend: config.backend === 'auto' ? undefined : (config.backend as BackendRequest),
    wasmThreads: resolveWasmThreads(config.wasmThreads),
  });
  say(
    `backend: ${backend.name}${backend.name === 'wasm' ? ` (${backend.wasmThreads} thread${backend.wasmThreads === 1 ? '' : 's'})` : ''}${backend.fellBackFrom.length ? ` (skipped: ${backend.fellBackFrom.join('; ')})` : ''}`,
  );
  const folder = await openRunFolder(config, options);
  const { model: mm, grid } = await prepareModel(config, options.model);
  say(
    mm
      ? `model: ${mm.metadata.name} (${mm.metadata.format}, ${mm.numVertices} vertices, ${mm.shape.numModes} shape + ${mm.expression?.numModes ?? 0} expression modes) → UV grid ${grid.res}², ${grid.numModes} modes`
      : `model: UV grid ${grid.res}², ${grid.numModes} modes (${config.model.path})`,
  );
  const trainable = buildTrainable(config, mm, grid);
  try {
    const report = new DataReport((p) => say(`skipped ${p.path}: ${p.reason}`));
    const data = await openTrainingData(config, mm, grid, report, say);
    const run: Run = {
      ...{ config, options, say, clock, folder, grid, trainable, data, report },
      best: null,
      exported: false,
      machineAtStart,
    };
    let loop: LoopResult;
    let initial: EvalMetrics | null;
    try {
      const startStep = await restore(run);
      const tEval = performance.now();
      initial = await initialEvaluation(run, startStep);
      // Time kept for the final evaluation, checkpoint, export and report.
      const reserve = clock.budget > 0 ? 15 + 3 * ((performance.now() - tEval) / 1000) : 0;
      loop = await trainLoop(run, startStep, reserve);
    } finally {
      await data.close();
    }
    return await finishRun(run, loop, initial, backend.name);
  } finally {
    trainable.opt.dispose();
    trainable.net.model.dispose();
  }
}

/** Wall clock of a run: since the call started, and training seconds over resumes. */
class Clock {
  private readonly tStart = performance.now();
  private t0 = performance.now();
  private before = 0;
  /** Budget of the whole run in seconds (0 = none). */
  constructor(readonly budget: number) {}
  sinceStart(): number {
    return (performance.now() - this.tStart) / 1000;
  }
  /** Training time starts now, continuing from `before` seconds (a checkpoint's). */
  startTraining(before: number): void {
    this.before = before;
    this.t0 = performance.now();
  }
  elapsed(): number {
    return this.before + (performance.now() - this.t0) / 1000;
  }
}

/**
 * Resume: load the latest checkpoint's weights and optimiser state (same seed required) and trim
 * the log to it; a new run starts an empty log. Returns the step to start from.
 */
async function restore(run: Run): Promise<number> {
  const { config, folder, trainable } = run;
  if (!run.options.resume) {
    await startLog(folder);
    run.clock.startTraining(0);
    return 0;
  }
  const ck = await loadCheckpoint(folder.ckptDir);
  if (ck.meta.seed !== config.seed) {
    throw new CheckpointError(
      folder.ckptDir,
      `was written with seed ${ck.meta.seed}, the config has ${config.seed}`,
    );
  }
  assignWeights(folder.ckptDir, trainable.weights(), ck.weights);
  restoreOptimizer(folder.ckptDir, trainable.opt, ck);
  tf.dispose(ck.weights);
  run.best = ck.meta.best;
  await trimLogAfter(folder, ck.meta.step);
  run.say(`resumed from step ${ck.meta.step}`);
  run.clock.startTraining(ck.meta.elapsed);
  return ck.meta.step;
}

/** Validate at `step`, log it, and export the model when it is the best so far. */
async function evaluateAt(run: Run, step: number): Promise<Evaluated> {
  const { net } = run.trainable;
  const r = await evaluate(net.model, run.grid, run.data.valSamples, { pairs: run.data.valPairs });
  await appendLog(run.folder, {
    type: 'eval',
    step,
    time: run.clock.elapsed(),
    metrics: r.metrics,
  } satisfies EvalLog);
  if (Number.isFinite(r.metrics.nme) && (run.best === null || r.metrics.nme < run.best.nme)) {
    run.best = { step, nme: r.metrics.nme };
    await exportModel(net.model, run.folder.modelDir, {
      step,
      metrics: r.metrics,
      config: run.config,
    });
    run.exported = true;
  }
  return r;
}

/** Step-0 metrics: evaluated for a new run, read back from the log on resume. */
async function initialEvaluation(run: Run, startStep: number): Promise<EvalMetrics | null> {
  if (startStep !== 0) return firstEval(run.folder);
  const initial = (await evaluateAt(run, 0)).metrics;
  run.say(`step 0: validation NME ${fmt(initial.nme)} (eye) / ${fmt(initial.nmeBox)} (box)`);
  return initial;
}

/** Checkpoint the weights and optimiser state at `step` (keeping `checkpoint.keep`). */
async function checkpointAt(run: Run, step: number): Promise<void> {
  const { config, trainable } = run;
  await saveCheckpoint(
    run.folder.ckptDir,
    {
      step,
      seed: config.seed,
      optimizer: { kind: config.train.optimizer, t: trainable.opt.t },
      best: run.best,
      elapsed: run.clock.elapsed(),
    },
    trainable.weights().map((w) => ({ name: w.name, tensor: w.val })),
    await trainable.opt.state(),
    config.checkpoint.keep,
  );
}

interface LoopResult {
  /** The global step reached. */
  step: number;
  budgetStop: boolean;
  losses: { step: number; total: number }[];
  lastEval: Evaluated | null;
}

/**
 * The step loop from `startStep` to `train.steps`: one update per batch, evaluations and
 * checkpoints on their schedules. Stops early on Ctrl-C (when handled), `stopAfter` steps of this
 * call, or when the next step would eat into the `reserve` seconds kept from the time budget.
 */
async function trainLoop(run: Run, startStep: number, reserve: number): Promise<LoopResult> {
  const { config, options, say, clock } = run;
  const { net, opt } = run.trainable;
  const lossWeights = trainingLossWeights(config, run.grid);
  say(
    `loss weights (${config.train.lossBalance}): landmark ${lossWeights.landmark.toPrecision(4)}, prior ${lossWeights.prior.toPrecision(3)}, symmetry ${lossWeights.symmetry.toPrecision(3)}, multiview ${lossWeights.multiview.toPrecision(3)}`,
  );
  const trainStep = createTrainStep({
    net,
    grid: run.grid,
    optimizer: opt,
    lossWeights,
    clipNorm: config.train.clipNorm,
    label: `${config.localiser.backbone}@${config.localiser.inputSize}`,
    microBatches: config.train.microBatches,
  });
  const total = config.train.steps;
  const progress = createProgress(
    config.report.progress && !!process.stderr.isTTY,
    startStep,
    total,
    say,
    clock.budget > 0 ? () => clock.budget - reserve - clock.sinceStart() : undefined,
  );
  let stop = false;
  const onSigint = () => {
    if (stop) return;
    stop = true;
    say('\ninterrupted: writing a checkpoint…');
  };
  if (options.handleSigint !== false) process.on('SIGINT', onSigint);

  const tLoop = clock.sinceStart();
  const out: LoopResult = { step: startStep, budgetStop: false, losses: [], lastEval: null };
  let stepsThisCall = 0;
  const batches = prefetch(run.data.source.batches(startStep), config.data.prefetch);
  try {
    while (out.step < total && !stop) {
      const next = await batches.next();
      if (next.done) break;
      const step = out.step;
      const rec = await runStep(run, trainStep, next.value, step, reserve);
      if (rec.images > 0) out.losses.push({ step, total: rec.loss.total });
      await appendLog(run.folder, rec);
      out.step = step + 1;
      stepsThisCall++;
      progress.update(out.step, rec);
      options.onStep?.(rec);
      if (out.step % config.eval.every === 0 && out.step < total) {
        out.lastEval = await evaluateAt(run, out.step);
        progress.note(`step ${out.step}: validation NME ${fmt(out.lastEval.metrics.nme)}`);
      }
      if (out.step % config.checkpoint.every === 0 && out.step < total)
        await checkpointAt(run, out.step);
      if (options.stopAfter !== undefined && stepsThisCall >= options.stopAfter) stop = true;
      if (
        clock.budget > 0 &&
        out.step < total &&
        clock.sinceStart() + reserve + (clock.sinceStart() - tLoop) / stepsThisCall >= clock.budget
      ) {
        say(
          `time budget of ${config.train.maxMinutes} min: training stops at step ${out.step} of ${total}`,
        );
        out.budgetStop = true;
        break;
      }
    }
  } finally {
    await batches.return?.();
    progress.stop();
    if (options.handleSigint !== false) process.off('SIGINT', onSigint);
  }
  return out;
}

/**
 * One step: drop bad samples, flip-double and arrange the batch, learning rate for this step
 * (by step, or by the fraction of the time budget used when that is further), one update.
 * A batch left with no usable sample makes no update and logs NaN losses.
 */
async function runStep(
  run: Run,
  trainStep: (s: Batch['samples'], pairs: number, lr: number) => Promise<StepResult>,
  batch: Batch,
  step: number,
  reserve: number,
): Promise<StepLog> {
  const { config, clock, say } = run;
  if (batch.step !== step)
    throw new Error(`data stream out of order: got step ${batch.step}, expected ${step}`);
  const tStep = performance.now();
  const { samples, pairs } = arrangeBatch(checkBatch(batch, run.report), config.data.flip);
  if (samples.length === 0) {
    say(`step ${step}: no usable sample (all skipped); no update`);
    const nan = Number.NaN;
    return {
      type: 'step',
      step,
      time: clock.elapsed(),
      lr: 0,
      loss: { total: nan, landmark: nan, symmetry: nan, multiview: nan, prior: nan },
      gradNorm: nan,
      images: 0,
      imagesPerSec: 0,
      applied: false,
    };
  }
  const total = config.train.steps;
  const progressed =
    clock.budget > 0
      ? Math.max(
          step / Math.max(1, total - 1),
          clock.sinceStart() / Math.max(1, clock.budget - reserve),
        )
      : undefined;
  const lr = learningRate(
    step,
    config.train.lr,
    total,
    config.train.schedule,
    config.train.warmupSteps,
    progressed,
  );
  const r = await trainStep(samples, pairs, lr);
  if (!r.applied)
    say(
      `step ${step}: non-finite loss or gradient (${r.loss.total}, ${r.gradNorm}); update skipped`,
    );
  const secs = (performance.now() - tStep) / 1000;
  return {
    type: 'step',
    step,
    time: clock.elapsed(),
    lr,
    loss: { ...r.loss },
    gradNorm: r.gradNorm,
    images: samples.length,
    imagesPerSec: samples.length / secs,
    applied: r.applied,
  };
}

/**
 * After the loop: unless interrupted, the final evaluation (which may export the best model);
 * a checkpoint; the export of the last model when no evaluation exported one; the report;
 * `summary.json`; the closing message.
 */
async function finishRun(
  run: Run,
  loop: LoopResult,
  initial: EvalMetrics | null,
  backendName: string,
): Promise<TrainResult> {
  const { config, folder, say, clock } = run;
  const { step } = loop;
  const interrupted = step < config.train.steps && !loop.budgetStop;
  let lastEval = loop.lastEval;
  let final: EvalMetrics | null = null;
  if (!interrupted) {
    lastEval = await evaluateAt(run, step);
    final = lastEval.metrics;
  }
  await checkpointAt(run, step);
  if (!run.exported && !interrupted)
    await exportModel(run.trainable.net.model, folder.modelDir, { step, metrics: final, config });

  const result: TrainResult = {
    runDir: folder.runDir,
    steps: step,
    interrupted,
    budgetStop: loop.budgetStop,
    initial,
    final,
    best: run.best,
    losses: loop.losses,
    elapsed: clock.elapsed(),
    data: run.report.toJSON(),
    backend: backendName,
    modelDir: run.best || run.exported ? folder.modelDir : null,
  };
  if (!interrupted && run.options.report !== false && lastEval) {
    await writeReport({
      runDir: folder.runDir,
      logPath: folder.logPath,
      grid: run.grid,
      valSamples: run.data.valSamples,
      predictions: lastEval.predictions,
      model: run.trainable.net.model,
      meanUvSamples: run.data.synth ? run.data.synth.identityViews(4, 8) : null,
      count: config.report.samples,
      initial,
      final,
      best: run.best,
    });
  }
  await writeSummary(folder, {
    ...result,
    losses: undefined,
    lossBalance: config.train.lossBalance,
    runSeconds: clock.sinceStart(),
    machine: { start: run.machineAtStart, end: machineInfo() },
  });
  if (interrupted) say(`stopped at step ${step}; resume with: --resume ${folder.runDir}`);
  else
    say(
      `done: ${step} steps in ${clock.elapsed().toFixed(0)} s; validation NME ${fmt(initial?.nme)} → ${fmt(final?.nme)} (eye), ${fmt(initial?.nmeBox)} → ${fmt(final?.nmeBox)} (box); NME ${initial && final ? `${(initial.nme / final.nme).toFixed(2)}× lower` : 'n/a'}; run time ${clock.sinceStart().toFixed(0)} s; run folder ${folder.runDir}`,
    );
  return result;
}

function fmt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4);
}

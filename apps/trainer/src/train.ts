import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileSystemIO, selectBackend, type BackendRequest } from '@3dmm-stn/backend';
import * as MM from '@3dmm-stn/morphable-model';
import type { GridModel, MorphableModel } from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { arrangeBatch } from './batch_tensors';
import { assignWeights, loadCheckpoint, saveCheckpoint } from './checkpoint';
import type { TrainConfig } from './config';
import { DataReport } from './data_report';
import { CheckpointError } from './errors';
import { type EvalMetrics, evaluate, type Prediction } from './evaluate';
import { type Batch, FolderDataset, listFolderDataset, readManifest } from './folder_dataset';
import { writeFileAtomic } from './fs_atomic';
import { buildNetwork } from './network';
import { GroupOptimizer, learningRate } from './optimizer';
import { createTrainStep } from './train_step';
import { createProgress } from './progress';
import { writeReport } from './report';
import { type FaceSample, sampleProblem } from './sample';
import { prefetch } from './stream';
import { meanFaceWidth, SyntheticFaces } from './synthetic';
import { SyntheticWorkerPool } from './synthetic_pool';

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

/** One line of `log.jsonl` for an evaluation. */
export interface EvalLog {
  type: 'eval';
  step: number;
  time: number;
  metrics: EvalMetrics;
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

function runName(config: TrainConfig): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `run-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-seed${config.seed}`;
}

/**
 * The model and its UV grid, as configured. A model file holding a GridModel (a resampled
 * `.3dmm`) is used as the grid directly; it can train on folder data only (synthetic faces are
 * rendered from the full mesh).
 */
export async function prepareModel(
  config: TrainConfig,
  given?: MorphableModel,
): Promise<{ model: MorphableModel | null; grid: GridModel }> {
  const loaded =
    given ?? (config.model.path ? await MM.loadModel(config.model.path) : MM.defaultModel());
  if (MM.isGridModel(loaded)) {
    if (config.data.source === 'synthetic') {
      throw new Error(
        `${config.model.path}: holds a UV-grid model; synthetic training renders the full mesh: give the MorphableModel it was resampled from`,
      );
    }
    return { model: null, grid: loaded };
  }
  const model = loaded;
  if (!model.texCoords) {
    throw new Error(
      `${config.model.path ?? 'model'}: has no texture coordinates; run \`3dmm-stn tutte\` and use a model with a UV embedding`,
    );
  }
  const shapeModes = Math.min(config.model.shapeModes, model.shape.numModes);
  const expressionModes = Math.min(config.model.expressionModes, model.expression?.numModes ?? 0);
  const grid = MM.resampleToGrid(model, model.texCoords, config.model.res, {
    shapeModes,
    expressionModes,
  });
  return { model, grid };
}

/**
 * Train the 3DMM-STN: localiser → θ → MorphableModelSTN → the four losses. Writes the run folder
 * (config.json, log.jsonl, checkpoints/, model/, report/, summary.json) and returns a summary.
 */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const say = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const tStart = performance.now();
  const budget = config.train.maxMinutes * 60; // seconds, 0 = none
  const sinceStart = () => (performance.now() - tStart) / 1000;
  const backend = await selectBackend({
    backend: config.backend === 'auto' ? undefined : (config.backend as BackendRequest),
  });
  say(
    `backend: ${backend.name}${backend.fellBackFrom.length ? ` (skipped: ${backend.fellBackFrom.join('; ')})` : ''}`,
  );

  const runDir = resolve(
    options.resume ??
      options.runDir ??
      join(config.output.dir, config.output.name ?? runName(config)),
  );
  const ckptDir = join(runDir, 'checkpoints');
  const logPath = join(runDir, 'log.jsonl');
  await mkdir(ckptDir, { recursive: true });
  if (!options.resume)
    await writeFileAtomic(join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);

  const { model: mm, grid } = await prepareModel(config, options.model);
  const D = grid.numModes;
  const S = config.localiser.inputSize;
  const faceWidth = mm ? meanFaceWidth(mm) : gridFaceWidth(grid);
  const net = buildNetwork({
    backbone: config.localiser.backbone,
    inputSize: S,
    grid,
    meanFaceWidth: faceWidth,
    fill: config.data.synthetic.faceFill,
    dropout: config.localiser.dropout,
    inputScale: config.localiser.inputScale,
    seed: config.seed,
  });
  const opt = new GroupOptimizer(
    [
      { name: 'backbone', variables: net.backboneVariables, lrMultiplier: 1 },
      { name: 'head', variables: net.headVariables, lrMultiplier: config.train.headLrMultiplier },
    ],
    {
      kind: config.train.optimizer,
      beta1: config.train.beta1,
      beta2: config.train.beta2,
      epsilon: config.train.epsilon,
      momentum: config.train.momentum,
    },
  );
  const localiserWeights = () =>
    net.localiser.weights.map((w) => ({ name: w.name, val: w.read() as tf.Variable }));

  // Data.
  const report = new DataReport((p) => say(`skipped ${p.path}: ${p.reason}`));
  let source: { batches(start: number): AsyncIterable<Batch> };
  let valSamples: FaceSample[];
  let valPairs = 0;
  let synth: SyntheticFaces | null = null;
  let pool: SyntheticWorkerPool | null = null;
  if (config.data.source === 'synthetic' && mm) {
    synth = new SyntheticFaces(mm, {
      ...config.data.synthetic,
      inputSize: S,
      shapeModes: grid.numShapeModes,
      expressionModes: D - grid.numShapeModes,
      seed: config.seed,
      batchSize: config.train.batchSize,
      pairs: config.data.pairs,
    });
    pool = await SyntheticWorkerPool.create(
      mm,
      synth.options,
      config.data.workers,
      config.data.prefetch + 1,
    );
    if (config.data.workers > 0 && !pool)
      say('data: rendering in-process (worker threads unavailable here)');
    source = pool ?? synth;
    valSamples = synth.validation(config.eval.samples);
    valPairs = valSamples.length / 2;
  } else {
    const entries = config.data.manifest
      ? await readManifest(config.data.manifest, { identity: config.data.identity })
      : await listFolderDataset(config.data.root ?? '.', {
          identity: config.data.identity,
          report,
        });
    const ds = new FolderDataset(entries, {
      inputSize: S,
      margin: config.data.margin,
      seed: config.seed,
      batchSize: config.train.batchSize,
      pairs: config.data.pairs,
      valFraction: config.data.valFraction,
      report,
    });
    source = ds;
    say(
      `dataset: ${ds.train.length} training and ${ds.val.length} validation images${ds.usesPairs ? ', same-identity pairs' : ''}`,
    );
    valSamples = [];
    for await (const s of ds.validation(config.eval.samples)) valSamples.push(s);
    // Pairs among validation samples: the first two of each identity.
    const byId = new Map<string, FaceSample[]>();
    for (const s of valSamples)
      if (s.identity !== null) byId.set(s.identity, [...(byId.get(s.identity) ?? []), s]);
    const pairs = [...byId.values()].filter((g) => g.length >= 2);
    if (pairs.length) {
      const rest = valSamples.filter((s) => !pairs.some((g) => g[0] === s || g[1] === s));
      valSamples = [...pairs.map((g) => g[0]), ...pairs.map((g) => g[1]), ...rest];
      valPairs = pairs.length;
    }
  }

  // Resume.
  let startStep = 0;
  let elapsedBefore = 0;
  let best: { step: number; nme: number } | null = null;
  if (options.resume) {
    const ck = await loadCheckpoint(ckptDir);
    if (ck.meta.seed !== config.seed) {
      throw new CheckpointError(
        ckptDir,
        `was written with seed ${ck.meta.seed}, the config has ${config.seed}`,
      );
    }
    assignWeights(ckptDir, localiserWeights(), ck.weights);
    opt.loadState(ck.meta.optimizer.t, ck.slots);
    tf.dispose([...ck.weights, ...ck.slots]);
    startStep = ck.meta.step;
    elapsedBefore = ck.meta.elapsed;
    best = ck.meta.best;
    // Drop log lines after the checkpoint (they will be recomputed identically).
    try {
      const lines = (await readFile(logPath, 'utf8')).split('\n').filter((l) => l.trim() !== '');
      const keep = lines.filter((l) => {
        const j = JSON.parse(l) as { step: number; type: string };
        return j.step < startStep || (j.step === startStep && j.type === 'eval');
      });
      await writeFileAtomic(logPath, keep.map((l) => `${l}\n`).join(''));
    } catch {
      /* no log yet */
    }
    say(`resumed from step ${startStep}`);
  } else {
    await writeFile(logPath, '');
  }

  const logLine = (obj: unknown) => appendFile(logPath, `${JSON.stringify(obj)}\n`);
  const t0 = performance.now();
  const elapsed = () => elapsedBefore + (performance.now() - t0) / 1000;
  const modelDir = join(runDir, 'model');
  let exported = false;

  const runEval = async (
    step: number,
  ): Promise<{ metrics: EvalMetrics; predictions: Prediction[] }> => {
    const r = await evaluate(net.model, grid, valSamples, { pairs: valPairs });
    await logLine({ type: 'eval', step, time: elapsed(), metrics: r.metrics } satisfies EvalLog);
    if (Number.isFinite(r.metrics.nme) && (best === null || r.metrics.nme < best.nme)) {
      best = { step, nme: r.metrics.nme };
      await exportModel(net.model, modelDir, { step, metrics: r.metrics, config });
      exported = true;
    }
    return r;
  };

  let initial: EvalMetrics | null = null;
  const tEval = performance.now();
  if (startStep === 0) {
    initial = (await runEval(0)).metrics;
    say(`step 0: validation NME ${fmt(initial.nme)} (eye) / ${fmt(initial.nmeBox)} (box)`);
  } else {
    initial = await firstEval(logPath);
  }

  const trainStep = createTrainStep({
    net,
    grid,
    optimizer: opt,
    lossWeights: config.train.lossWeights,
    clipNorm: config.train.clipNorm,
  });
  const total = config.train.steps;
  const progress = createProgress(
    config.report.progress && !!process.stderr.isTTY,
    startStep,
    total,
    say,
  );
  let stop = false;
  const onSigint = () => {
    if (stop) return;
    stop = true;
    say('\ninterrupted: writing a checkpoint…');
  };
  if (options.handleSigint !== false) process.on('SIGINT', onSigint);

  const losses: { step: number; total: number }[] = [];
  const checkpoint = async (step: number) =>
    saveCheckpoint(
      ckptDir,
      {
        step,
        seed: config.seed,
        optimizer: { kind: config.train.optimizer, t: opt.t },
        best,
        elapsed: elapsed(),
      },
      localiserWeights().map((w) => ({ name: w.name, tensor: w.val })),
      opt.stateTensors(),
      config.checkpoint.keep,
    );

  // Time kept for the final evaluation, checkpoint, export and report.
  const reserve = budget > 0 ? 15 + 3 * ((performance.now() - tEval) / 1000) : 0;
  const tLoop = sinceStart();
  let budgetStop = false;
  let step = startStep;
  let stepsThisCall = 0;
  let lastEval: { metrics: EvalMetrics; predictions: Prediction[] } | null = null;
  const batches = prefetch(source.batches(startStep), config.data.prefetch);
  try {
    while (step < total && !stop) {
      const next = await batches.next();
      if (next.done) break;
      const batch = next.value;
      if (batch.step !== step)
        throw new Error(`data stream out of order: got step ${batch.step}, expected ${step}`);
      const tStep = performance.now();
      const { samples, pairs } = arrangeBatch(checkBatch(batch, report), config.data.flip);
      let rec: StepLog;
      if (samples.length === 0) {
        say(`step ${step}: no usable sample (all skipped); no update`);
        rec = {
          type: 'step',
          step,
          time: elapsed(),
          lr: 0,
          loss: {
            total: Number.NaN,
            landmark: Number.NaN,
            symmetry: Number.NaN,
            multiview: Number.NaN,
            prior: Number.NaN,
          },
          gradNorm: Number.NaN,
          images: 0,
          imagesPerSec: 0,
          applied: false,
        };
      } else {
        const progressed =
          budget > 0
            ? Math.max(step / Math.max(1, total - 1), sinceStart() / Math.max(1, budget - reserve))
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
        const { total: tot, landmark: lm, symmetry: sym, multiview: mv, prior: pr } = r.loss;
        const gn = r.gradNorm;
        const finite = r.applied;
        if (!finite)
          say(`step ${step}: non-finite loss or gradient (${tot}, ${gn}); update skipped`);
        const secs = (performance.now() - tStep) / 1000;
        rec = {
          type: 'step',
          step,
          time: elapsed(),
          lr,
          loss: { total: tot, landmark: lm, symmetry: sym, multiview: mv, prior: pr },
          gradNorm: gn,
          images: samples.length,
          imagesPerSec: samples.length / secs,
          applied: finite,
        };
        losses.push({ step, total: tot });
      }
      await logLine(rec);
      step++;
      stepsThisCall++;
      progress.update(step, rec);
      options.onStep?.(rec);
      if (step % config.eval.every === 0 && step < total) {
        lastEval = await runEval(step);
        progress.note(`step ${step}: validation NME ${fmt(lastEval.metrics.nme)}`);
      }
      if (step % config.checkpoint.every === 0 && step < total) await checkpoint(step);
      if (options.stopAfter !== undefined && stepsThisCall >= options.stopAfter) stop = true;
      if (
        budget > 0 &&
        step < total &&
        sinceStart() + reserve + (sinceStart() - tLoop) / stepsThisCall >= budget
      ) {
        say(
          `time budget of ${config.train.maxMinutes} min: training stops at step ${step} of ${total}`,
        );
        budgetStop = true;
        break;
      }
    }
  } finally {
    await batches.return?.();
    await pool?.close();
    progress.stop();
    if (options.handleSigint !== false) process.off('SIGINT', onSigint);
  }

  const interrupted = step < total && !budgetStop;
  let final: EvalMetrics | null = null;
  if (!interrupted) {
    lastEval = await runEval(step);
    final = lastEval.metrics;
  }
  await checkpoint(step);
  if (!exported && !interrupted)
    await exportModel(net.model, modelDir, { step, metrics: final, config });

  const result: TrainResult = {
    runDir,
    steps: step,
    interrupted,
    budgetStop,
    initial,
    final,
    best,
    losses,
    elapsed: elapsed(),
    data: report.toJSON(),
    backend: backend.name,
    modelDir: best || exported ? modelDir : null,
  };
  if (!interrupted && options.report !== false && lastEval) {
    const meanUv = synth ? synth.identityViews(4, 8) : null;
    await writeReport({
      runDir,
      logPath,
      grid,
      valSamples,
      predictions: lastEval.predictions,
      model: net.model,
      meanUvSamples: meanUv,
      count: config.report.samples,
      initial,
      final,
      best,
    });
  }
  await writeFileAtomic(
    join(runDir, 'summary.json'),
    `${JSON.stringify({ ...result, losses: undefined }, null, 2)}\n`,
  );
  if (interrupted) say(`stopped at step ${step}; resume with: --resume ${runDir}`);
  else
    say(
      `done: ${step} steps in ${elapsed().toFixed(0)} s; validation NME ${fmt(initial?.nme)} → ${fmt(final?.nme)} (eye), ${fmt(initial?.nmeBox)} → ${fmt(final?.nmeBox)} (box); NME ${initial && final ? `${(initial.nme / final.nme).toFixed(2)}× lower` : 'n/a'}; run time ${sinceStart().toFixed(0)} s; run folder ${runDir}`,
    );
  opt.dispose();
  net.model.dispose();
  return result;
}

/**
 * NaN guard before a batch reaches the network: a sample with a non-finite image value or
 * confident landmark is reported and dropped (with its pair partner, keeping pairs aligned).
 */
export function checkBatch(batch: Batch, report: DataReport): Batch {
  const bad = batch.samples.map((s) => sampleProblem(s));
  if (bad.every((b) => b === null)) return batch;
  batch.samples.forEach((s, i) => {
    if (bad[i]) report.add(s.source, `bad sample: ${bad[i]}`);
  });
  const P = batch.pairs;
  if (P > 0) {
    const keep = Array.from({ length: P }, (_, i) => i).filter((i) => !bad[i] && !bad[P + i]);
    return {
      step: batch.step,
      samples: [...keep.map((i) => batch.samples[i]), ...keep.map((i) => batch.samples[P + i])],
      pairs: keep.length,
    };
  }
  return { step: batch.step, samples: batch.samples.filter((_, i) => !bad[i]), pairs: 0 };
}

/** x extent of the grid's landmark rows (mm), for the initial scale when only a grid is known. */
function gridFaceWidth(grid: GridModel): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < grid.landmarkIds.length; k++) {
    lo = Math.min(lo, grid.landmarkMean[3 * k]);
    hi = Math.max(hi, grid.landmarkMean[3 * k]);
  }
  return hi > lo ? hi - lo : 150;
}

function fmt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4);
}

async function firstEval(logPath: string): Promise<EvalMetrics | null> {
  try {
    for (const l of (await readFile(logPath, 'utf8')).split('\n')) {
      if (!l.trim()) continue;
      const j = JSON.parse(l) as EvalLog;
      if (j.type === 'eval') return j.metrics;
    }
  } catch {
    /* none */
  }
  return null;
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

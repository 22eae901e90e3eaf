import type { GridModel, MorphableModel } from '@3dmm-stn/morphable-model';
import type { TrainConfig } from './config';
import type { DataReport } from './data_report';
import { type Batch, FolderDataset, listFolderDataset, readManifest } from './folder_dataset';
import { type FaceSample, sampleProblem } from './sample';
import { SyntheticFaces } from './synthetic';
import { SyntheticWorkerPool } from './synthetic_pool';

/** The data side of a run: the training batch stream and the fixed validation set. */
export interface TrainingData {
  /** Batches from a given step on; batch k is a function of (seed, k) (resume). */
  source: { batches(start: number): AsyncIterable<Batch> };
  /** Validation samples; the first `valPairs` are view A of the next `valPairs`. */
  valSamples: FaceSample[];
  valPairs: number;
  /** The synthetic generator (report: mean UV per identity), null for folder data. */
  synth: SyntheticFaces | null;
  /** Stop the worker threads (if any). */
  close(): Promise<void>;
}

/**
 * Open the configured data: synthetic faces rendered from `mm` (in worker threads when
 * `data.workers` > 0 and threads can run), or a folder / manifest dataset cropped around its
 * landmarks. Validation pairs of a folder dataset are the first two samples of each identity.
 */
export async function openTrainingData(
  config: TrainConfig,
  mm: MorphableModel | null,
  grid: GridModel,
  report: DataReport,
  say: (line: string) => void,
): Promise<TrainingData> {
  const S = config.localiser.inputSize;
  if (config.data.source === 'synthetic' && mm) {
    const synth = new SyntheticFaces(mm, {
      ...config.data.synthetic,
      inputSize: S,
      shapeModes: grid.numShapeModes,
      expressionModes: grid.numModes - grid.numShapeModes,
      seed: config.seed,
      batchSize: config.train.batchSize,
      pairs: config.data.pairs,
    });
    const pool = await SyntheticWorkerPool.create(
      mm,
      synth.options,
      config.data.workers,
      config.data.prefetch + 1,
    );
    if (config.data.workers > 0 && !pool)
      say('data: rendering in-process (worker threads unavailable here)');
    const valSamples = synth.validation(config.eval.samples);
    return {
      source: pool ?? synth,
      valSamples,
      valPairs: valSamples.length / 2,
      synth,
      close: async () => {
        await pool?.close();
      },
    };
  }
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
    jitter: config.data.jitter,
    pairSingles: config.data.pairSingles,
  });
  say(
    `dataset: ${ds.train.length} training and ${ds.val.length} validation images${ds.usesPairs ? ', same-identity pairs' : ''}`,
  );
  const loaded: FaceSample[] = [];
  for await (const s of ds.validation(config.eval.samples)) loaded.push(s);
  return { source: ds, ...pairValidation(loaded), synth: null, close: async () => {} };
}

/** Pairs among validation samples: the first two of each identity, A views then B views. */
function pairValidation(samples: FaceSample[]): { valSamples: FaceSample[]; valPairs: number } {
  const byId = new Map<string, FaceSample[]>();
  for (const s of samples)
    if (s.identity !== null) byId.set(s.identity, [...(byId.get(s.identity) ?? []), s]);
  const pairs = [...byId.values()].filter((g) => g.length >= 2);
  if (!pairs.length) return { valSamples: samples, valPairs: 0 };
  const rest = samples.filter((s) => !pairs.some((g) => g[0] === s || g[1] === s));
  return {
    valSamples: [...pairs.map((g) => g[0]), ...pairs.map((g) => g[1]), ...rest],
    valPairs: pairs.length,
  };
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

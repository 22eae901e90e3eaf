import type { GridModel, MorphableModel } from '@3dmm-stn/morphable-model';
import type { TrainConfig } from './config';
import type { DataReport } from './data_report';
import { type Batch, FolderDataset, listFolderDataset, readManifest } from './folder_dataset';
import { ConfigError } from './errors';
import { MixedSource } from './mixed_source';
import { loadRealAssets } from './real_assets';
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
  const syn = config.data.synthetic;
  if (
    config.data.source === 'synthetic' &&
    (syn.textures === 'manifest' ||
      syn.backgrounds === 'manifest' ||
      config.data.syntheticFraction > 0)
  )
    throw new ConfigError('config', [
      'data.synthetic.textures/backgrounds "manifest" and data.syntheticFraction need data.source "folder" (the photos they come from)',
    ]);
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
  // Synthetic faces in each batch: an even count (pairs), at least one pair when asked for.
  const B = config.train.batchSize;
  const fraction = config.data.syntheticFraction;
  const nSynth =
    fraction > 0 ? Math.min(B - 2, Math.max(2, 2 * Math.round((fraction * B) / 2))) : 0;
  if (fraction > 0 && !mm)
    throw new ConfigError('config', [
      'data.syntheticFraction renders the full mesh: give the MorphableModel, not a UV-grid model',
    ]);
  if (fraction > 0 && nSynth < 2)
    throw new ConfigError('config', [
      `data.syntheticFraction needs train.batchSize ≥ 4 (a real pair and a synthetic pair), got ${B}`,
    ]);
  const ds = new FolderDataset(entries, {
    inputSize: S,
    margin: config.data.margin,
    seed: config.seed,
    batchSize: B - nSynth,
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
  if (nSynth === 0 || !mm)
    return { source: ds, ...pairValidation(loaded), synth: null, close: async () => {} };
  // Real appearance from the training split only: the validation identities stay unseen.
  const assets =
    syn.textures === 'manifest' || syn.backgrounds === 'manifest'
      ? await loadRealAssets(ds.train, {
          inputSize: S,
          textureSize: syn.textureSize,
          textures: syn.textures === 'manifest',
          backgrounds: syn.backgrounds === 'manifest',
          seed: config.seed,
          report,
        })
      : null;
  const synth = new SyntheticFaces(
    mm,
    {
      ...syn,
      inputSize: S,
      shapeModes: grid.numShapeModes,
      expressionModes: grid.numModes - grid.numShapeModes,
      seed: config.seed,
      batchSize: nSynth,
      pairs: config.data.pairs,
    },
    assets && { textures: assets.textures, backgrounds: assets.backgrounds },
  );
  const pool = await SyntheticWorkerPool.create(
    mm,
    synth.options,
    config.data.workers,
    config.data.prefetch + 1,
    synth.assets,
  );
  say(
    `data: ${nSynth} of ${B} faces per batch synthetic (${syn.textures === 'manifest' ? `${assets?.textures.length} fit textures` : 'procedural textures'}, ${syn.backgrounds === 'manifest' ? `${assets?.backgrounds.length} photo backgrounds` : 'procedural backgrounds'})${pool ? '' : ', rendered in-process'}`,
  );
  return {
    source: new MixedSource(ds, pool ?? synth),
    ...pairValidation(loaded),
    synth: null,
    close: async () => {
      await pool?.close();
    },
  };
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

/**
 * `eval <images or folders…> --labels <dlib XML | .pts folder | .mat folder> [--crop detector|labels]
 * [--method …] [--json]`: landmark
 * error of `fit`, a trained localiser (alone and refined) and the detector's own landmarks
 * against labelled faces (see `eval/run.ts` for the protocol).
 */
import { selectBackend } from '@3dmm-stn/backend/node';
import { FitStn } from '@3dmm-stn/fit';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import { type EvalMethod, type EvalSummary, evaluateImages } from '../eval/run';
import { readLabels } from '../eval/labels';
import { LANDMARKS_FROM_CHOICES } from '../fit/faces';
import { landmarkDetector, modelFor, modesFor } from '../fit/run';
import { loadLocaliser } from '../fit/localiser';
import type { CliIO } from '../io';
import { gridFromModel, loadAnyModel } from '../model';
import {
  parseChoice,
  parseExpressionsFlag,
  parseOnOff,
  parseIntFlag,
  parseNumberFlag,
} from '../options';
import { expandImages } from './pseudo_label';
import { BACKEND_CHOICES } from './fit';

export interface EvalCommandOptions {
  labels?: string[];
  crop?: string;
  method?: string;
  localiser?: string;
  refine?: string;
  steps?: string;
  model?: string;
  landmarks?: string;
  shapeModes?: string;
  expressions?: string;
  contour?: string;
  expressionSparsity?: string;
  landmarksFrom?: string;
  minConfidence?: string;
  backend?: string;
  json?: boolean;
}

const METHOD_CHOICES = ['fit', 'localiser', 'both'] as const;
const CROP_CHOICES = ['detector', 'labels'] as const;
const deg = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)}°` : 'n/a');

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)} %` : 'n/a');

/** The human-readable report: one row per method, yaw buckets, missed faces. */
export function formatEval(s: EvalSummary): string {
  const lines: string[] = [];
  lines.push(
    `${s.labelledFaces} labelled faces in ${s.images - s.unlabelledImages.length} photos (${s.labels}); ${s.matchedFaces} matched to a detected face, ${s.missed.length} missed; ${s.points.length} ibug points scored (the model's)`,
  );
  lines.push('');
  lines.push('| method | faces | NME (eye) | NME (box) | 0–30° | 30–60° | 60–90° | s / face |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const [m, r] of Object.entries(s.methods)) {
    if (!r) continue;
    const b = r.byYaw.map((y) => (y.faces ? `${pct(y.nme)} (${y.faces})` : '–'));
    lines.push(
      `| ${m} | ${r.faces} (+${r.missed} missed) | ${pct(r.nme)} | ${pct(r.nmeBox)} | ${b.join(' | ')} | ${r.secondsPerFace.toFixed(3)} |`,
    );
  }
  const yawFrom = s.faces.some((f) => f.yawFrom === 'labels') ? 'ground-truth' : 'fitted';
  lines.push('');
  lines.push(
    `AFLW2000-3D protocol (3DDFA): 68 points, NME / √(w·h) of the ground-truth box, by ${yawFrom} |yaw|; crop: ${s.crop}`,
  );
  lines.push('');
  lines.push(
    '| method | 0–30° | 30–60° | 60–90° | mean of buckets | pose MAE yaw / pitch / roll | mean |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const [m, r] of Object.entries(s.methods)) {
    if (!r) continue;
    const b = r.nme68
      ? r.nme68.byYaw.map((y) => (y.faces ? `${pct(y.nme)} (${y.faces})` : '–'))
      : ['–', '–', '–'];
    // The protocol's mean needs all three buckets: an empty one leaves it undefined, not smaller.
    const mob = !r.nme68
      ? 'fewer than 68 points'
      : r.nme68.byYaw.some((y) => y.faces === 0)
        ? 'n/a (empty bucket)'
        : pct(r.nme68.meanOfBuckets);
    const p = r.poseMae;
    lines.push(
      `| ${m} | ${b.join(' | ')} | ${mob} | ${p ? `${deg(p.yaw)} / ${deg(p.pitch)} / ${deg(p.roll)}` : '–'} | ${p ? deg(p.mean) : '–'} |`,
    );
  }
  if (s.missed.length) {
    lines.push('');
    lines.push(`missed (no detected face overlaps the label; not in the means above):`);
    for (const m of s.missed) lines.push(`  ${m.label} (${m.image})`);
  }
  if (s.unlabelledImages.length)
    lines.push(
      '',
      `images without labels (${s.unlabelledImages.length}): ${s.unlabelledImages.join(', ')}`,
    );
  if (s.labelledImagesNotGiven.length)
    lines.push(
      '',
      `labelled images not given (${s.labelledImagesNotGiven.length}): ${s.labelledImagesNotGiven.join(', ')}`,
    );
  for (const f of s.failed) lines.push(`failed: ${f.image}: ${f.error}`);
  return `${lines.join('\n')}\n`;
}

export async function evalCommand(
  inputs: string[],
  opts: EvalCommandOptions,
  io: CliIO,
): Promise<number> {
  if (!opts.labels?.length)
    throw new UsageError('eval: --labels <dlib XML… | .pts folder | .mat folder> is required');
  const crop = parseChoice('--crop', opts.crop ?? 'detector', CROP_CHOICES);
  const which = parseChoice('--method', opts.method ?? 'both', METHOD_CHOICES);
  const refine = parseIntFlag('--refine', opts.refine, 0, 10000);
  const steps = parseIntFlag('--steps', opts.steps, 0, 100000);
  const minConfidence = parseNumberFlag('--min-confidence', opts.minConfidence, 0, 1);
  const backend = parseChoice('--backend', opts.backend, BACKEND_CHOICES);
  const landmarksFrom = parseChoice(
    '--landmarks-from',
    opts.landmarksFrom ?? 'face-api',
    LANDMARKS_FROM_CHOICES,
  );
  const wantsLocaliser = which === 'localiser' || which === 'both';
  if (wantsLocaliser && !opts.localiser && which === 'localiser')
    throw new UsageError('eval: --method localiser needs --localiser pretrained|<dir>');
  if (which === 'both' && !opts.localiser)
    io.stderr(
      'eval: --method both without --localiser: the localiser is not scored (give --localiser pretrained|<dir> to score it)\n',
    );
  if (refine && refine > 0 && !opts.localiser)
    io.stderr(
      `eval: --refine ${refine} ignored: it refines a localiser's θ and no --localiser was given\n`,
    );
  const labels = await readLabels(opts.labels);
  const images = await expandImages(inputs, (line) => io.stderr(`eval: ${line}\n`));
  await selectBackend({ backend });
  const model = await loadAnyModel(modelFor(opts), opts.landmarks);
  const localiser =
    wantsLocaliser && opts.localiser ? await loadLocaliser(opts.localiser) : undefined;
  const { grid } = gridFromModel(
    model,
    112,
    modesFor(
      {
        shapeModes: parseIntFlag('--shape-modes', opts.shapeModes, 0),
        expressionModes: parseExpressionsFlag(opts.expressions),
      },
      localiser,
    ),
  );
  const g = new FitStn(grid);
  const methods: EvalMethod[] = ['detector'];
  if (which === 'fit' || which === 'both') methods.push('fit');
  if (localiser) {
    methods.push('localiser');
    if (refine && refine > 0) methods.push('localiser+refine');
  }
  const detector = await landmarkDetector(landmarksFrom);
  let summary: EvalSummary;
  try {
    summary = await evaluateImages(images, labels, opts.labels.join(', '), detector, g, {
      methods,
      localiser,
      steps,
      refine,
      contour: parseOnOff('--contour', opts.contour),
      expressionSparsity: parseNumberFlag('--expression-sparsity', opts.expressionSparsity, 0, 1e6),
      minConfidence,
      crop,
      onImage: (done, total, image) => {
        if (!opts.json) io.stderr(`eval ${image} (${done}/${total})\n`);
      },
    });
  } finally {
    localiser?.model.dispose();
  }
  io.stdout(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatEval(summary));
  return summary.failed.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

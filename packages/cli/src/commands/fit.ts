import cliProgress from 'cli-progress';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import { LANDMARKS_FROM_CHOICES } from '../fit/faces';
import { fitImages, type FitOptions } from '../fit/run';
import type { CliIO } from '../io';
import {
  parseChoice,
  parseExpressionsFlag,
  parseOnOff,
  parseIntFlag,
  parseNumberFlag,
} from '../options';

export interface FitCommandOptions {
  out?: string;
  model?: string;
  landmarks?: string;
  localiser?: string;
  refine?: string;
  shapeModes?: string;
  expressions?: string;
  contour?: string;
  expressionSparsity?: string;
  landmarksFrom?: string;
  res?: string;
  steps?: string;
  init?: string;
  maxFaces?: string;
  minConfidence?: string;
  backend?: string;
  json?: boolean;
}

export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'] as const;

/** `fit <images…> --out DIR`: exit 0 if every image gave ≥ 1 fitted face, else 1. */
export async function fitCommand(
  images: string[],
  opts: FitCommandOptions,
  io: CliIO,
): Promise<number> {
  if (!opts.out) throw new UsageError('fit: --out DIR is required');
  if (opts.refine !== undefined && !opts.localiser)
    throw new UsageError('fit: --refine N needs --localiser pretrained|<dir>');
  const options: FitOptions = {
    outDir: opts.out,
    model: opts.model,
    landmarks: opts.landmarks,
    localiser: opts.localiser,
    refine: parseIntFlag('--refine', opts.refine, 0, 100000),
    res: parseIntFlag('--res', opts.res, 2, 1024),
    shapeModes: parseIntFlag('--shape-modes', opts.shapeModes, 0),
    contour: parseOnOff('--contour', opts.contour),
    expressionSparsity: parseNumberFlag('--expression-sparsity', opts.expressionSparsity, 0, 1e6),
    landmarksFrom: parseChoice('--landmarks-from', opts.landmarksFrom, LANDMARKS_FROM_CHOICES),
    expressionModes: parseExpressionsFlag(opts.expressions),
    steps: parseIntFlag('--steps', opts.steps, 0, 100000),
    init: parseChoice('--init', opts.init, ['closed-form', 'pose'] as const),
    maxFaces: parseIntFlag('--max-faces', opts.maxFaces, 1),
    minConfidence: parseNumberFlag('--min-confidence', opts.minConfidence, 0, 1),
    backend: parseChoice('--backend', opts.backend, BACKEND_CHOICES),
  };
  const showBar =
    !opts.json && io.stderrIsTTY && io.progressStream !== undefined && images.length > 1;
  const bar = showBar
    ? new cliProgress.SingleBar(
        {
          stream: io.progressStream,
          format: 'fit [{bar}] {value}/{total} images | {file}',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(images.length, 0, { file: '' });
  let summary: Awaited<ReturnType<typeof fitImages>>;
  try {
    summary = await fitImages(images, {
      ...options,
      onImage: (done, _total, image, error) => {
        if (error) {
          // Reported with its path while the others go on.
          if (bar) bar.stop();
          io.stderr(`error: ${error.message}\n`);
          if (bar) bar.start(images.length, done, { file: image });
        }
        bar?.update(done, { file: image });
        if (!bar && !opts.json && !error) io.stderr(`fitted ${image} (${done}/${images.length})\n`);
      },
    });
  } finally {
    bar?.stop();
  }
  if (opts.json) {
    io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    const rms = summary.records.map((r) => r.error.rmsPx);
    const nrms = summary.records.map((r) => r.error.rmsNormalised);
    const fitS = summary.records.map((r) => r.seconds.fit);
    const fitCpu = summary.records.map((r) => r.seconds.fitCpu);
    const med = (a: number[]) =>
      a.length ? [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] : Number.NaN;
    io.stderr(
      `${summary.images - summary.failed.length}/${summary.images} images, ${summary.faces} faces fitted (${summary.backend}, ${summary.model.name}, res ${summary.model.res}); ` +
        `landmark RMS median ${med(rms).toFixed(2)} px (${(100 * med(nrms)).toFixed(1)} % of the eye-corner distance); ` +
        `fit median ${med(fitS).toFixed(2)} s/face (CPU ${med(fitCpu).toFixed(2)} s); total ${summary.seconds.total.toFixed(1)} s; outputs in ${opts.out}\n`,
    );
    for (const f of summary.failed) io.stderr(`failed: ${f.error}\n`);
  }
  return summary.failed.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

import { extname } from 'node:path';
import { saveModel } from '@3dmm-stn/morphable-model/node';
import { UsageError } from '../errors';
import type { CliIO } from '../io';
import { gridFromModel, loadAnyModel } from '../model';
import { parseIntFlag } from '../options';

export interface ResampleCommandOptions {
  res?: string;
  out?: string;
  landmarks?: string;
  shapeModes?: string;
  expressionModes?: string;
  json?: boolean;
}

/** `resample <model> --res N --out grid.3dmm`: the STN's UV-grid model. */
export async function resampleCommand(
  file: string | undefined,
  opts: ResampleCommandOptions,
  io: CliIO,
) {
  const res = parseIntFlag('--res', opts.res ?? '112', 2, 4096) as number;
  if (!opts.out) throw new UsageError('resample: --out FILE.3dmm is required');
  if (extname(opts.out).toLowerCase() !== '.3dmm')
    throw new UsageError(`resample: --out must end in .3dmm, got "${opts.out}"`);
  const model = await loadAnyModel(file, opts.landmarks);
  const t0 = performance.now();
  const build = gridFromModel(model, res, {
    shapeModes: parseIntFlag('--shape-modes', opts.shapeModes, 0),
    expressionModes: parseIntFlag('--expression-modes', opts.expressionModes, 0),
  });
  const seconds = (performance.now() - t0) / 1000;
  await saveModel(opts.out, build.grid);
  const g = build.grid;
  let valid = 0;
  for (const v of g.valid) valid += v;
  const result = {
    input: file ?? 'default',
    output: opts.out,
    res,
    validPoints: valid,
    triangles: g.triangles.length / 3,
    modes: { shape: g.numShapeModes, expression: g.numModes - g.numShapeModes },
    landmarks: Array.from(g.landmarkIds),
    embedding: build.embedding,
    flippedTriangles: build.flippedTriangles,
    seconds,
  };
  if (opts.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else
    io.stderr(
      `wrote ${opts.out}: ${res}×${res} grid, ${valid} valid points, ${result.modes.shape}+${result.modes.expression} modes, ${g.landmarkIds.length} landmarks (${build.embedding}, ${build.flippedTriangles} flipped UV triangles)\n`,
    );
  return result;
}

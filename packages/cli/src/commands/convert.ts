import { extname } from 'node:path';
import { saveModel } from '@3dmm-stn/morphable-model/node';
import { UsageError } from '../errors';
import type { CliIO } from '../io';
import { loadAnyModel, summariseModel } from '../model';

export interface ConvertOptions {
  landmarks?: string;
  json?: boolean;
}

const OUT_EXTENSIONS = ['.3dmm', '.obj'];

/** `convert <in> <out>`: any model `loadModel` reads → `.3dmm` (whole model) or `.obj` (mean mesh). */
export async function convertCommand(
  input: string,
  output: string,
  opts: ConvertOptions,
  io: CliIO,
) {
  const ext = extname(output).toLowerCase();
  if (!OUT_EXTENSIONS.includes(ext)) {
    throw new UsageError(
      `convert: cannot write "${ext || '(no extension)'}"; the output must end in ${OUT_EXTENSIONS.join(' or ')}`,
    );
  }
  const model = await loadAnyModel(input, opts.landmarks);
  await saveModel(output, model);
  const s = summariseModel(model);
  const result = {
    input,
    output,
    kind: s.kind,
    format: s.format,
    vertices: s.vertices,
    triangles: s.triangles,
    modes: s.modes,
  };
  if (opts.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else
    io.stderr(
      `wrote ${output} (${s.kind}, ${s.vertices} vertices, ${s.triangles} triangles${ext === '.obj' ? ', mean mesh only' : ''})\n`,
    );
  return result;
}

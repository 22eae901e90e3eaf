import type { CliIO } from '../io';
import { loadAnyModel, type ModelSummary, summariseModel } from '../model';

export interface InspectOptions {
  landmarks?: string;
  json?: boolean;
}

/** `inspect <model>`: sizes, modes, landmarks, symmetry, boundary loops and holes. */
export async function inspectCommand(
  file: string,
  opts: InspectOptions,
  io: CliIO,
): Promise<ModelSummary> {
  const model = await loadAnyModel(file, opts.landmarks);
  const s = summariseModel(model);
  if (opts.json) {
    io.stdout(`${JSON.stringify({ file, ...s }, null, 2)}\n`);
    return s;
  }
  const lines = [
    `${file}`,
    `  kind         ${s.kind}${s.grid ? ` (res ${s.grid.res}, ${s.grid.valid} valid grid points)` : ''}`,
    `  name         ${s.name}`,
    `  format       ${s.format}`,
    `  vertices     ${s.vertices}`,
    `  triangles    ${s.triangles}`,
    `  modes        ${s.modes.shape} identity, ${s.modes.expression} expression, ${s.modes.color} colour`,
    `  landmarks    ${s.landmarks.defined} of 68 ibug points${s.landmarks.missing.length ? ` (missing: ${compactRanges(s.landmarks.missing)})` : ''}`,
    `  texCoords    ${s.texCoords ? 'yes' : 'no'}`,
    `  symmetry     ${s.symmetry.source}: ${s.symmetry.involutive}/${s.vertices} involutive, ${s.symmetry.fixedPoints} on the midline, ${s.symmetry.trianglesMapped}/${s.triangles} triangles mapped`,
    `  boundary     ${s.boundaryLoops.length} loop(s) of ${s.boundaryLoops.join(', ') || '—'} edges; ${s.holes} hole(s)`,
  ];
  if (s.licence) lines.push(`  licence      ${s.licence}`);
  io.stdout(`${lines.join('\n')}\n`);
  return s;
}

/** [1,2,3,5,7,8] → "1–3, 5, 7–8". */
export function compactRanges(ids: number[]): string {
  const parts: string[] = [];
  for (let k = 0; k < ids.length; ) {
    let e = k;
    while (e + 1 < ids.length && ids[e + 1] === ids[e] + 1) e++;
    parts.push(e === k ? `${ids[k]}` : `${ids[k]}–${ids[e]}`);
    k = e + 1;
  }
  return parts.join(', ');
}

import { extname } from 'node:path';
import {
  computeSymmetry,
  isGridModel,
  signedAreas2D,
  type TutteBoundary,
  type TutteWeights,
  tutteEmbedding,
  writeFileAtomic,
} from '@3dmm-stn/morphable-model/node';
import { Canvas } from '../draw';
import { UsageError } from '../errors';
import { writePng } from '../image';
import type { CliIO } from '../io';
import { loadAnyModel } from '../model';
import { parseChoice, parseIntFlag } from '../options';

export interface TutteCommandOptions {
  out?: string;
  weights?: string;
  boundary?: string;
  symmetric?: boolean;
  size?: string;
  json?: boolean;
}

const WEIGHTS: readonly TutteWeights[] = ['uniform', 'meanValue', 'cotangent'];
const BOUNDARIES: readonly TutteBoundary[] = ['square', 'circle'];

/**
 * `tutte <mesh or model> --out uv.json|uv.png`: the Tutte embedding of the mean mesh. JSON gets
 * the (u, v) of every vertex; PNG a drawing of the layout (v up, flipped triangles in red,
 * boundary loops in blue).
 */
export async function tutteCommand(file: string, opts: TutteCommandOptions, io: CliIO) {
  if (!opts.out) throw new UsageError('tutte: --out uv.json or uv.png is required');
  const ext = extname(opts.out).toLowerCase();
  if (ext !== '.json' && ext !== '.png')
    throw new UsageError(`tutte: --out must end in .json or .png, got "${opts.out}"`);
  const weights = parseChoice('--weights', opts.weights, WEIGHTS) ?? 'meanValue';
  const boundary = parseChoice('--boundary', opts.boundary, BOUNDARIES) ?? 'square';
  const size = parseIntFlag('--size', opts.size ?? '1024', 16, 8192) as number;
  const model = await loadAnyModel(file);
  const mesh = { positions: model.mean, triangles: model.triangles };
  let symmetry: Int32Array | undefined;
  if (opts.symmetric)
    symmetry = isGridModel(model)
      ? Int32Array.from(model.mirror)
      : (model.symmetry ?? computeSymmetry(model));
  const t0 = performance.now();
  const r = tutteEmbedding(mesh, {
    weights,
    boundary,
    symmetric: Boolean(opts.symmetric),
    symmetry,
  });
  const seconds = (performance.now() - t0) / 1000;
  const summary = {
    input: file,
    output: opts.out,
    vertices: r.uv.length / 2,
    triangles: model.triangles.length / 3,
    weights,
    boundary,
    symmetric: Boolean(opts.symmetric),
    flippedTriangles: r.flippedTriangles,
    converged: r.converged,
    iterations: r.iterations,
    residual: r.residual,
    boundaryLength: r.boundary.length,
    holes: r.holes.map((h) => h.length),
    seconds,
  };
  if (ext === '.json') {
    const uv: ([number, number] | null)[] = [];
    for (let i = 0; i < r.uv.length / 2; i++) {
      const u = r.uv[2 * i];
      const v = r.uv[2 * i + 1];
      uv.push(Number.isFinite(u) && Number.isFinite(v) ? [u, v] : null);
    }
    await writeFileAtomic(opts.out, `${JSON.stringify({ ...summary, output: undefined, uv })}\n`);
  } else {
    const img = drawLayout(r.uv, model.triangles, [r.boundary, ...r.holes], size);
    await writePng(opts.out, img.data, size, size);
  }
  if (opts.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else
    io.stderr(
      `wrote ${opts.out}: ${summary.vertices} vertices, ${weights} weights on a ${boundary}${summary.symmetric ? ', symmetric' : ''}; ${r.flippedTriangles} flipped (folded) triangle(s); ${r.holes.length} hole(s); converged ${r.converged}\n`,
    );
  return summary;
}

/** Triangle edges in grey, flipped triangles filled red, boundary loops blue; v up. */
export function drawLayout(
  uv: Float32Array,
  triangles: Uint32Array,
  loops: Uint32Array[],
  size: number,
): Canvas {
  const c = new Canvas(size, size);
  const m = 8;
  const s = size - 1 - 2 * m;
  const X = (u: number) => m + u * s;
  const Y = (v: number) => m + (1 - v) * s;
  const areas = signedAreas2D(uv, triangles);
  for (let t = 0; t < triangles.length / 3; t++) {
    const a = triangles[3 * t];
    const b = triangles[3 * t + 1];
    const d = triangles[3 * t + 2];
    const flipped = !(areas[t] > 0);
    const colour = flipped ? ([220, 0, 0] as const) : ([120, 120, 120] as const);
    for (const [p, q] of [
      [a, b],
      [b, d],
      [d, a],
    ])
      c.line(
        X(uv[2 * p]),
        Y(uv[2 * p + 1]),
        X(uv[2 * q]),
        Y(uv[2 * q + 1]),
        colour,
        flipped ? 1 : 0.6,
      );
    if (flipped)
      c.dot(
        X((uv[2 * a] + uv[2 * b] + uv[2 * d]) / 3),
        Y((uv[2 * a + 1] + uv[2 * b + 1] + uv[2 * d + 1]) / 3),
        3,
        [220, 0, 0],
      );
  }
  for (const loop of loops)
    for (let k = 0; k < loop.length; k++) {
      const p = loop[k];
      const q = loop[(k + 1) % loop.length];
      c.line(X(uv[2 * p]), Y(uv[2 * p + 1]), X(uv[2 * q]), Y(uv[2 * q + 1]), [0, 60, 220]);
    }
  return c;
}

import {
  isGridModel,
  type MorphableModel,
  type RenderImage,
  render,
  selectExpressions,
} from '@3dmm-stn/morphable-model';
import { UsageError } from '../errors';
import { readRgb, writePng } from '../image';
import type { CliIO } from '../io';
import { type AnyModel, gridAsMorphable, loadAnyModel } from '../model';
import { parseIntFlag, readThetaFile } from '../options';

export interface RenderCommandOptions {
  theta?: string;
  out?: string;
  size?: string;
  texture?: string;
  landmarks?: string;
  json?: boolean;
}

/**
 * `render <model> --theta θ.json --out img.png`: the orthographic projection of the STN
 * (p = exp(log s)·[x', −y'] + t, pixels of the output image) with a depth test. Without θ the
 * mean face is shown frontally, filling 80 % of the image. With a `fit` record as θ and no
 * `--size`, the image has the photo's size, so the fit's uv.png as texture re-renders the face
 * where it was. Without a texture a checker in UV
 * space (lines every 1/16) with Lambert shading shows the geometry and the embedding.
 */
export async function renderCommand(
  file: string | undefined,
  opts: RenderCommandOptions,
  io: CliIO,
) {
  if (!opts.out) throw new UsageError('render: --out FILE.png is required');
  const size = parseIntFlag('--size', opts.size, 8, 8192);
  const any = await loadAnyModel(file, opts.landmarks);
  let model = asRenderable(any);
  let theta: number[];
  // A fit record's θ is in pixels of its photo: without --size, render at the photo's size.
  let width = size ?? 224;
  let height = size ?? 224;
  let modes = { shape: model.shape.numModes, expression: model.expression?.numModes ?? 0 };
  if (opts.theta) {
    const tf = await readThetaFile(opts.theta);
    theta = tf.theta;
    if (size === undefined && tf.imageSize) [width, height] = tf.imageSize;
    const d = theta.length - 6;
    // A record's blendshapes by name: the model's expression modes in θ's order.
    if (tf.expressions && model.expression?.names) {
      try {
        model = selectExpressions(model, tf.expressions);
      } catch (e) {
        throw new UsageError(`--theta: ${(e as Error).message}`);
      }
    }
    if (tf.modes) modes = tf.modes;
    else modes = { shape: Math.min(d, modes.shape), expression: Math.max(0, d - modes.shape) };
    if (modes.shape + modes.expression !== d)
      throw new UsageError(
        `--theta: θ has ${d} coefficients but its "modes" say ${modes.shape} + ${modes.expression}`,
      );
    if (
      modes.shape > model.shape.numModes ||
      modes.expression > (model.expression?.numModes ?? 0)
    ) {
      throw new UsageError(
        `--theta: θ needs ${modes.shape} identity + ${modes.expression} expression modes; the model has ${model.shape.numModes} + ${model.expression?.numModes ?? 0}`,
      );
    }
  } else {
    theta = frontalTheta(model, width);
    modes = { shape: 0, expression: 0 };
  }
  const texture = opts.texture ? await readRgb(opts.texture) : checkerTexture();
  const tex: RenderImage = {
    data: texture.data,
    width: texture.width,
    height: texture.height,
    channels: 3,
  };
  const r = render(
    model,
    theta.slice(6),
    { r: theta.slice(0, 3), t: theta.slice(3, 5), logS: theta[5] },
    tex,
    width,
    height,
    {
      numShapeModes: modes.shape,
      numExpressionModes: modes.expression,
      background: [40, 40, 40],
      light: opts.texture ? undefined : { direction: [0.3, 0.4, 1], ambient: 0.35 },
    },
  );
  await writePng(opts.out, r.image as Uint8Array, width, height);
  let covered = 0;
  for (const f of r.faceId) if (f >= 0) covered++;
  const result = {
    input: file ?? 'default',
    output: opts.out,
    width,
    height,
    theta,
    modes,
    coveredPixels: covered,
  };
  if (opts.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else io.stderr(`wrote ${opts.out} (${width}×${height}, the face covers ${covered} pixels)\n`);
  return result;
}

/** A model the renderer takes: GridModels become their valid-point mesh with grid UVs. */
export function asRenderable(model: AnyModel): MorphableModel {
  if (isGridModel(model)) return gridAsMorphable(model).model;
  if (!model.texCoords) {
    throw new UsageError(
      `render: the model "${model.metadata.name}" has no texture coordinates (resample it to a .3dmm grid first)`,
    );
  }
  return model;
}

/** θ showing the mean frontally, centred, its larger extent 80 % of the image. */
export function frontalTheta(model: MorphableModel, size: number): number[] {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < model.numVertices; i++) {
    x0 = Math.min(x0, model.mean[3 * i]);
    x1 = Math.max(x1, model.mean[3 * i]);
    y0 = Math.min(y0, model.mean[3 * i + 1]);
    y1 = Math.max(y1, model.mean[3 * i + 1]);
  }
  const s = (0.8 * size) / Math.max(x1 - x0, y1 - y0);
  const c = (size - 1) / 2;
  return [0, 0, 0, c - (s * (x0 + x1)) / 2, c + (s * (y0 + y1)) / 2, Math.log(s)];
}

/** 256² skin-toned texture with darker lines every 16 texels. */
export function checkerTexture(): { data: Uint8Array; width: number; height: number } {
  const n = 256;
  const data = new Uint8Array(n * n * 3);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const line = i % 16 === 0 || j % 16 === 0;
      data.set(line ? [150, 110, 90] : [230, 190, 165], 3 * (i * n + j));
    }
  return { data, width: n, height: n };
}

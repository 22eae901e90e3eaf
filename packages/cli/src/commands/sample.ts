import { selectBackend } from '@3dmm-stn/backend/node';
import { extractTexture, FitStn, type StnForward } from '@3dmm-stn/fit';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { readRgb, toUint8, writePng } from '../image';
import type { CliIO } from '../io';
import { gridFromModel, loadAnyModel } from '../model';
import { parseChoice, parseIntFlag, readThetaFile } from '../options';
import { BACKEND_CHOICES } from './fit';

export interface SampleCommandOptions {
  image: string;
  theta: string;
  model?: string;
  landmarks?: string;
  res?: string;
  out: string;
  mask?: string;
  masked?: string;
  backend?: string;
  json?: boolean;
}

/**
 * `sample --image I --theta θ.json --model M --out uv.png`: the STN forward pass. θ is in pixels
 * of the image (a `fit` record's `theta` is), so sampling a photo with its fit record reproduces
 * the fit's uv.png.
 */
export async function sampleCommand(opts: SampleCommandOptions, io: CliIO) {
  const backend = parseChoice('--backend', opts.backend, BACKEND_CHOICES);
  const res = parseIntFlag('--res', opts.res, 2, 1024);
  const theta = await readThetaFile(opts.theta);
  const info = await selectBackend({ backend });
  const model = await loadAnyModel(opts.model, opts.landmarks);
  // A fit record says which modes its θ holds: its identity count and its blendshapes by name.
  const { grid } = gridFromModel(model, res, {
    shapeModes: theta.modes?.shape,
    expressionModes: theta.expressions ?? theta.modes?.expression,
  });
  if (theta.theta.length !== 6 + grid.numModes) {
    throw new UsageError(
      `--theta has ${theta.theta.length} values; the model's grid needs 6 + ${grid.numModes}`,
    );
  }
  const img = await readRgb(opts.image);
  const g = new FitStn(grid);
  const image = tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, 3]);
  let f: StnForward;
  try {
    f = extractTexture(g, image, theta.theta);
  } finally {
    image.dispose();
    g.dispose();
  }
  const r = grid.res;
  const uv = toUint8(f.uv);
  await writePng(opts.out, uv, r, r);
  let visible = 0;
  const mask = new Uint8Array(r * r);
  const masked = new Uint8Array(r * r * 3);
  for (let p = 0; p < r * r; p++) {
    if (f.mask[p] > 0.5) {
      visible++;
      mask[p] = 255;
      masked.set(uv.subarray(3 * p, 3 * p + 3), 3 * p);
    }
  }
  if (opts.mask) await writePng(opts.mask, mask, r, r, 1);
  if (opts.masked) await writePng(opts.masked, masked, r, r);
  const result = {
    image: opts.image,
    output: opts.out,
    mask: opts.mask ?? null,
    masked: opts.masked ?? null,
    backend: info.name,
    res: r,
    visiblePoints: visible,
    landmarks: Object.fromEntries(
      Array.from(grid.landmarkIds, (id, l) => [id, [f.landmarks[2 * l], f.landmarks[2 * l + 1]]]),
    ),
  };
  if (opts.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else io.stderr(`wrote ${opts.out} (${r}×${r}, ${visible} visible grid points)\n`);
  return result;
}

/** Node entry: load the pretrained network from the package's files (or a folder of your own). */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRETRAINED_FILES, PretrainedFileError, type PretrainedNetwork } from './index';
import { encodeFloat16 } from './float16';
import { loadPretrainedFromFiles } from './load';
import type { PretrainedMeta } from './meta';

export * from './index';

/** The package's `weights/` folder. */
export function pretrainedDir(): string {
  return fileURLToPath(new URL('../weights/', import.meta.url));
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PretrainedFileError(
      file,
      code === 'ENOENT'
        ? 'missing: expected the pretrained network file here (a broken install?)'
        : `cannot read: ${(e as Error).message}`,
    );
  }
}

/**
 * Load the pretrained network from `dir` (default: the package's `weights/`): `model.json`,
 * `weights.bin`, `pretrained.json`. Errors are `PretrainedFileError`s naming the file.
 */
export async function loadPretrained(options: { dir?: string } = {}): Promise<PretrainedNetwork> {
  const dir = options.dir ?? pretrainedDir();
  const names = {
    modelJson: join(dir, PRETRAINED_FILES.modelJson),
    weights: join(dir, PRETRAINED_FILES.weights),
    meta: join(dir, PRETRAINED_FILES.meta),
  };
  const [modelJson, weights, meta] = await Promise.all([
    readBytes(names.modelJson),
    readBytes(names.weights),
    readBytes(names.meta),
  ]);
  return loadPretrainedFromFiles({ modelJson, weights, meta, names });
}

/**
 * The shipped files from a training run: the run's exported model (its best validation step,
 * `model/`) copied unchanged except that float32 weights are stored as float16 (tfjs's own
 * weight quantisation: tfjs de-quantises them at load), and `pretrained.json` with the crop
 * rule and how the weights were made. Written to a temp folder, then renamed.
 */
export async function exportPretrained(
  runDir: string,
  out: string,
): Promise<{ bytes: number; step: number }> {
  const modelDir = join(runDir, 'model');
  const model = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8'));
  const training = JSON.parse(await readFile(join(modelDir, 'training.json'), 'utf8'));
  const summary = JSON.parse(
    await readFile(join(runDir, 'summary.json'), 'utf8').catch(() => 'null'),
  );
  const bin = new Uint8Array(await readFile(join(modelDir, 'weights.bin')));
  const group = model.weightsManifest[0];
  const parts: Uint8Array[] = [];
  let off = 0;
  for (const w of group.weights) {
    const n = w.shape.reduce((a: number, b: number) => a * b, 1);
    const bytes = bin.slice(off, off + 4 * n);
    off += 4 * n;
    if (w.dtype === 'float32') {
      const f16 = encodeFloat16(new Float32Array(bytes.buffer));
      parts.push(new Uint8Array(f16.buffer));
      w.quantization = { dtype: 'float16', original_dtype: 'float32' };
    } else parts.push(bytes);
  }
  if (off !== bin.length)
    throw new PretrainedFileError(
      join(modelDir, 'weights.bin'),
      `has ${bin.length} bytes, the manifest ${off}`,
    );
  group.paths = [PRETRAINED_FILES.weights];
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    weights.set(p, o);
    o += p.length;
  }
  const config = training.config;
  const meta: PretrainedMeta = {
    format: '3dmm-stn-pretrained',
    version: 1,
    inputSize: config.localiser.inputSize,
    crop: { rule: 'box', margin: config.data.margin },
    thetaLength: 6 + config.model.shapeModes + config.model.expressionModes,
    model: config.model.path ?? 'default (embedded)',
    outputs: ['theta', 'maskedUv', 'mask', 'landmarks'],
    training: {
      config: 'packages/pretrained/train/pretrained.yaml',
      step: training.step,
      validation: training.metrics,
      stepsRun: summary?.steps ?? null,
      minutes: summary?.elapsed ? summary.elapsed / 60 : null,
      resolved: config,
    },
  };
  const tmp = `${out}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, PRETRAINED_FILES.modelJson), JSON.stringify(model));
  await writeFile(join(tmp, PRETRAINED_FILES.weights), weights);
  await writeFile(join(tmp, PRETRAINED_FILES.meta), `${JSON.stringify(meta, null, 2)}\n`);
  await rm(out, { recursive: true, force: true });
  await rename(tmp, out);
  return { bytes: weights.length, step: training.step };
}

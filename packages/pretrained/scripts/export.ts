/**
 * `npm run export -w @3dmm-stn/pretrained -- <run folder> [--out weights]`: the shipped files
 * from a training run of `train/pretrained.yaml`. The run's exported model (its best validation
 * step, `model/`) is copied unchanged except that float32 weights are stored as float16
 * (tfjs's own weight quantisation: tfjs de-quantises them at load); `pretrained.json` records the
 * crop rule and how the weights were made (run, step, minutes, metrics, config). No weight is
 * changed by hand.
 */
import { readFile, rename, rm, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { encodeFloat16 } from '../src/float16';
import type { PretrainedMeta } from '../src/meta';

async function main(argv: string[]): Promise<void> {
  const runDir = argv.find((a) => !a.startsWith('--'));
  const outIdx = argv.indexOf('--out');
  const out = resolve(outIdx >= 0 ? argv[outIdx + 1] : join(import.meta.dirname, '..', 'weights'));
  if (!runDir) throw new Error('usage: export <run folder> [--out weights]');
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
    throw new Error(`weights.bin has ${bin.length} bytes, the manifest ${off}`);
  group.paths = ['weights.bin'];
  const weights = Buffer.concat(parts);
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
  await writeFile(join(tmp, 'model.json'), JSON.stringify(model));
  await writeFile(join(tmp, 'weights.bin'), weights);
  await writeFile(join(tmp, 'pretrained.json'), `${JSON.stringify(meta, null, 2)}\n`);
  await rm(out, { recursive: true, force: true });
  await rename(tmp, out);
  console.log(`${out}: weights.bin ${weights.length} bytes (float16), step ${training.step}`);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

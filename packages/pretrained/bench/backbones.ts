/**
 * `npx tsx --tsconfig packages/pretrained/tsconfig.json packages/pretrained/bench/backbones.ts [--json]`:
 * the measurement behind the choice of backbone and input size — forward time of an
 * (untrained) localiser per crop, batch 1, wasm, for vgg-tiny and vgg-small at 96² and 112²,
 * with parameters and float16 size. Warm-up 2, then the median of 10 interleaved rounds; the
 * machine and os.loadavg() before and after are printed.
 */
import os from 'node:os';
import { selectBackend } from '@3dmm-stn/backend/node';
import { createLocaliser } from '@3dmm-stn/localiser';
import * as tf from '@tensorflow/tfjs';

const json = process.argv.includes('--json');

async function main(): Promise<void> {
  await selectBackend({ backend: 'wasm' });
  const variants = (['vgg-tiny', 'vgg-small'] as const).flatMap((b) =>
    [96, 112].map((s) => ({
      key: `${b}@${s}`,
      s,
      m: createLocaliser({ backbone: b, inputSize: s }),
    })),
  );
  const x = new Map(variants.map((v) => [v.key, tf.randomUniform([1, v.s, v.s, 3], 0, 255)]));
  const times = new Map<string, number[]>(variants.map((v) => [v.key, []]));
  const loadBefore = os.loadavg();
  for (let r = 0; r < 12; r++)
    for (const v of variants) {
      const t0 = performance.now();
      tf.tidy(() => {
        (v.m.predict(x.get(v.key) as tf.Tensor) as tf.Tensor).dataSync();
      });
      if (r >= 2) times.get(v.key)?.push(performance.now() - t0);
    }
  const loadAfter = os.loadavg();
  const rows = variants.map((v) => {
    const a = [...(times.get(v.key) as number[])].sort((p, q) => p - q);
    return {
      variant: v.key,
      params: v.m.countParams(),
      float16MB: (v.m.countParams() * 2) / 1e6,
      ms: a[a.length >> 1],
    };
  });
  if (json)
    console.log(JSON.stringify({ cpus: os.cpus().length, loadBefore, loadAfter, rows }, null, 2));
  else {
    console.log(
      `${os.cpus().length}× ${os.cpus()[0]?.model}; load before ${loadBefore[0].toFixed(2)}, after ${loadAfter[0].toFixed(2)}`,
    );
    for (const r of rows)
      console.log(
        `| ${r.variant} | ${(r.params / 1e6).toFixed(2)} M | ${r.float16MB.toFixed(1)} MB | ${r.ms.toFixed(1)} ms |`,
      );
  }
  for (const v of variants) v.m.dispose();
  for (const t of x.values()) t.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

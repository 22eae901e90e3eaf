/**
 * `npm run export -w @3dmm-stn/pretrained -- <run folder> [--out weights]`: the shipped files
 * from a training run of `train/pretrained.yaml` (`exportPretrained`). No weight is changed by
 * hand: float32 weights are stored as float16, nothing else.
 */
import { join, resolve } from 'node:path';
import { exportPretrained } from '../src/node';

async function main(argv: string[]): Promise<void> {
  const runDir = argv.find((a) => !a.startsWith('--'));
  const outIdx = argv.indexOf('--out');
  const out = resolve(outIdx >= 0 ? argv[outIdx + 1] : join(import.meta.dirname, '..', 'weights'));
  if (!runDir) throw new Error('usage: export <run folder> [--out weights]');
  const r = await exportPretrained(runDir, out);
  console.log(`${out}: weights.bin ${r.bytes} bytes (float16), step ${r.step}`);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

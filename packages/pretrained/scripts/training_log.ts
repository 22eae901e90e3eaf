/**
 * `npm run training-log -w @3dmm-stn/pretrained -- <run folder> [--every N] [--out docs]`: the
 * README's training record from a run's `log.jsonl` — `training-log.csv` (means of every N steps,
 * default 100, with the validation NMEs at the evaluations) — and the run's own `loss.png` and
 * `metrics.png` copied beside it.
 */
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

interface StepLine {
  type: 'step';
  step: number;
  time: number;
  lr: number;
  loss: { total: number; landmark: number; symmetry: number; multiview: number; prior: number };
  imagesPerSec: number;
}
interface EvalLine {
  type: 'eval';
  step: number;
  metrics: { nme: number; nmeBox: number };
}

async function main(argv: string[]): Promise<void> {
  const run = argv.find((a) => !a.startsWith('--'));
  if (!run) throw new Error('usage: training-log <run folder> [--every N] [--out docs]');
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const every = Number(flag('--every') ?? 100);
  if (!(Number.isInteger(every) && every > 0))
    throw new Error(`--every must be a positive integer`);
  const out = resolve(flag('--out') ?? join(import.meta.dirname, '..', 'docs'));
  const lines = (await readFile(join(run, 'log.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as StepLine | EvalLine | { type: string };
      } catch {
        throw new Error(`${join(run, 'log.jsonl')}:${i + 1}: not JSON`);
      }
    });
  const evals = new Map<number, EvalLine>();
  for (const l of lines) if (l.type === 'eval') evals.set((l as EvalLine).step, l as EvalLine);
  const steps = lines.filter((l): l is StepLine => l.type === 'step');
  const rows = [
    'step,minutes,lr,loss_total,landmark,symmetry,multiview,prior,images_per_s,val_nme_eye,val_nme_box',
  ];
  for (let i = 0; i < steps.length; i += every) {
    const chunk = steps.slice(i, i + every);
    const last = chunk[chunk.length - 1];
    const mean = (f: (s: StepLine) => number) => chunk.reduce((a, s) => a + f(s), 0) / chunk.length;
    // The evaluation at or before this chunk's last step and after the previous chunk's.
    let ev: EvalLine | undefined;
    for (const [k, e] of evals) if (k > (steps[i - 1]?.step ?? -1) && k <= last.step + 1) ev = e;
    rows.push(
      [
        last.step + 1,
        (last.time / 60).toFixed(1),
        last.lr.toExponential(2),
        mean((s) => s.loss.total).toFixed(1),
        mean((s) => s.loss.landmark).toFixed(1),
        mean((s) => s.loss.symmetry).toFixed(1),
        mean((s) => s.loss.multiview).toFixed(1),
        mean((s) => s.loss.prior).toFixed(2),
        mean((s) => s.imagesPerSec).toFixed(2),
        ev ? ev.metrics.nme.toFixed(4) : '',
        ev ? ev.metrics.nmeBox.toFixed(4) : '',
      ].join(','),
    );
  }
  await mkdir(out, { recursive: true });
  const csv = join(out, 'training-log.csv');
  await writeFile(`${csv}.tmp-${process.pid}`, `${rows.join('\n')}\n`);
  await rename(`${csv}.tmp-${process.pid}`, csv);
  for (const png of ['loss.png', 'metrics.png'])
    await copyFile(join(run, 'report', png), join(out, png));
  console.log(`${out}: training-log.csv (${rows.length - 1} rows), loss.png, metrics.png`);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

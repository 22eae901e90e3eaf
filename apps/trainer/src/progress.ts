import cliProgress from 'cli-progress';
import type { StepLog } from './train';

/** Progress display: a cli-progress bar on a TTY, else a line every ~5% of the run. */
export interface Progress {
  update(step: number, rec: StepLog): void;
  /** A message that should not break the bar. */
  note(line: string): void;
  stop(): void;
}

const f = (x: number, d = 3) =>
  Number.isFinite(x) ? (Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(d)) : 'n/a';

/**
 * `budgetLeft` (seconds left of `train.maxMinutes`, when set): the time budget ends training
 * before `total` steps, so the ETA is the smaller of the two and, without a TTY, a line is also
 * printed every 30 s (5 % of a step count the budget never reaches would be rare).
 */
export function createProgress(
  tty: boolean,
  start: number,
  total: number,
  say: (l: string) => void,
  budgetLeft?: () => number,
): Progress {
  let ips = 0;
  const fields = (rec: StepLog) => {
    ips = ips === 0 ? rec.imagesPerSec : 0.9 * ips + 0.1 * rec.imagesPerSec;
    return {
      loss: f(rec.loss.total),
      lm: f(rec.loss.landmark),
      sym: f(rec.loss.symmetry),
      mv: f(rec.loss.multiview),
      prior: f(rec.loss.prior),
      ips: ips.toFixed(1),
    };
  };
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          'train |{bar}| {value}/{total} | loss {loss} (lm {lm} sym {sym} mv {mv} prior {prior}) | {ips} img/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { loss: '-', lm: '-', sym: '-', mv: '-', prior: '-', ips: '-' });
    return {
      update: (step, rec) => bar.update(step, fields(rec)),
      note: (line) => {
        process.stderr.write('\r\x1b[K');
        say(line);
        bar.render();
      },
      stop: () => bar.stop(),
    };
  }
  const every = Math.max(1, Math.round(total / 20));
  const t0 = performance.now();
  let lastLine = t0;
  return {
    update: (step, rec) => {
      const v = fields(rec);
      const now = performance.now();
      const due = budgetLeft !== undefined && now - lastLine >= 30_000;
      if (step % every !== 0 && step !== total && !due) return;
      lastLine = now;
      const secs = (now - t0) / 1000;
      let eta = step > start ? (secs / (step - start)) * (total - step) : 0;
      if (budgetLeft) eta = Math.min(eta, Math.max(0, budgetLeft()));
      say(
        `step ${step}/${total} loss ${v.loss} (lm ${v.lm} sym ${v.sym} mv ${v.mv} prior ${v.prior}) ${v.ips} img/s ETA ${eta.toFixed(0)} s`,
      );
    },
    note: say,
    stop: () => {},
  };
}

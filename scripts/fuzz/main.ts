/**
 * `npm run fuzz -- [--json] [--inputs N] [--kinds models,images,…] [--seed S] [--time-limit ms]
 *                  [--check] [--crashes DIR] [--readme FILE…]`
 *
 * Property-based fuzzing (fast-check) of every kind of input a user hands over: models, images,
 * labels, network weights, trainer configs, checkpoints. Each kind's N inputs are spread over its
 * formats; each input is a real seed file mutated by a fast-check-generated list of operations and
 * handed to the call a program makes on it. Outcome per input: `valid` (accepted), `typed` (an
 * error of one of the project's typed classes: `errorKind` of @3dmm-stn/checks, what the programs
 * print as one line), `untyped` (anything else: a bug), or `hangs` (over the per-input time limit;
 * the child process is killed and the run goes on with the next input).
 *
 * Prints `{"kinds": {"<kind>": {"inputs", "valid", "typed", "untyped", "hangs"}}, …}` with
 * `--json`; `--check` exits 1 when any input was untyped or hung (CI); `--crashes DIR` keeps those
 * inputs (and the error) for regression tests; `--readme FILE` writes the table between the
 * `<!-- fuzz:begin -->` / `<!-- fuzz:end -->` markers of FILE, with the machine and date;
 * `--from RESULT.json` prints or writes a saved `--json` result instead of running.
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSeed } from './main_seed';
import { FORMATS, KINDS, type Kind } from './targets';
import type { Job, ToParent, WorkerArgs } from './worker';

interface Counts {
  inputs: number;
  valid: number;
  typed: number;
  untyped: number;
  hangs: number;
}
const zero = (): Counts => ({ inputs: 0, valid: 0, typed: 0, untyped: 0, hangs: 0 });

interface Options {
  json: boolean;
  inputs: number;
  kinds: Kind[];
  seed: number;
  timeLimitMs: number;
  check: boolean;
  crashes: string;
  readme: string[];
  quiet: boolean;
  /** A saved `--json` result to print or write into READMEs instead of running. */
  from: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    json: false,
    inputs: 200,
    kinds: [...KINDS],
    seed: 20261207,
    timeLimitMs: 10_000,
    check: false,
    crashes: '',
    readme: [],
    quiet: false,
    from: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--check') o.check = true;
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--inputs') o.inputs = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--time-limit') o.timeLimitMs = Number(next());
    else if (a === '--crashes') o.crashes = resolve(next());
    else if (a === '--readme') o.readme.push(resolve(next()));
    else if (a === '--from') o.from = resolve(next());
    else if (a === '--kinds') {
      const ks = next().split(',');
      for (const k of ks)
        if (!(KINDS as readonly string[]).includes(k))
          throw new Error(`unknown kind ${k}; kinds: ${KINDS.join(', ')}`);
      o.kinds = ks as Kind[];
    } else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.inputs) || o.inputs < 1) throw new Error('--inputs: a positive integer');
  return o;
}

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.ts');
const TSCONFIG = join(dirname(fileURLToPath(import.meta.url)), 'tsconfig.json');

interface Finding {
  format: string;
  input: number;
  outcome: 'untyped' | 'hang';
  error?: string;
  saved?: string;
}

/**
 * Runs the plan's inputs in child processes, restarting past an input that hangs (killed at the
 * time limit) or kills its process; returns the counts per job.
 */
async function runPlan(
  jobs: Job[],
  o: Options,
  findings: Finding[],
  log: (s: string) => void,
): Promise<Counts[]> {
  const counts = jobs.map(zero);
  const firsts: number[] = [];
  let total = 0;
  for (const j of jobs) {
    firsts.push(total);
    total += j.count;
  }
  const jobOf = (i: number) => {
    let k = 0;
    while (k + 1 < jobs.length && firsts[k + 1] <= i) k++;
    return k;
  };
  const record = (i: number, what: keyof Counts, f?: Omit<Finding, 'format' | 'input'>) => {
    const k = jobOf(i);
    counts[k].inputs++;
    counts[k][what]++;
    if (f) {
      findings.push({ format: jobs[k].format, input: i - firsts[k], ...f });
      log(`${jobs[k].format} #${i - firsts[k]}: ${f.outcome}: ${f.error ?? ''}`);
    }
  };
  let start = 0;
  while (start < total) {
    const args: WorkerArgs = { jobs, start, crashDir: o.crashes };
    start = await new Promise<number>((done, fail) => {
      const child = fork(WORKER, [JSON.stringify(args)], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr?.on('data', (d) => {
        stderr = (stderr + d).slice(-4000);
      });
      let current = -1;
      let next = -1;
      let lastDone = -1;
      let lastOutcome: keyof Counts = 'valid';
      let timer: NodeJS.Timeout | undefined;
      const arm = (ms: number, onFire: () => void) => {
        clearTimeout(timer);
        timer = setTimeout(onFire, ms);
      };
      // Starting up and making the seeds (an .h5, encoded images) get two minutes.
      const seeding = () =>
        arm(120_000, () => {
          log('fuzz worker: no input started within 120 s');
          child.kill('SIGKILL');
        });
      seeding();
      child.on('message', (m: ToParent) => {
        if (m.type === 'seeding') seeding();
        else if (m.type === 'start') {
          current = m.i;
          arm(o.timeLimitMs, () => {
            record(current, 'hangs', { outcome: 'hang', error: `over ${o.timeLimitMs} ms` });
            next = current + 1;
            current = -1;
            child.kill('SIGKILL');
          });
        } else {
          clearTimeout(timer);
          current = -1;
          lastDone = m.i;
          lastOutcome = m.outcome;
          record(
            m.i,
            m.outcome,
            m.outcome === 'untyped'
              ? { outcome: 'untyped', error: m.error, saved: m.name }
              : undefined,
          );
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (current >= 0) {
          // The process died in the middle of an input (an abort, out of memory): a crash.
          const tail = stderr.trim().split('\n').slice(-3).join(' | ');
          record(current, 'untyped', {
            outcome: 'untyped',
            error: `process exited (${signal ?? code}): ${tail}`,
          });
          done(current + 1);
        } else if (next >= 0) done(next);
        else if (code === 0) done(total);
        else if (lastDone >= 0) {
          // The process broke after an input (e.g. that input changed a global): count that
          // input as untyped and go on after it in a fresh process.
          const tail = stderr.trim().split('\n').slice(-3).join(' | ');
          const k = jobOf(lastDone);
          if (lastOutcome !== 'untyped') {
            counts[k][lastOutcome]--;
            counts[k].untyped++;
          }
          findings.push({
            format: jobs[k].format,
            input: lastDone - firsts[k],
            outcome: 'untyped',
            error: `the process failed after this input (${signal ?? code}): ${tail}`,
          });
          done(lastDone + 1);
        } else
          fail(new Error(`fuzz worker failed outside an input: ${stderr.trim().slice(-1500)}`));
      });
    });
  }
  return counts;
}

const cpuModel = () => {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /model name\s*:\s*(.*)/.exec(info)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
};

function markdown(result: Result): string {
  const rows = Object.entries(result.kinds).map(
    ([k, c]) =>
      `| ${k} | ${result.formats
        .filter((f) => f.kind === k)
        .map((f) => f.name)
        .join(
          ', ',
        )} | ${c.inputs.toLocaleString('en')} | ${c.valid.toLocaleString('en')} | ${c.typed.toLocaleString('en')} | ${c.untyped} | ${c.hangs} |`,
  );
  return [
    `Written by \`npm run fuzz -- --inputs ${result.inputsPerKind} --readme …\` on ${result.date} (${result.machine.cpu}, ${result.machine.cores} cores, load ${result.machine.load}; seed ${result.seed}, time limit ${result.timeLimitMs} ms per input; ${result.seconds} s):`,
    '',
    '| kind | formats | inputs | valid | typed error | untyped error | hangs |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

interface Result {
  kinds: Record<string, Counts>;
  formats: (Counts & { name: string; kind: Kind })[];
  findings: Finding[];
  inputsPerKind: number;
  seed: number;
  timeLimitMs: number;
  seconds: number;
  date: string;
  machine: { cpu: string; cores: number; load: string };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = o.quiet ? () => {} : (s: string) => process.stderr.write(`${s}\n`);
  const result = o.from ? (JSON.parse(readFileSync(o.from, 'utf8')) as Result) : await run(o, log);
  output(result, o);
}

async function run(o: Options, log: (s: string) => void): Promise<Result> {
  const t0 = performance.now();
  const findings: Finding[] = [];
  const kinds: Record<string, Counts> = {};
  const formats: Result['formats'] = [];
  const jobs: (Job & { kind: Kind })[] = [];
  for (const kind of o.kinds) {
    const fs = FORMATS.filter((f) => f.kind === kind);
    fs.forEach((f, j) => {
      const count = Math.floor(o.inputs / fs.length) + (j < o.inputs % fs.length ? 1 : 0);
      if (count > 0) jobs.push({ kind, format: f.name, count, seed: formatSeed(o.seed, f.name) });
    });
  }
  const counts = await runPlan(jobs, o, findings, log);
  jobs.forEach((job, k) => {
    const c = counts[k];
    log(
      `${job.kind} / ${job.format}: ${c.inputs} inputs: ${c.valid} valid, ${c.typed} typed, ${c.untyped} untyped, ${c.hangs} hangs`,
    );
    formats.push({ name: job.format, kind: job.kind, ...c });
    kinds[job.kind] ??= zero();
    for (const key of Object.keys(c) as (keyof Counts)[]) kinds[job.kind][key] += c[key];
  });
  const result: Result = {
    kinds,
    formats,
    findings,
    inputsPerKind: o.inputs,
    seed: o.seed,
    timeLimitMs: o.timeLimitMs,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    date: new Date().toISOString().slice(0, 10),
    machine: { cpu: cpuModel(), cores: cpus().length, load: loadavg()[0].toFixed(2) },
  };
  return result;
}

function output(result: Result, o: Options): void {
  const { kinds, findings } = result;
  if (o.json) console.log(JSON.stringify(result, null, 1));
  else {
    console.log(markdown(result));
    for (const f of findings)
      console.log(`${f.outcome}: ${f.format} #${f.input}: ${f.error ?? ''}`);
  }
  for (const file of o.readme) {
    const text = readFileSync(file, 'utf8');
    const re = /(<!-- fuzz:begin -->)[\s\S]*?(<!-- fuzz:end -->)/;
    if (!re.test(text))
      throw new Error(`${file}: no <!-- fuzz:begin --> … <!-- fuzz:end --> markers`);
    writeFileSync(file, text.replace(re, `$1\n${markdown(result)}\n$2`));
  }
  const bad = Object.values(kinds).reduce((s, c) => s + c.untyped + c.hangs, 0);
  if (o.check && bad > 0) {
    process.stderr.write(`fuzz: ${bad} untyped errors or hangs\n`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { reportError, takeDebugFlag } from '@3dmm-stn/checks';
import { Command, CommanderError, Option } from 'commander';
import { loadConfig, parseOverride, type TrainConfig } from './config';
import { ConfigError } from './errors';
import { train } from './train';

/**
 * `train` command-line: a config file (JSON/YAML), `--set key=value` for any key, and flags for
 * the common ones. Flags override the file; `--resume DIR` continues a run with its saved
 * config (flags may still extend it, e.g. `--steps`).
 */

const FLAG_KEYS: [flag: string, key: string, description: string, parse: (v: string) => unknown][] =
  [
    ['--steps <n>', 'train.steps', 'training steps', Number],
    ['--batch-size <n>', 'train.batchSize', 'images per step before flip doubling', Number],
    ['--lr <x>', 'train.lr', 'base learning rate', Number],
    ['--optimizer <name>', 'train.optimizer', "'adam' or 'sgd'", String],
    ['--seed <n>', 'seed', 'random seed', Number],
    [
      '--backend <name>',
      'backend',
      "'auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'",
      String,
    ],
    [
      '--threads <n|auto>',
      'wasmThreads',
      "wasm backend threads: a count or 'auto' (cores, at most 4)",
      (v: string) => (v === 'auto' ? v : Number(v)),
    ],
    ['--input-size <n>', 'localiser.inputSize', 'localiser input side, pixels', Number],
    ['--backbone <name>', 'localiser.backbone', "'vgg-tiny', 'vgg-small' or 'vgg16'", String],
    ['--res <n>', 'model.res', 'UV grid side', Number],
    ['--model <file>', 'model.path', 'morphable model file (default: the embedded model)', String],
    ['--manifest <file>', 'data.manifest', 'CSV/JSON manifest of a folder dataset', String],
    ['--out <dir>', 'output.dir', 'parent folder of run folders', String],
    ['--name <name>', 'output.name', 'run folder name', String],
    ['--eval-every <n>', 'eval.every', 'evaluate every N steps', Number],
    ['--checkpoint-every <n>', 'checkpoint.every', 'checkpoint every N steps', Number],
  ];

interface ParsedArgs {
  config?: string;
  set: string[];
  resume?: string;
  data?: string;
  flip?: boolean;
  progress?: boolean;
  printConfig?: boolean;
  json?: boolean;
  [k: string]: unknown;
}

function camel(flag: string): string {
  return flag
    .replace(/^--/, '')
    .split(' ')[0]
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Add the `train` command (with its options and action) to a commander program. */
export function trainCommand(program: Command): Command {
  const cmd = program
    .command('train')
    .description('Train the 3DMM-STN (default: synthetic faces on the embedded model)')
    .option('-c, --config <file>', 'config file (.json, .yaml, .yml)')
    .option(
      '--set <key=value>',
      'set any config key (repeatable), e.g. --set train.lr=3e-4',
      (v: string, a: string[]) => [...a, v],
      [] as string[],
    )
    .option('--data <dir>', 'train on a folder of images + ibug .pts (sets data.source=folder)')
    .option('--resume <runDir>', 'continue a run from its latest checkpoint')
    .option('--no-flip', 'do not double batches with horizontal flips')
    .option('--no-progress', 'no progress bar')
    .option('--print-config', 'print the resolved config and exit')
    .option('--json', 'print the run summary as JSON on stdout');
  for (const [flag, key, description] of FLAG_KEYS)
    cmd.addOption(new Option(flag, `${description} (${key})`));
  cmd.action(async (opts: ParsedArgs) => {
    const config = await resolveCliConfig(opts);
    if (opts.printConfig) {
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      return;
    }
    const result = await train(config, { resume: opts.resume });
    if (opts.json)
      process.stdout.write(`${JSON.stringify({ ...result, losses: undefined }, null, 2)}\n`);
    if (result.interrupted) process.exitCode = 130;
  });
  return cmd;
}

/** Flags → dotted overrides → resolved config (the run's own config.json when resuming). */
export async function resolveCliConfig(opts: ParsedArgs): Promise<TrainConfig> {
  const overrides: Record<string, unknown> = {};
  for (const s of opts.set ?? []) {
    const [k, v] = parseOverride(s);
    overrides[k] = v;
  }
  for (const [flag, key, , parse] of FLAG_KEYS) {
    const v = opts[camel(flag)];
    if (v === undefined) continue;
    const parsed = parse(String(v));
    if (typeof parsed === 'number' && !Number.isFinite(parsed)) {
      throw new ConfigError('command-line flags', [
        `${flag.split(' ')[0]}: expected a number, got ${JSON.stringify(v)}`,
      ]);
    }
    overrides[key] = parsed;
  }
  if (opts.data) {
    overrides['data.source'] = 'folder';
    overrides['data.root'] = opts.data;
  }
  if (opts.manifest) overrides['data.source'] = 'folder';
  if (opts.flip === false) overrides['data.flip'] = false;
  if (opts.progress === false) overrides['report.progress'] = false;
  if (opts.resume) {
    let base: Record<string, unknown>;
    try {
      base = JSON.parse(await readFile(join(opts.resume, 'config.json'), 'utf8'));
    } catch (e) {
      throw new ConfigError(join(opts.resume, 'config.json'), [
        `cannot read the run's config: ${(e as Error).message}`,
      ]);
    }
    return loadConfig({ base, file: opts.config, overrides });
  }
  return loadConfig({ file: opts.config, overrides });
}

/**
 * Run the `train` command on `argv` (without the node and script names). Resolves to the exit
 * code (`EXIT_CODES` of @3dmm-stn/checks): 0 done, 1 an input (dataset, checkpoint, model)
 * could not be used, 2 bad usage or configuration, 3 out of memory, 70 a bug (with its stack
 * trace), 130 interrupted. Every typed error is one line on stderr; `--debug` (or
 * `options.debug`, `STN_DEBUG=1`) adds stack traces.
 */
export async function runTrainCli(
  argv: string[],
  options: { debug?: boolean } = {},
): Promise<number> {
  const taken = takeDebugFlag(argv, process.env);
  const debug = options.debug === true || taken.debug;
  const program = new Command('3dmm-stn-train').exitOverride().configureOutput({
    writeErr: (s) => process.stderr.write(s),
  });
  trainCommand(program).option('--debug', 'print stack traces of errors (also STN_DEBUG=1)');
  try {
    process.exitCode = 0;
    await program.parseAsync(['train', ...taken.argv], { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const report = reportError(e, { debug });
    process.stderr.write(report.text);
    return report.code;
  }
}

/**
 * `3dmm-stn train`: the training engine is the trainer app (`@3dmm-stn/trainer`), not a
 * dependency of this library. When it is installed beside the CLI (in this repository it is a
 * workspace; elsewhere `npm install @3dmm-stn/trainer`) it is found at run time and its command
 * line runs; when it is absent the command says so in one line (exit code 2).
 *
 * The package name is held in a variable on purpose: the import is a run-time lookup of an
 * optional program, not an edge of the build's dependency graph (`scripts/check-boundaries.mjs`
 * forbids static imports and declared dependencies of apps from library packages).
 */

/** The trainer app's package name. */
export const TRAINER_PACKAGE = '@3dmm-stn/trainer';

/** The trainer is not installed: say what to install (exit code 2). */
export class TrainerUnavailableError extends Error {
  override readonly name = 'TrainerUnavailableError';
  constructor(
    /** Installed (a folder of that name resolves) but its entry cannot be loaded: not built. */
    readonly installed: boolean,
    override readonly cause: unknown,
  ) {
    super(
      installed
        ? `3dmm-stn train needs the trainer app, which is installed but not built ` +
            `(${String((cause as Error)?.message ?? cause).split('\n')[0]}): npm run build -w ${TRAINER_PACKAGE}`
        : `3dmm-stn train needs the trainer app, which is not installed: npm install ${TRAINER_PACKAGE} ` +
            '(or, in the repository, npm run train -w @3dmm-stn/trainer)',
    );
  }
}

interface TrainerModule {
  runTrainCli(argv: string[], options?: { debug?: boolean }): Promise<number>;
}

/**
 * Whether `e` says that `name` itself (not one of its own imports) cannot be found: 'absent'
 * (no such package), 'unbuilt' (the package folder is there, its entry file is not), or null.
 */
function missing(e: unknown, name: string): 'absent' | 'unbuilt' | null {
  const err = e as NodeJS.ErrnoException;
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' && err?.code !== 'MODULE_NOT_FOUND') return null;
  const message = String(err.message).split('\n')[0];
  if (message.includes(`'${name}'`) || message.includes(`"${name}"`)) return 'absent';
  if (message.includes(`${name}/`) && !message.includes(`imported from ${name}`)) {
    // "Cannot find module '…/node_modules/<name>/dist/index.js' imported from <the CLI>"
    const target = /module '([^']*)'/.exec(message)?.[1] ?? '';
    if (target.includes(`${name}/`)) return 'unbuilt';
  }
  return null;
}

/** Loads the trainer app, or throws `TrainerUnavailableError` when it is not installed. */
export async function loadTrainer(name: string = TRAINER_PACKAGE): Promise<TrainerModule> {
  try {
    return (await import(/* @vite-ignore */ name)) as TrainerModule;
  } catch (e) {
    const why = missing(e, name);
    if (why) throw new TrainerUnavailableError(why === 'unbuilt', e);
    throw e;
  }
}

/** Runs `3dmm-stn train …` (`argv` without `train`) through the trainer app's command line. */
export async function runTrain(argv: string[], debug: boolean): Promise<number> {
  const trainer = await loadTrainer();
  return trainer.runTrainCli(argv, { debug });
}

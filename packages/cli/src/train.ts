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
  constructor(override readonly cause: unknown) {
    super(
      `3dmm-stn train needs the trainer app, which is not installed: npm install ${TRAINER_PACKAGE} ` +
        '(or, in the repository, npm run train -w @3dmm-stn/trainer)',
    );
  }
}

interface TrainerModule {
  runTrainCli(argv: string[], options?: { debug?: boolean }): Promise<number>;
}

/** Whether `e` says that `name` itself (not one of its own imports) cannot be found. */
function isMissing(e: unknown, name: string): boolean {
  const err = e as NodeJS.ErrnoException;
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' && err?.code !== 'MODULE_NOT_FOUND') return false;
  return String(err.message).includes(`'${name}'`) || String(err.message).includes(`"${name}"`);
}

/** Loads the trainer app, or throws `TrainerUnavailableError` when it is not installed. */
export async function loadTrainer(name: string = TRAINER_PACKAGE): Promise<TrainerModule> {
  try {
    return (await import(/* @vite-ignore */ name)) as TrainerModule;
  } catch (e) {
    if (isMissing(e, name)) throw new TrainerUnavailableError(e);
    throw e;
  }
}

/** Runs `3dmm-stn train …` (`argv` without `train`) through the trainer app's command line. */
export async function runTrain(argv: string[], debug: boolean): Promise<number> {
  const trainer = await loadTrainer();
  return trainer.runTrainCli(argv, { debug });
}

/**
 * The error boundary of the project's programs (`3dmm-stn`, `3dmm-stn-train`): every typed error
 * of every package becomes ONE line for the user — what went wrong, where (the file, line or key
 * the error names), what was expected, and the remedy when one is known — and a documented exit
 * code. A stack trace is printed only with `--debug` or for a genuine bug (an error that is not
 * one of the typed errors below).
 *
 * Errors are recognised by their `name` (each typed error class sets it), so this module needs no
 * dependency on the packages that define them, and an error keeps its meaning across the two
 * copies a bundler or a CJS/ESM split may make of a class.
 */

/** Exit codes of the project's programs. */
export const EXIT_CODES = {
  /** Success. */
  ok: 0,
  /** An input could not be used: a file, a folder, a model, a label, a checkpoint. */
  failure: 1,
  /** Bad usage: an argument, flag or configuration value; a backend or component that is absent. */
  usage: 2,
  /** Out of memory (the wasm backend's 4 GiB heap). */
  outOfMemory: 3,
  /** A bug: an error that is not one of the typed errors (printed with its stack trace). */
  internal: 70,
  /** Interrupted (Ctrl-C) after saving what could be saved. */
  interrupted: 130,
} as const;

interface Kind {
  /** What went wrong, as the line's prefix. */
  what: string;
  code: number;
  /** What to do about it, when the error's own message does not say. */
  remedy?: string;
}

/** Every typed error of every package, by `name`. */
const KINDS: Record<string, Kind> = {
  // @3dmm-stn/cli
  UsageError: { what: 'usage', code: EXIT_CODES.usage, remedy: 'see --help' },
  InputError: { what: 'input', code: EXIT_CODES.failure },
  LabelFormatError: {
    what: 'label file',
    code: EXIT_CODES.failure,
    remedy:
      'fix the file or leave it out (dlib XML, a folder of .pts, or a folder of AFLW2000-3D .mat)',
  },
  // `track` (video): ffmpeg missing is a component to install (like a backend); the rest are inputs
  FfmpegUnavailableError: { what: 'ffmpeg', code: EXIT_CODES.usage },
  VideoFormatError: { what: 'video', code: EXIT_CODES.failure },
  NoFaceError: { what: 'no face', code: EXIT_CODES.failure },
  FaceLostError: { what: 'face lost', code: EXIT_CODES.failure },
  // @3dmm-stn/checks
  // (its messages name the field and list the formats the readers accept)
  ModelFormatError: { what: 'model file', code: EXIT_CODES.failure },
  ShapeError: { what: 'shape mismatch', code: EXIT_CODES.failure },
  // @3dmm-stn/datasets
  LandmarkFormatError: {
    what: 'landmark file',
    code: EXIT_CODES.failure,
    remedy: 'fix the file or leave it out (ibug .pts with 68 points, or dlib XML)',
  },
  ImageFormatError: {
    what: 'image',
    code: EXIT_CODES.failure,
    remedy: 'give a JPEG, PNG or WebP file that an image viewer opens',
  },
  // @3dmm-stn/morphable-model
  GeometryError: {
    what: 'mesh geometry',
    code: EXIT_CODES.failure,
    remedy: 'use a face-area mesh with one open boundary and a left-right symmetry',
  },
  // @3dmm-stn/backend
  ModelFileError: {
    what: 'tfjs model',
    code: EXIT_CODES.failure,
    remedy: "give a folder with the model.json and weights.bin the trainer's export writes",
  },
  BackendUnavailableError: { what: 'backend', code: EXIT_CODES.usage },
  WasmOutOfMemoryError: { what: 'out of memory', code: EXIT_CODES.outOfMemory },
  // @3dmm-stn/localiser
  WeightImportError: { what: 'weights', code: EXIT_CODES.failure },
  // @3dmm-stn/pretrained
  PretrainedFileError: {
    what: 'pretrained network',
    code: EXIT_CODES.failure,
    remedy: 'reinstall @3dmm-stn/pretrained',
  },
  // @3dmm-stn/trainer (the app)
  ConfigError: { what: 'configuration', code: EXIT_CODES.usage },
  DatasetError: { what: 'dataset', code: EXIT_CODES.failure },
  CheckpointError: {
    what: 'checkpoint',
    code: EXIT_CODES.failure,
    remedy: 'resume from a run folder the same version of the trainer wrote',
  },
  TrainingOutOfMemoryError: { what: 'out of memory', code: EXIT_CODES.outOfMemory },
  TrainerUnavailableError: { what: 'train', code: EXIT_CODES.usage },
};

/** System errors of file access (Node's `code`): the user named a path that is not usable. */
const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on the device',
  EMFILE: 'too many open files',
};

/** A Node system error's fields (`fs` calls). */
interface SystemError {
  code?: unknown;
  path?: string;
  syscall?: string;
}

/** How an error reaches the user. */
export interface ErrorReport {
  /** The text to write to stderr: one line (ending in a newline), plus the stack when asked or a bug. */
  text: string;
  /** The exit code (`EXIT_CODES`). */
  code: number;
  /** A typed (expected) error: false for a genuine bug. */
  typed: boolean;
}

/** One line: newlines and indentation of multi-line messages become "; ". */
function oneLine(s: string): string {
  return s
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^-\s+/, ''))
    .filter((l) => l !== '')
    .join('; ')
    .replace(/:;/g, ':');
}

/** The kind of a typed error, or null for anything else (a bug). */
export function errorKind(e: unknown): Kind | null {
  if (!(e instanceof Error)) return null;
  const kind = KINDS[e.name] ?? inheritedKind(e);
  if (kind) return kind;
  const code = (e as SystemError).code;
  if (typeof code === 'string' && code in FILE_ERRORS)
    return { what: 'file', code: EXIT_CODES.failure };
  return null;
}

/**
 * The report of `e` for a program's user: `error: <what>: <message> (<remedy>)` on one line and
 * the exit code; with `debug` (the programs' `--debug`) or for an error that is not typed, the
 * stack trace follows.
 */
export function reportError(e: unknown, options: { debug?: boolean } = {}): ErrorReport {
  const kind = errorKind(e);
  if (!kind) {
    const err = e as Error;
    const stack = err?.stack ?? String(e);
    return {
      text: `error: internal error (a bug: please report it with the command line and this trace): ${stack}\n`,
      code: EXIT_CODES.internal,
      typed: false,
    };
  }
  const err = e as Error & SystemError & { remedy?: string };
  let message = oneLine(err.message);
  const sys = err.code;
  if (kind.what === 'file' && typeof sys === 'string' && err.path)
    message = `${err.path}: ${FILE_ERRORS[sys]} (${err.syscall ?? 'access'})`;
  const remedy = err.remedy ?? kind.remedy;
  let text = `error: ${kind.what}: ${message}`;
  if (remedy && !message.toLowerCase().includes(remedy.toLowerCase())) text += ` — ${remedy}`;
  text += '\n';
  if (options.debug && err.stack) text += `${err.stack}\n`;
  return { text, code: kind.code, typed: true };
}

/**
 * Takes the program-wide `--debug` flag out of `argv` (anywhere before a `--`), so that every
 * command accepts it. `STN_DEBUG=1` in the environment does the same.
 */
export function takeDebugFlag(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
): { argv: string[]; debug: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end);
  const debug = head.includes('--debug') || env.STN_DEBUG === '1';
  return { argv: [...head.filter((a) => a !== '--debug'), ...tail], debug };
}

/** A subclass of a typed error (a new `name`) is reported as its typed ancestor. */
function inheritedKind(e: Error): Kind | undefined {
  for (let p = Object.getPrototypeOf(e); p && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
    const name = p.constructor?.name;
    if (name && KINDS[name]) return KINDS[name];
  }
  return undefined;
}

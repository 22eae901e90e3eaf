/** Bad usage: a missing or invalid argument or flag (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A per-input failure the batch commands report with the input's path before going on. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** Exit codes of every command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * A label file `eval` cannot use: the wrong variables, shape or format. Names the file and what
 * was expected, so that one bad file in a folder of 2,000 is found at once.
 */
export class LabelFormatError extends InputError {
  override readonly name = 'LabelFormatError';
  constructor(
    file: string,
    readonly expected: string,
  ) {
    super(file, expected);
  }
}

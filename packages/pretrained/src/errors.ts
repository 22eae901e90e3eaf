/** A shipped (or given) weight file that is missing, unreadable or not what was expected. */
export class PretrainedFileError extends Error {
  override readonly name = 'PretrainedFileError';
  constructor(
    /** The file (path or URL) at fault. */
    readonly file: string,
    /** What was wrong and what was expected. */
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Typed errors of the dataset readers: each names the file (and line) and what was expected. */

/** A landmark file (`.pts`, dlib XML) that cannot be parsed or read. */
export class LandmarkFormatError extends Error {
  override readonly name = 'LandmarkFormatError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

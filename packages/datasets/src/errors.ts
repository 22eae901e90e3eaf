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

/**
 * An image file that cannot be decoded (truncated, corrupt, not an image, or larger than the
 * decoder's pixel limit): names the file and what the decoder said.
 */
export class ImageFormatError extends Error {
  override readonly name = 'ImageFormatError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Typed errors of the trainer: each names the file (and line or key) and what was expected. */

/** A landmark file that cannot be parsed. */
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

/** A dataset (folder, manifest) that cannot be used at all. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** An invalid configuration: one line per problem, each naming the key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration (${source}):\n  ${problems.join('\n  ')}`);
  }
}

/** A checkpoint that cannot be restored (missing files, mismatched variables). */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

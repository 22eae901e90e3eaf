/** Typed errors of the trainer: each names the file (and line or key) and what was expected. */

// Landmark files are read by @3dmm-stn/datasets (one home); re-exported for the trainer's users.
export { LandmarkFormatError } from '@3dmm-stn/datasets';

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

/**
 * A training step ran out of the wasm backend's memory (4 GiB heap): names the model, the batch
 * size, what was needed and available, and the remedies.
 */
export class TrainingOutOfMemoryError extends Error {
  override readonly name = 'TrainingOutOfMemoryError';
  constructor(
    /** e.g. `vgg16@224` */
    readonly model: string,
    readonly batchSize: number,
    /** wasm heap in use when it failed */
    readonly heapBytes: number | null,
    readonly maxHeapBytes: number,
    /** the allocation that failed, when known */
    readonly requestedBytes: number | null,
    override readonly cause: unknown,
  ) {
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    const need =
      requestedBytes !== null
        ? `a further ${gib(requestedBytes)} was needed`
        : 'more memory was needed';
    const had = heapBytes !== null ? `${gib(heapBytes)} in use` : 'the heap full';
    super(
      `Training ${model} at batch size ${batchSize} ran out of wasm memory: ${need}, with ${had} ` +
        `of at most ${gib(maxHeapBytes)}. Use a smaller batch (train.batchSize), a smaller ` +
        `backbone (vgg-small, vgg-tiny) or input size, or the tensorflow backend ` +
        `(npm install @tensorflow/tfjs-node; --backend tensorflow), whose memory is not capped.`,
    );
  }
}

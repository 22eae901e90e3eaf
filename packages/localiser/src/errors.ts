/**
 * Weights that do not fit a model: every missing layer, missing weight and shape mismatch
 * is listed in `problems` (and in the message), so one run shows all of them.
 */
export class WeightImportError extends Error {
  override readonly name = 'WeightImportError';
  constructor(
    /** The weights' source: a file path, `'<bytes>'` or the source model's name. */
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'} importing weights:\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
  }
}

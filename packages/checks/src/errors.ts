/** Errors with the place (file, field, shape) and what was expected. */

/** A model or landmark file that cannot be read: names the file, the field and what was expected. */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${file}: ${field}: ${detail}`);
  }
}

/** An argument with the wrong shape or length. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

/**
 * The project's one shape check. `expected` holds sizes, or names for free dimensions
 * ("B", "N"); a name used twice must bind to the same size.
 *
 *   assertShape('gridSample', 'image', [2, 64, 64], ['B', 'H', 'W', 'C'])
 *   → ShapeError "Error in gridSample: image must have shape [B,H,W,C], but got [2,64,64]."
 */
export function assertShape(
  op: string,
  arg: string,
  shape: readonly number[],
  expected: readonly (number | string)[],
  bound: Record<string, number> = {},
): Record<string, number> {
  const fail = (why = '') =>
    new ShapeError(
      `Error in ${op}: ${arg} must have shape [${expected.join(',')}], but got [${shape.join(',')}]${why}.`,
    );
  if (shape.length !== expected.length) throw fail();
  expected.forEach((e, k) => {
    const got = shape[k];
    if (typeof e === 'number') {
      if (got !== e) throw fail();
    } else if (e in bound) {
      if (bound[e] !== got) throw fail(` (${e} = ${bound[e]} elsewhere)`);
    } else {
      bound[e] = got;
    }
  });
  return bound;
}

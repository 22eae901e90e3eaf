/**
 * The page's options from its URL: `?backend=wasm|webgl|cpu` (default wasm) and
 * `?method=optimisation|pretrained` (default optimisation). Pure: unit-tested in Node.
 */

export const PAGE_BACKENDS = ['wasm', 'webgl', 'cpu'] as const;
export type PageBackend = (typeof PAGE_BACKENDS)[number];

export const FIT_METHODS = ['optimisation', 'pretrained'] as const;
export type FitMethod = (typeof FIT_METHODS)[number];

export interface PageOptions {
  backend: PageBackend;
  method: FitMethod;
}

/** Thrown for a URL option that is not one of its values; the message lists them. */
export class PageOptionError extends Error {
  override readonly name = 'PageOptionError';
}

function choice<T extends string>(
  params: URLSearchParams,
  key: string,
  values: readonly T[],
  fallback: T,
): T {
  const raw = params.get(key);
  if (raw === null || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if ((values as readonly string[]).includes(v)) return v as T;
  throw new PageOptionError(`?${key}=${raw} is not one of ${values.join(', ')}.`);
}

/** Parses `location.search`. */
export function parsePageOptions(search: string): PageOptions {
  const params = new URLSearchParams(search);
  return {
    backend: choice(params, 'backend', PAGE_BACKENDS, 'wasm'),
    method: choice(params, 'method', FIT_METHODS, 'optimisation'),
  };
}

/** `search` with `key` set to `value` (for the selectors, which reload the page). */
export function withOption(search: string, key: keyof PageOptions, value: string): string {
  const params = new URLSearchParams(search);
  params.set(key, value);
  return `?${params.toString()}`;
}

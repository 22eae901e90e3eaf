/** Parsing of flag values, with usage errors that name the flag. */
import { readFile } from 'node:fs/promises';
import { UsageError } from './errors';

export function parseIntFlag(
  flag: string,
  value: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${flag} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got "${value}"`,
    );
  }
  return n;
}

export function parseNumberFlag(
  flag: string,
  value: string | undefined,
  min: number,
  max = Number.POSITIVE_INFINITY,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a number in [${min}, ${max}], got "${value}"`);
  return n;
}

export function parseChoice<T extends string>(
  flag: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T))
    throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

/** θ and, when the file says so, how its α splits into identity and expression modes. */
export interface ThetaFile {
  theta: number[];
  modes?: { shape: number; expression: number };
  /** [width, height] of the image θ refers to (a `fit` record's `imageSize`). */
  imageSize?: [number, number];
  /** The expression modes' names, in θ's order (a `fit` record's `expressions` keys). */
  expressions?: string[];
}

/**
 * Reads θ from JSON: a plain array `[r0 r1 r2 tx ty logS α…]`, or an object with a `theta`
 * array (a `fit` record), optionally `modes: { shape, expression }`.
 */
export async function readThetaFile(path: string): Promise<ThetaFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--theta ${path}: cannot read JSON: ${(e as Error).message}`);
  }
  const obj = (Array.isArray(json) ? { theta: json } : json) as Record<string, unknown>;
  const theta = obj?.theta;
  if (
    !Array.isArray(theta) ||
    theta.length < 6 ||
    !theta.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    throw new UsageError(
      `--theta ${path}: expected an array of ≥ 6 finite numbers [r0 r1 r2 tx ty logS α…] or an object with one in "theta"`,
    );
  }
  const out: ThetaFile = { theta: theta as number[] };
  const m = obj.modes as { shape?: unknown; expression?: unknown } | undefined;
  if (m && Number.isInteger(m.shape) && Number.isInteger(m.expression)) {
    out.modes = { shape: m.shape as number, expression: m.expression as number };
  }
  const ex = obj.expressions;
  if (ex && typeof ex === 'object' && !Array.isArray(ex)) out.expressions = Object.keys(ex);
  const size = obj.imageSize;
  if (Array.isArray(size) && size.length === 2 && size.every((v) => Number.isInteger(v) && v > 0)) {
    out.imageSize = [size[0] as number, size[1] as number];
  }
  return out;
}

/**
 * `--expressions`: a count, `all`, or comma-separated mode names; undefined → the model's default.
 */
export function parseExpressionsFlag(
  value: string | undefined,
): number | string[] | 'all' | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === 'all') return 'all';
  if (/^\d+$/.test(v)) return Number(v);
  const names = v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (names.length === 0 || names.some((n) => !/^[A-Za-z][A-Za-z0-9_]*$/.test(n))) {
    throw new UsageError(
      `--expressions: expected a count, 'all' or comma-separated names (e.g. jawOpen,mouthSmile_L), got ${JSON.stringify(value)}`,
    );
  }
  return names;
}

/** `on` / `off` → true / false; undefined → undefined (the default). */
export function parseOnOff(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new UsageError(`${flag}: expected on or off, got ${JSON.stringify(value)}`);
}

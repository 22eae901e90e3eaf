import { LandmarkFormatError } from './errors';

/**
 * ibug `.pts` landmark files (FORMATS.md):
 *
 *   version: 1
 *   n_points: 68
 *   {
 *   x y
 *   …
 *   }
 *
 * Convention: the file is 1-based (Matlab heritage); the result is 0-based pixels, x right,
 * y down, the centre of pixel (row i, col j) at (j, i).
 */

/** Parse `.pts` text → `[n, 2]` 0-based pixel coordinates (interleaved x0 y0 x1 y1 …). */
export function parsePts(text: string, file = '<pts>', expectedPoints = 68): Float32Array {
  const lines = text.split(/\r?\n/);
  let n = -1;
  let k = 0;
  // Header: key: value lines up to '{'.
  for (; k < lines.length; k++) {
    const line = lines[k].trim();
    if (line === '') continue;
    if (line === '{') break;
    const m = /^([A-Za-z_]+)\s*:\s*(.*)$/.exec(line);
    if (!m)
      throw new LandmarkFormatError(
        file,
        k + 1,
        `expected a header line "key: value" or "{", got "${line}"`,
      );
    if (m[1] === 'n_points') {
      const v = Number(m[2]);
      if (!Number.isInteger(v) || v <= 0)
        throw new LandmarkFormatError(
          file,
          k + 1,
          `n_points must be a positive integer, got "${m[2]}"`,
        );
      n = v;
    }
  }
  if (k >= lines.length)
    throw new LandmarkFormatError(file, lines.length, 'missing "{" before the points');
  if (n < 0) throw new LandmarkFormatError(file, k + 1, 'missing "n_points:" header before "{"');
  if (n !== expectedPoints)
    throw new LandmarkFormatError(file, k + 1, `expected n_points: ${expectedPoints}, got ${n}`);
  const out = new Float32Array(n * 2);
  let i = 0;
  for (k = k + 1; k < lines.length; k++) {
    const line = lines[k].trim();
    if (line === '') continue;
    if (line === '}') {
      if (i !== n) throw new LandmarkFormatError(file, k + 1, `expected ${n} points, got ${i}`);
      return out;
    }
    if (i >= n) throw new LandmarkFormatError(file, k + 1, `more than n_points = ${n} points`);
    const parts = line.split(/\s+/);
    if (parts.length !== 2)
      throw new LandmarkFormatError(file, k + 1, `expected "x y", got "${line}"`);
    const x = Number(parts[0]);
    const y = Number(parts[1]);
    if (!Number.isFinite(x) || !Number.isFinite(y))
      throw new LandmarkFormatError(
        file,
        k + 1,
        `non-numeric or non-finite coordinate in "${line}"`,
      );
    out[2 * i] = x - 1;
    out[2 * i + 1] = y - 1;
    i++;
  }
  throw new LandmarkFormatError(file, lines.length, 'missing closing "}"');
}

/** Format 0-based landmarks `[n, 2]` as `.pts` text (1-based). */
export function formatPts(points: Float32Array | number[]): string {
  const n = points.length / 2;
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`${points[2 * i] + 1} ${points[2 * i + 1] + 1}`);
  return `version: 1\nn_points: ${n}\n{\n${rows.join('\n')}\n}\n`;
}

import { readFile } from 'node:fs/promises';
import { parsePts } from './pts';

/** Read and parse a `.pts` file (see `parsePts`). */
export async function readPts(file: string, expectedPoints = 68): Promise<Float32Array> {
  return parsePts(await readFile(file, 'utf8'), file, expectedPoints);
}

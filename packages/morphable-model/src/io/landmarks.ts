/**
 * eos landmark mapping files (`ibug_to_sfm.txt`, `ibug_to_bfm2017-1_bfm_nomouth.txt`, …): TOML with
 * `[landmark_mappings]` lines `ibug_id = vertex_id` (ibug 1-based, vertex 0-based) and an optional
 * `[contour_landmarks]` table with `right = [...]` and `left = [...]` ibug ids.
 */
import { parse, TomlError } from 'smol-toml';
import { ModelFormatError } from '../errors';
import type { LandmarkMap } from '../types';
import { emptyLandmarks } from './util';

/** The ibug ids (1-based) of the right and left face contour, from `[contour_landmarks]`. */
export interface ContourLandmarks {
  right: number[];
  left: number[];
}

/** Everything an eos mapping file holds. */
export interface LandmarkMappingFile {
  /** [68] ibug point k+1 → vertex id, or -1 where the file maps none. */
  landmarks: LandmarkMap;
  /** The `[contour_landmarks]` table, if the file has one. */
  contour?: ContourLandmarks;
}

/** 1-based line of the first `key = …` line (for errors: TOML values carry no position). */
function lineOf(text: string, key: string): string {
  const re = new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i])) return ` (line ${i + 1})`;
  return '';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses an eos landmark mapping file, including `[contour_landmarks]` when present.
 * `numVertices`, if given, bounds the vertex ids.
 *
 * @throws ModelFormatError on TOML syntax errors (with line and column), keys that are not ibug
 *   ids 1–68, vertex ids that are not integers in range, and malformed contour arrays.
 */
export function readLandmarkMappingFile(
  text: string,
  file = '<text>',
  numVertices?: number,
): LandmarkMappingFile {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text, { unsafeKeyBehaviour: 'throw' });
  } catch (e) {
    if (e instanceof TomlError) {
      throw new ModelFormatError(
        file,
        'TOML',
        `line ${e.line}, column ${e.column}: ${e.message.split('\n')[0]}`,
      );
    }
    throw e;
  }
  const table = doc.landmark_mappings;
  if (!isRecord(table)) {
    throw new ModelFormatError(
      file,
      'landmark_mappings',
      'expected a [landmark_mappings] table of `ibug_id = vertex_id` lines',
    );
  }
  const landmarks = emptyLandmarks();
  for (const [key, value] of Object.entries(table)) {
    const where = lineOf(text, key);
    const id = /^[0-9]+$/.test(key) ? Number(key) : Number.NaN;
    if (!(id >= 1 && id <= 68)) {
      throw new ModelFormatError(
        file,
        `landmark_mappings.${key}`,
        `key must be an ibug id 1 … 68${where}`,
      );
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new ModelFormatError(
        file,
        `landmark_mappings.${key}`,
        `value ${JSON.stringify(value)} must be a vertex id (integer ≥ 0)${where}`,
      );
    }
    if (numVertices !== undefined && value >= numVertices) {
      throw new ModelFormatError(
        file,
        `landmark_mappings.${key}`,
        `vertex id ${value} is out of range for a model with ${numVertices} vertices${where}`,
      );
    }
    landmarks[id - 1] = value;
  }
  const result: LandmarkMappingFile = { landmarks };
  const c = doc.contour_landmarks;
  if (c !== undefined) {
    if (!isRecord(c))
      throw new ModelFormatError(
        file,
        'contour_landmarks',
        'expected a table with `right` and `left` arrays',
      );
    const side = (name: 'right' | 'left'): number[] => {
      const a = c[name];
      const where = lineOf(text, name);
      if (!Array.isArray(a)) {
        throw new ModelFormatError(
          file,
          `contour_landmarks.${name}`,
          `expected an array of ibug ids${where}`,
        );
      }
      for (const v of a) {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 68) {
          throw new ModelFormatError(
            file,
            `contour_landmarks.${name}`,
            `entry ${JSON.stringify(v)} is not an ibug id 1 … 68${where}`,
          );
        }
      }
      return a as number[];
    };
    result.contour = { right: side('right'), left: side('left') };
  }
  return result;
}

/** The `[landmark_mappings]` of an eos mapping file as a [68] ibug → vertex map (-1 = unmapped). */
export function readLandmarkMapping(
  text: string,
  file = '<text>',
  numVertices?: number,
): LandmarkMap {
  return readLandmarkMappingFile(text, file, numVertices).landmarks;
}

import type { LandmarkMap } from '../types';

/** A landmark map with no points mapped. */
export function emptyLandmarks(): LandmarkMap {
  return new Int32Array(68).fill(-1);
}

/** File name without directories and extension: "a/b/sfm_shape_3448.bin" → "sfm_shape_3448". */
export function baseName(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

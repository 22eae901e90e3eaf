/**
 * Structural checks of a MorphableModel / GridModel: every array has the type and length its
 * documented layout needs, and every index is in range. Readers run them on what they built.
 */
import { ModelFormatError } from '../errors';
import type { GridModel, LinearBasis, MorphableModel } from '../types';

type Ctor =
  | Float32ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor;

function checkArray(
  file: string,
  field: string,
  a: unknown,
  ctor: Ctor,
  length: number,
  layout: string,
): void {
  if (!(a instanceof ctor)) {
    const got = a === undefined ? 'missing' : ((a as object)?.constructor?.name ?? typeof a);
    throw new ModelFormatError(file, field, `expected a ${ctor.name} ${layout}, got ${got}`);
  }
  if (a.length !== length) {
    throw new ModelFormatError(
      file,
      field,
      `expected ${layout} = ${length} values, got ${a.length}`,
    );
  }
}

function checkCount(file: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ModelFormatError(file, field, `expected an integer ≥ 0, got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkIndices(
  file: string,
  field: string,
  a: ArrayLike<number>,
  n: number,
  allowMinus1 = false,
): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v >= n || v < (allowMinus1 ? -1 : 0)) {
      throw new ModelFormatError(
        file,
        field,
        `entry ${i} is ${v}, expected ${allowMinus1 ? '-1 or ' : ''}0 ≤ id < ${n}`,
      );
    }
  }
}

function checkBasis(file: string, field: string, b: LinearBasis | undefined, n: number): void {
  if (typeof b !== 'object' || b === null)
    throw new ModelFormatError(file, field, 'expected a LinearBasis object');
  const d = checkCount(file, `${field}.numModes`, b.numModes);
  checkArray(
    file,
    `${field}.basis`,
    b.basis,
    Float32Array,
    d * n * 3,
    `[D, N, 3] = [${d}, ${n}, 3]`,
  );
  if (b.variance !== undefined)
    checkArray(file, `${field}.variance`, b.variance, Float32Array, d, `[D] = [${d}]`);
  if (b.names !== undefined) {
    if (
      !Array.isArray(b.names) ||
      b.names.length !== d ||
      b.names.some((s) => typeof s !== 'string')
    ) {
      throw new ModelFormatError(file, `${field}.names`, `expected ${d} strings`);
    }
  }
}

function checkMetadata(file: string, m: unknown): void {
  const md = m as Record<string, unknown> | undefined;
  if (typeof md !== 'object' || md === null)
    throw new ModelFormatError(file, 'metadata', 'expected an object');
  for (const k of ['name', 'source', 'format']) {
    if (typeof md[k] !== 'string')
      throw new ModelFormatError(file, `metadata.${k}`, 'expected a string');
  }
}

/** Throws ModelFormatError unless `m` is a consistent MorphableModel. */
export function checkMorphableModel(m: MorphableModel, file: string): void {
  const n = checkCount(file, 'numVertices', m.numVertices);
  checkArray(file, 'mean', m.mean, Float32Array, 3 * n, `[N, 3] = [${n}, 3]`);
  checkBasis(file, 'shape', m.shape, n);
  if (m.expression !== undefined) checkBasis(file, 'expression', m.expression, n);
  if (m.color !== undefined) {
    checkArray(file, 'color.mean', m.color.mean, Float32Array, 3 * n, `[N, 3] = [${n}, 3]`);
    checkBasis(file, 'color.basis', m.color.basis, n);
  }
  if (!(m.triangles instanceof Uint32Array) || m.triangles.length % 3 !== 0) {
    throw new ModelFormatError(file, 'triangles', 'expected a Uint32Array [F, 3]');
  }
  checkIndices(file, 'triangles', m.triangles, n);
  if (m.texCoords !== undefined)
    checkArray(file, 'texCoords', m.texCoords, Float32Array, 2 * n, `[N, 2] = [${n}, 2]`);
  checkArray(file, 'landmarks', m.landmarks, Int32Array, 68, '[68]');
  checkIndices(file, 'landmarks', m.landmarks, n, true);
  if (m.symmetry !== undefined) {
    checkArray(file, 'symmetry', m.symmetry, Int32Array, n, `[N] = [${n}]`);
    checkIndices(file, 'symmetry', m.symmetry, n);
  }
  checkMetadata(file, m.metadata);
}

/** Throws ModelFormatError unless `g` is a consistent GridModel. */
export function checkGridModel(g: GridModel, file: string): void {
  const res = checkCount(file, 'res', g.res);
  const d = checkCount(file, 'numModes', g.numModes);
  const ds = checkCount(file, 'numShapeModes', g.numShapeModes);
  if (ds > d) throw new ModelFormatError(file, 'numShapeModes', `${ds} exceeds numModes ${d}`);
  const r2 = res * res;
  checkArray(file, 'mean', g.mean, Float32Array, 3 * r2, `[res², 3] = [${r2}, 3]`);
  checkArray(file, 'basis', g.basis, Float32Array, d * r2 * 3, `[D, res², 3] = [${d}, ${r2}, 3]`);
  checkArray(file, 'valid', g.valid, Uint8Array, r2, `[res²] = [${r2}]`);
  if (!(g.triangles instanceof Uint32Array) || g.triangles.length % 3 !== 0) {
    throw new ModelFormatError(file, 'triangles', 'expected a Uint32Array [F, 3]');
  }
  checkIndices(file, 'triangles', g.triangles, r2);
  if (!(g.landmarkIds instanceof Int32Array))
    throw new ModelFormatError(file, 'landmarkIds', 'expected an Int32Array [L]');
  const l = g.landmarkIds.length;
  checkIndices(
    file,
    'landmarkIds',
    Int32Array.from(g.landmarkIds, (v) => v - 1),
    68,
  );
  checkArray(file, 'landmarkMean', g.landmarkMean, Float32Array, 3 * l, `[L, 3] = [${l}, 3]`);
  checkArray(
    file,
    'landmarkBasis',
    g.landmarkBasis,
    Float32Array,
    d * l * 3,
    `[D, L, 3] = [${d}, ${l}, 3]`,
  );
  checkArray(file, 'mirror', g.mirror, Uint32Array, r2, `[res²] = [${r2}]`);
  checkIndices(file, 'mirror', g.mirror, r2);
  checkMetadata(file, g.metadata);
}

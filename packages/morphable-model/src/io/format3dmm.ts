/**
 * The project's own model file (`.3dmm`): one file holding a MorphableModel or a GridModel
 * bit for bit.
 *
 * | bytes | content |
 * |---|---|
 * | 0–7 | magic `89 33 44 4D 4D 0D 0A 1A` ("\x893DMM\r\n\x1a", PNG-style: catches text-mode mangling) |
 * | 8–11 | uint32 LE format version (1) |
 * | 12–15 | uint32 LE byte length H of the JSON header |
 * | 16 … 16+H | UTF-8 JSON header: `kind`, `metadata`, `values` (non-array fields by path), `arrays` |
 * | … | zero padding to a multiple of 8 |
 * | byteOffset … | each array, little endian, at an 8-byte aligned absolute offset, in header order |
 *
 * An `arrays` entry is `{ path, dtype, shape, byteOffset, byteLength }`, `path` a dotted field
 * path ("shape.basis"), `dtype` one of float32 | float64 | int32 | uint32 | uint8.
 */
import { ModelFormatError } from '../errors';
import type { GridModel, MorphableModel } from '../types';
import { checkGridModel, checkMorphableModel } from './validate';

/** "\x893DMM\r\n\x1a" */
export const MAGIC_3DMM = Uint8Array.of(0x89, 0x33, 0x44, 0x4d, 0x4d, 0x0d, 0x0a, 0x1a);
export const FORMAT_VERSION_3DMM = 1;

type Kind = 'morphable-model' | 'grid-model';
type AnyTypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  uint8: Uint8Array,
} as const;
type Dtype = keyof typeof DTYPES;

interface ArrayEntry {
  path: string;
  dtype: Dtype;
  shape: number[];
  byteOffset: number;
  byteLength: number;
}

interface Header {
  kind: Kind;
  metadata: unknown;
  values: Record<string, unknown>;
  arrays: ArrayEntry[];
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const SAFE_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** True for a GridModel (has `res` and `valid`), false for a MorphableModel. */
export function isGridModel(m: MorphableModel | GridModel): m is GridModel {
  return typeof (m as GridModel).res === 'number' && (m as GridModel).valid instanceof Uint8Array;
}

function dtypeOf(a: unknown): Dtype | undefined {
  for (const [name, ctor] of Object.entries(DTYPES)) if (a instanceof ctor) return name as Dtype;
  return undefined;
}

/** The documented shape of an array field, so the header is self-describing; [length] otherwise. */
function shapeOf(
  kind: Kind,
  path: string,
  a: AnyTypedArray,
  m: MorphableModel | GridModel,
): number[] {
  const rows = (w: number) => [a.length / w, w];
  const modes = (d: number, w: number) => [d, a.length / d / w, w];
  if (kind === 'morphable-model') {
    const mm = m as MorphableModel;
    switch (path) {
      case 'mean':
      case 'color.mean':
      case 'triangles':
        return rows(3);
      case 'texCoords':
        return rows(2);
      case 'shape.basis':
        return mm.shape.numModes > 0 ? modes(mm.shape.numModes, 3) : [0, mm.numVertices, 3];
      case 'expression.basis':
        return mm.expression && mm.expression.numModes > 0
          ? modes(mm.expression.numModes, 3)
          : [0, mm.numVertices, 3];
      case 'color.basis.basis':
        return mm.color && mm.color.basis.numModes > 0
          ? modes(mm.color.basis.numModes, 3)
          : [0, mm.numVertices, 3];
    }
  } else {
    const g = m as GridModel;
    const r2 = g.res * g.res;
    switch (path) {
      case 'mean':
      case 'triangles':
      case 'landmarkMean':
        return rows(3);
      case 'basis':
        return [g.numModes, r2, 3];
      case 'landmarkBasis':
        return [g.numModes, g.landmarkIds.length, 3];
    }
  }
  return [a.length];
}

function checkJson(v: unknown, path: string): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v))
      throw new ModelFormatError('<model>', path, `${v} cannot be stored in the JSON header`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      checkJson(x, `${path}[${i}]`);
    });
    return;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      if (x !== undefined) checkJson(x, `${path}.${k}`);
    return;
  }
  throw new ModelFormatError(
    '<model>',
    path,
    `${typeof v === 'object' ? `a ${(v as object).constructor?.name ?? 'null-prototype object'}` : `a ${typeof v}`} cannot be stored in the JSON header`,
  );
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

function leBytes(a: AnyTypedArray): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN_HOST || a.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const w = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w)
    for (let j = 0; j < w; j++) out[i + j] = bytes[i + w - 1 - j];
  return out;
}

/**
 * Serialises a MorphableModel or GridModel to the `.3dmm` format. Checks the model first.
 * @throws ModelFormatError (file "<model>") for an inconsistent model or metadata that JSON cannot hold.
 */
export function writeModel(model: MorphableModel | GridModel): Uint8Array {
  const kind: Kind = isGridModel(model) ? 'grid-model' : 'morphable-model';
  if (kind === 'grid-model') checkGridModel(model as GridModel, '<model>');
  else checkMorphableModel(model as MorphableModel, '<model>');
  checkJson(model.metadata, 'metadata');

  const values: Record<string, unknown> = {};
  const found: { path: string; a: AnyTypedArray }[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const path = prefix + k;
      if (v === undefined || path === 'metadata') continue;
      if (ArrayBuffer.isView(v)) {
        if (!dtypeOf(v))
          throw new ModelFormatError(
            '<model>',
            path,
            `unsupported array type ${v.constructor.name}`,
          );
        found.push({ path, a: v as AnyTypedArray });
      } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        walk(v as Record<string, unknown>, `${path}.`);
      } else {
        checkJson(v, path);
        values[path] = v;
      }
    }
  };
  walk(model as unknown as Record<string, unknown>, '');
  // Canonical order (by path), so that the bytes do not depend on the object's key order.
  found.sort((x, y) => (x.path < y.path ? -1 : 1));
  const sortedValues = Object.fromEntries(
    Object.entries(values).sort(([x], [y]) => (x < y ? -1 : 1)),
  );

  const arrays: ArrayEntry[] = found.map(({ path, a }) => ({
    path,
    dtype: dtypeOf(a) as Dtype,
    shape: shapeOf(kind, path, a, model),
    byteOffset: 0,
    byteLength: a.byteLength,
  }));
  // Offsets depend on the header's length, which depends on the offsets' digits: iterate to a fixed point.
  let headerBytes = new Uint8Array(0);
  for (let iter = 0; iter < 10; iter++) {
    let offset = align8(16 + headerBytes.length);
    for (const e of arrays) {
      e.byteOffset = offset;
      offset = align8(offset + e.byteLength);
    }
    const header: Header = { kind, metadata: model.metadata, values: sortedValues, arrays };
    const next = new TextEncoder().encode(JSON.stringify(header));
    if (next.length === headerBytes.length) {
      headerBytes = next;
      break;
    }
    headerBytes = next;
  }
  const last = arrays[arrays.length - 1];
  const total = last ? last.byteOffset + last.byteLength : align8(16 + headerBytes.length);
  const out = new Uint8Array(total);
  out.set(MAGIC_3DMM, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, FORMAT_VERSION_3DMM, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, 16);
  found.forEach(({ a }, i) => {
    out.set(leBytes(a), arrays[i].byteOffset);
  });
  return out;
}

/** True if `bytes` starts with the `.3dmm` magic. */
export function has3dmmMagic(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC_3DMM.length) return false;
  return MAGIC_3DMM.every((b, i) => bytes[i] === b);
}

function setPath(root: Record<string, unknown>, path: string, value: unknown, file: string): void {
  const parts = path.split('.');
  if (parts.some((p) => !SAFE_SEGMENT.test(p) || FORBIDDEN.has(p))) {
    throw new ModelFormatError(file, `header path "${path}"`, 'not a valid field path');
  }
  let obj = root;
  for (const p of parts.slice(0, -1)) {
    const next = obj[p];
    if (next === undefined) obj[p] = {};
    else if (
      typeof next !== 'object' ||
      next === null ||
      ArrayBuffer.isView(next) ||
      Array.isArray(next)
    ) {
      throw new ModelFormatError(file, `header path "${path}"`, `"${p}" is not an object`);
    }
    obj = obj[p] as Record<string, unknown>;
  }
  const leaf = parts[parts.length - 1];
  if (leaf in obj) throw new ModelFormatError(file, `header path "${path}"`, 'given twice');
  obj[leaf] = value;
}

/**
 * Reads a `.3dmm` file written by `writeModel`: the same model, bit for bit.
 * @throws ModelFormatError on a bad magic, an unsupported version, a truncated file, a header that
 *   does not match the arrays (dtype, shape, offsets, lengths) or an inconsistent model.
 */
export function readModel(input: Uint8Array, file = '<bytes>'): MorphableModel | GridModel {
  // A plain view: Node's Buffer#slice shares memory instead of copying.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (!has3dmmMagic(bytes)) {
    const got = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ModelFormatError(
      file,
      'magic',
      `not a .3dmm file: expected bytes 89 33 44 4d 4d 0d 0a 1a, got ${got || 'an empty file'}`,
    );
  }
  if (bytes.length < 16)
    throw new ModelFormatError(
      file,
      'header',
      `file truncated: ${bytes.length} bytes, the fixed header needs 16`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION_3DMM) {
    throw new ModelFormatError(
      file,
      'version',
      `unsupported .3dmm version ${version}; this reader supports version ${FORMAT_VERSION_3DMM}`,
    );
  }
  const hlen = view.getUint32(12, true);
  if (16 + hlen > bytes.length) {
    throw new ModelFormatError(
      file,
      'header',
      `file truncated: the JSON header needs ${hlen} bytes at offset 16, the file has ${bytes.length} bytes`,
    );
  }
  let header: Header;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + hlen)),
    );
  } catch (e) {
    throw new ModelFormatError(
      file,
      'header',
      `the JSON header (offset 16, ${hlen} bytes) does not parse: ${(e as Error).message}`,
    );
  }
  if (typeof header !== 'object' || header === null)
    throw new ModelFormatError(file, 'header', 'expected a JSON object');
  if (header.kind !== 'morphable-model' && header.kind !== 'grid-model') {
    throw new ModelFormatError(
      file,
      'header.kind',
      `expected "morphable-model" or "grid-model", got ${JSON.stringify(header.kind)}`,
    );
  }
  if (!Array.isArray(header.arrays))
    throw new ModelFormatError(file, 'header.arrays', 'expected an array');
  if (typeof header.values !== 'object' || header.values === null)
    throw new ModelFormatError(file, 'header.values', 'expected an object');

  const root: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(header.values)) setPath(root, path, v, file);
  let minOffset = align8(16 + hlen);
  for (const [i, e] of header.arrays.entries()) {
    const where = `header.arrays[${i}] (${typeof e?.path === 'string' ? e.path : '?'})`;
    if (typeof e !== 'object' || e === null || typeof e.path !== 'string')
      throw new ModelFormatError(
        file,
        where,
        'expected { path, dtype, shape, byteOffset, byteLength }',
      );
    const ctor = Object.hasOwn(DTYPES, e.dtype) ? DTYPES[e.dtype] : undefined;
    if (!ctor)
      throw new ModelFormatError(
        file,
        where,
        `dtype ${JSON.stringify(e.dtype)} is not one of ${Object.keys(DTYPES).join(', ')}`,
      );
    if (!Array.isArray(e.shape) || e.shape.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ModelFormatError(
        file,
        where,
        `shape ${JSON.stringify(e.shape)} is not a list of sizes`,
      );
    }
    const count = e.shape.reduce((p, s) => p * s, 1);
    if (e.byteLength !== count * ctor.BYTES_PER_ELEMENT) {
      throw new ModelFormatError(
        file,
        where,
        `byteLength ${e.byteLength} does not match ${e.dtype} [${e.shape.join(', ')}] = ${count * ctor.BYTES_PER_ELEMENT} bytes`,
      );
    }
    if (!Number.isInteger(e.byteOffset) || e.byteOffset % 8 !== 0 || e.byteOffset < minOffset) {
      throw new ModelFormatError(
        file,
        where,
        `byteOffset ${e.byteOffset} must be 8-aligned and ≥ ${minOffset} (after the header and the previous array)`,
      );
    }
    if (e.byteOffset + e.byteLength > bytes.length) {
      throw new ModelFormatError(
        file,
        where,
        `file truncated: the array needs bytes ${e.byteOffset} … ${e.byteOffset + e.byteLength}, the file has ${bytes.length}`,
      );
    }
    minOffset = align8(e.byteOffset + e.byteLength);
    const copy = bytes.slice(e.byteOffset, e.byteOffset + e.byteLength);
    if (!LITTLE_ENDIAN_HOST && ctor.BYTES_PER_ELEMENT > 1) {
      const w = ctor.BYTES_PER_ELEMENT;
      for (let k = 0; k < copy.length; k += w) copy.subarray(k, k + w).reverse();
    }
    setPath(root, e.path, new ctor(copy.buffer, 0, count), file);
  }
  const last = header.arrays[header.arrays.length - 1];
  const end = last ? last.byteOffset + last.byteLength : align8(16 + hlen);
  if (bytes.length !== end) {
    throw new ModelFormatError(
      file,
      'arrays',
      `the header describes ${end} bytes, the file has ${bytes.length}`,
    );
  }
  root.metadata = header.metadata;
  if (header.kind === 'grid-model') {
    checkGridModel(root as unknown as GridModel, file);
    if (!isGridModel(root as unknown as GridModel))
      throw new ModelFormatError(file, 'kind', 'grid-model without res/valid');
    return root as unknown as GridModel;
  }
  checkMorphableModel(root as unknown as MorphableModel, file);
  return root as unknown as MorphableModel;
}

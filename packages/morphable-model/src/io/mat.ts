/**
 * MATLAB MAT-file reader, level 5 (the `-v6`/`-v7` format: a 128-byte header, then tagged data
 * elements, `miCOMPRESSED` ones zlib-deflated). Pure TypeScript on bytes: no Node built-ins.
 *
 * Only the variables asked for are decoded. A compressed variable that is not asked for is
 * skipped after inflating its first few hundred bytes (to learn its name); an uncompressed one is
 * skipped from its tag. Every size is checked against the bytes that hold it before anything
 * is allocated, and every failure is a `ModelFormatError` naming the variable (and field).
 *
 * Values keep MATLAB's column-major order: element (i, j) of an [m, n] matrix is `data[i + j*m]`.
 *
 * v7.3 files (HDF5 underneath) are recognised here (`matFileVersion`) but read by `mat-v73.ts`.
 */
import { Unzlib, unzlibSync } from 'fflate';
import { ModelFormatError } from '../errors';

/** Numeric classes a value can have (MATLAB's `class(x)`). */
export type MatNumericClass =
  | 'double'
  | 'single'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64';

export type MatNumericData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/** A real numeric (or logical) array. int64/uint64 become Float64Array (checked exact). */
export interface MatNumeric {
  kind: 'numeric';
  class: MatNumericClass;
  logical: boolean;
  /** MATLAB dimensions, ≥ 2 of them. */
  dims: number[];
  /** Column-major values, length ∏dims, in the class's array type (int64 → Float64Array). */
  data: MatNumericData;
}

export interface MatChar {
  kind: 'char';
  dims: number[];
  /** The characters in column-major order (a 1 × n char array is the string itself). */
  text: string;
}

export interface MatStruct {
  kind: 'struct';
  dims: number[];
  fieldNames: string[];
  /** One record per struct element (column-major), field name → value. */
  elements: Record<string, MatValue>[];
}

export interface MatCell {
  kind: 'cell';
  dims: number[];
  /** Column-major cells. */
  cells: MatValue[];
}

export type MatValue = MatNumeric | MatChar | MatStruct | MatCell;

/** A variable in the file's table of contents. */
export interface MatVariableInfo {
  name: string;
  /** 'double', 'single', …, 'char', 'struct', 'cell', 'logical', or another class name. */
  class: string;
  dims: number[];
  compressed: boolean;
}

/**
 * Inflates a complete zlib stream that should decompress to `size` bytes. May return more or
 * fewer bytes than `size` (the reader checks); may throw on corrupt data (wrapped by the reader).
 */
export type MatInflate = (zlib: Uint8Array, size: number) => Uint8Array | Promise<Uint8Array>;

export interface ReadMatOptions {
  /** File name for error messages (default `<bytes>`). */
  file?: string;
  /** Names of the variables to decode; default all. Absent names are not an error here. */
  variables?: readonly string[];
  /**
   * The zlib inflate for `miCOMPRESSED` elements; default `inflateDefault` (`DecompressionStream`
   * where the platform has it, else the pure-JS `inflateFflate`).
   */
  inflate?: MatInflate;
}

// Data types (MAT-file Level 5 format, table 1-1).
const mi = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
} as const;

const TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 2,
  5: 4,
  6: 4,
  7: 4,
  9: 8,
  12: 8,
  13: 8,
  16: 1,
  17: 2,
  18: 4,
};

const TYPE_NAME: Record<number, string> = {
  1: 'miINT8',
  2: 'miUINT8',
  3: 'miINT16',
  4: 'miUINT16',
  5: 'miINT32',
  6: 'miUINT32',
  7: 'miSINGLE',
  9: 'miDOUBLE',
  12: 'miINT64',
  13: 'miUINT64',
  14: 'miMATRIX',
  15: 'miCOMPRESSED',
  16: 'miUTF8',
  17: 'miUTF16',
  18: 'miUTF32',
};

// Array classes (table 1-3).
const CLASS_NAME: Record<number, string> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  4: 'char',
  5: 'sparse',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
  16: 'function handle',
  17: 'opaque',
};

/** The data type each numeric class is held in when stored without MATLAB's size reduction. */
const CLASS_TYPE: Record<number, number> = {
  6: mi.DOUBLE,
  7: mi.SINGLE,
  8: mi.INT8,
  9: mi.UINT8,
  10: mi.INT16,
  11: mi.UINT16,
  12: mi.INT32,
  13: mi.UINT32,
  14: mi.INT64,
  15: mi.UINT64,
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes of the header, and how many bytes of a compressed variable to inflate to learn its name. */
const HEADER_BYTES = 128;
const HEAD_BYTES = 1024;

/** The kind of MAT file, from its header; undefined if it is not one. */
export function matFileVersion(bytes: Uint8Array): 'level5' | 'v7.3' | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  const text = String.fromCharCode(...bytes.subarray(0, 19));
  if (!text.startsWith('MATLAB ')) return undefined;
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian !== 'IM' && endian !== 'MI') return undefined;
  const le = endian === 'IM';
  const version = le ? bytes[124] | (bytes[125] << 8) : (bytes[124] << 8) | bytes[125];
  if (version === 0x0200) return 'v7.3';
  if (version === 0x0100) return 'level5';
  return undefined;
}

/** A tagged data element: its type, where its data starts, its byte count, where the next starts. */
interface Tag {
  type: number;
  at: number;
  size: number;
  next: number;
}

/** Bounds-checked reads over one buffer in the file's byte order. */
class Cursor {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
    readonly file: string,
    /** Offset of `bytes[0]` in the file (for messages), or -1 inside an inflated element. */
    readonly base: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(field: string, detail: string, at?: number): ModelFormatError {
    const where =
      at === undefined
        ? ''
        : this.base >= 0
          ? ` (at byte ${this.base + at})`
          : ` (at byte ${at} of the inflated element)`;
    return new ModelFormatError(this.file, field, `${detail}${where}`);
  }

  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }

  i32(at: number): number {
    return this.view.getInt32(at, this.le);
  }

  /** The tag at `at`, with its data inside [at, end). */
  tag(field: string, at: number, end: number): Tag {
    if (at + 8 > end)
      throw this.fail(field, `needs an 8-byte element tag but ${end - at} bytes are left`, at);
    const w = this.u32(at);
    if (w >>> 16 !== 0) {
      // Small data element: byte count in the upper 16 bits, up to 4 bytes of data in the tag.
      const size = w >>> 16;
      if (size > 4)
        throw this.fail(field, `small data element of ${size} bytes (at most 4 allowed)`, at);
      return { type: w & 0xffff, at: at + 4, size, next: at + 8 };
    }
    const size = this.u32(at + 4);
    const data = at + 8;
    if (size > end - data) {
      throw this.fail(
        field,
        `${TYPE_NAME[w] ?? `type ${w}`} element of ${size} bytes but only ${end - data} bytes are left (file truncated?)`,
        at,
      );
    }
    // Elements are padded to 8 bytes, except compressed ones (and a last element may end the data).
    const padded = w === mi.COMPRESSED ? size : Math.ceil(size / 8) * 8;
    return { type: w, at: data, size, next: Math.min(data + padded, end) };
  }

  expectType(field: string, t: Tag, types: readonly number[], what: string): void {
    if (!types.includes(t.type)) {
      throw this.fail(
        field,
        `expected ${what}, got ${TYPE_NAME[t.type] ?? `data type ${t.type}`}`,
        t.at,
      );
    }
  }
}

/** The header of a miMATRIX element (array flags, dimensions, name). */
interface MatrixHead {
  classId: number;
  complex: boolean;
  logical: boolean;
  dims: number[];
  count: number;
  name: string;
  /** Where the class-specific sub-elements start. */
  body: number;
}

const MAX_DIMS = 32;

function readMatrixHead(c: Cursor, field: string, at: number, end: number): MatrixHead {
  const flags = c.tag(`${field} (array flags)`, at, end);
  c.expectType(`${field} (array flags)`, flags, [mi.UINT32], 'miUINT32 array flags');
  if (flags.size !== 8)
    throw c.fail(field, `array flags of ${flags.size} bytes, expected 8`, flags.at);
  const f = c.u32(flags.at);
  const classId = f & 0xff;
  const dt = c.tag(`${field} (dimensions)`, flags.next, end);
  c.expectType(`${field} (dimensions)`, dt, [mi.INT32], 'miINT32 dimensions');
  const nd = dt.size / 4;
  if (!Number.isInteger(nd) || nd < 2 || nd > MAX_DIMS) {
    throw c.fail(field, `dimensions of ${dt.size} bytes, expected 2 to ${MAX_DIMS} int32`, dt.at);
  }
  const dims: number[] = [];
  let count = 1;
  for (let k = 0; k < nd; k++) {
    const d = c.i32(dt.at + 4 * k);
    if (d < 0) throw c.fail(field, `dimension ${k + 1} is ${d}, expected ≥ 0`, dt.at);
    dims.push(d);
    count *= d;
  }
  if (count > Number.MAX_SAFE_INTEGER) throw c.fail(field, `dimensions [${dims}] are too large`);
  const nt = c.tag(`${field} (name)`, dt.next, end);
  c.expectType(`${field} (name)`, nt, [mi.INT8, mi.UINT8, mi.UTF8], 'a miINT8 array name');
  const name = new TextDecoder().decode(c.bytes.subarray(nt.at, nt.at + nt.size));
  return {
    classId,
    complex: (f & 0x0800) !== 0,
    logical: (f & 0x0200) !== 0,
    dims,
    count,
    name,
    body: nt.next,
  };
}

function className(h: MatrixHead): string {
  return h.logical ? 'logical' : (CLASS_NAME[h.classId] ?? `class ${h.classId}`);
}

/** Reads a whole miMATRIX element's content [at, end) (after its tag). */
function readMatrix(c: Cursor, field: string, at: number, end: number): MatValue {
  // An empty miMATRIX (no bytes at all) is how files write [] in struct fields and cells.
  if (at === end) return emptyDouble();
  const h = readMatrixHead(c, field, at, end);
  if (h.complex) {
    throw c.fail(field, `complex ${className(h)} array: only real arrays are supported`, at);
  }
  switch (h.classId) {
    case 1:
      return readCell(c, field, h, end);
    case 2:
      return readStruct(c, field, h, end);
    case 4:
      return readChar(c, field, h, end);
    default:
      if (h.classId in CLASS_TYPE) return readNumeric(c, field, h, end);
      throw c.fail(
        field,
        `${className(h)} arrays are not supported (expected numeric, char, struct or cell)`,
        at,
      );
  }
}

function emptyDouble(): MatNumeric {
  return {
    kind: 'numeric',
    class: 'double',
    logical: false,
    dims: [0, 0],
    data: new Float64Array(0),
  };
}

type TypedCtor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor;

const CTOR: Record<number, TypedCtor> = {
  [mi.INT8]: Int8Array,
  [mi.UINT8]: Uint8Array,
  [mi.INT16]: Int16Array,
  [mi.UINT16]: Uint16Array,
  [mi.INT32]: Int32Array,
  [mi.UINT32]: Uint32Array,
  [mi.SINGLE]: Float32Array,
  [mi.DOUBLE]: Float64Array,
  [mi.INT64]: Float64Array,
  [mi.UINT64]: Float64Array,
};

/**
 * `n` values of data type `type` at `at` as the typed array of `classType`. When the stored type is
 * the class's own and the byte order is the host's, the bytes are copied once (or, for a buffer the
 * reader owns, viewed in place); otherwise converted value by value.
 */
function numbers(
  c: Cursor,
  field: string,
  type: number,
  at: number,
  n: number,
  classType: number,
  owned: boolean,
): MatNumericData {
  const Out = CTOR[classType];
  const size = TYPE_SIZE[type];
  const v = c.view;
  if (
    type === classType &&
    type !== mi.INT64 &&
    type !== mi.UINT64 &&
    c.le === LITTLE_ENDIAN_HOST
  ) {
    const off = c.bytes.byteOffset + at;
    if (owned && off % size === 0) return new Out(c.bytes.buffer as ArrayBuffer, off, n);
    const out = new Out(n);
    new Uint8Array(out.buffer).set(c.bytes.subarray(at, at + n * size));
    return out;
  }
  const out = new Out(n);
  const le = c.le;
  switch (type) {
    case mi.INT8:
      for (let i = 0; i < n; i++) out[i] = v.getInt8(at + i);
      break;
    case mi.UINT8:
      for (let i = 0; i < n; i++) out[i] = v.getUint8(at + i);
      break;
    case mi.INT16:
      for (let i = 0; i < n; i++) out[i] = v.getInt16(at + 2 * i, le);
      break;
    case mi.UINT16:
      for (let i = 0; i < n; i++) out[i] = v.getUint16(at + 2 * i, le);
      break;
    case mi.INT32:
      for (let i = 0; i < n; i++) out[i] = v.getInt32(at + 4 * i, le);
      break;
    case mi.UINT32:
      for (let i = 0; i < n; i++) out[i] = v.getUint32(at + 4 * i, le);
      break;
    case mi.SINGLE:
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(at + 4 * i, le);
      break;
    case mi.DOUBLE:
      for (let i = 0; i < n; i++) out[i] = v.getFloat64(at + 8 * i, le);
      break;
    case mi.INT64:
    case mi.UINT64:
      for (let i = 0; i < n; i++) {
        const x =
          type === mi.INT64 ? v.getBigInt64(at + 8 * i, le) : v.getBigUint64(at + 8 * i, le);
        const d = Number(x);
        if (!Number.isSafeInteger(d))
          throw c.fail(field, `64-bit value ${x} at index ${i} is not exactly representable`);
        out[i] = d;
      }
      break;
    default:
      throw c.fail(field, `data type ${TYPE_NAME[type] ?? type} is not numeric`, at);
  }
  return out;
}

/** Whether a Cursor's buffer is the reader's own (inflated), so that values may view it. */
const OWNED = new WeakSet<Cursor>();

function readNumeric(c: Cursor, field: string, h: MatrixHead, end: number): MatNumeric {
  const cls = CLASS_NAME[h.classId] as MatNumericClass;
  const t = c.tag(`${field} (real part)`, h.body, end);
  const size = TYPE_SIZE[t.type];
  if (size === undefined || t.type === mi.UTF8 || t.type === mi.UTF16 || t.type === mi.UTF32)
    throw c.fail(
      field,
      `expected numeric data for a ${cls} array, got ${TYPE_NAME[t.type] ?? `data type ${t.type}`}`,
      t.at,
    );
  if (t.size !== h.count * size) {
    throw c.fail(
      field,
      `${cls} array [${h.dims.join(', ')}] needs ${h.count} × ${size} bytes of ${TYPE_NAME[t.type]}, the element has ${t.size}`,
      t.at,
    );
  }
  const data = numbers(c, field, t.type, t.at, h.count, CLASS_TYPE[h.classId], OWNED.has(c));
  return { kind: 'numeric', class: cls, logical: h.logical, dims: h.dims, data };
}

function readChar(c: Cursor, field: string, h: MatrixHead, end: number): MatChar {
  if (h.count === 0) return { kind: 'char', dims: h.dims, text: '' };
  const t = c.tag(`${field} (characters)`, h.body, end);
  const raw = c.bytes.subarray(t.at, t.at + t.size);
  let text: string;
  switch (t.type) {
    case mi.UTF8:
    case mi.UINT8:
    case mi.INT8:
      text = new TextDecoder().decode(raw);
      break;
    case mi.UTF16:
    case mi.UINT16: {
      if (t.size !== 2 * h.count)
        throw c.fail(field, `char array of ${h.count} needs ${2 * h.count} bytes, got ${t.size}`);
      const codes = new Uint16Array(h.count);
      for (let i = 0; i < h.count; i++) codes[i] = c.view.getUint16(t.at + 2 * i, c.le);
      text = '';
      for (let i = 0; i < codes.length; i += 8192)
        text += String.fromCharCode(...codes.subarray(i, i + 8192));
      break;
    }
    default:
      throw c.fail(field, `expected character data, got ${TYPE_NAME[t.type] ?? t.type}`, t.at);
  }
  return { kind: 'char', dims: h.dims, text };
}

function readCell(c: Cursor, field: string, h: MatrixHead, end: number): MatCell {
  const cells: MatValue[] = [];
  let at = h.body;
  for (let i = 0; i < h.count; i++) {
    const f = `${field}{${i + 1}}`;
    const t = c.tag(f, at, end);
    c.expectType(f, t, [mi.MATRIX], 'a miMATRIX cell');
    cells.push(readMatrix(c, f, t.at, t.at + t.size));
    at = t.next;
  }
  return { kind: 'cell', dims: h.dims, cells };
}

function readStruct(c: Cursor, field: string, h: MatrixHead, end: number): MatStruct {
  const lt = c.tag(`${field} (field name length)`, h.body, end);
  c.expectType(`${field} (field name length)`, lt, [mi.INT32], 'miINT32 field name length');
  const len = c.i32(lt.at);
  if (len < 1 || len > 4096)
    throw c.fail(field, `field name length ${len}, expected 1…4096`, lt.at);
  const nt = c.tag(`${field} (field names)`, lt.next, end);
  c.expectType(`${field} (field names)`, nt, [mi.INT8, mi.UINT8], 'miINT8 field names');
  if (nt.size % len !== 0)
    throw c.fail(field, `field names of ${nt.size} bytes, not a multiple of ${len}`, nt.at);
  const fieldNames: string[] = [];
  for (let k = 0; k < nt.size / len; k++) {
    const raw = c.bytes.subarray(nt.at + k * len, nt.at + (k + 1) * len);
    const z = raw.indexOf(0);
    fieldNames.push(new TextDecoder().decode(z >= 0 ? raw.subarray(0, z) : raw));
  }
  // Each field of each element is at least an 8-byte tag: check before looping.
  if (h.count * fieldNames.length * 8 > end - nt.next) {
    throw c.fail(
      field,
      `struct [${h.dims}] with ${fieldNames.length} fields needs more bytes than the ${end - nt.next} left`,
      nt.next,
    );
  }
  const elements: Record<string, MatValue>[] = [];
  let at = nt.next;
  for (let i = 0; i < h.count; i++) {
    const rec: Record<string, MatValue> = {};
    for (const name of fieldNames) {
      const f = h.count === 1 ? `${field}.${name}` : `${field}(${i + 1}).${name}`;
      const t = c.tag(f, at, end);
      c.expectType(f, t, [mi.MATRIX], 'a miMATRIX field');
      rec[name] = readMatrix(c, f, t.at, t.at + t.size);
      at = t.next;
    }
    elements.push(rec);
  }
  return { kind: 'struct', dims: h.dims, fieldNames, elements };
}

/** Pure-JS inflate (fflate), into a buffer of the expected size. */
export const inflateFflate: MatInflate = (zlib, size) =>
  unzlibSync(zlib, { out: new Uint8Array(size) });

/**
 * The platform's native inflate through `DecompressionStream('deflate')` (zlib format; browsers
 * and Node ≥ 18), into a buffer of the expected size; stops with an error past `size` bytes.
 */
export const inflateStream: MatInflate = async (zlib, size) => {
  const out = new Uint8Array(size);
  let got = 0;
  const ds = new DecompressionStream('deflate');
  const writer = ds.writable.getWriter();
  // Write without awaiting (backpressure would wait for the reads below); errors surface in read().
  writer.write(zlib as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (got + value.length > size) {
      await reader.cancel().catch(() => {});
      throw new Error(`inflates to more than the ${size} bytes its tag says`);
    }
    out.set(value, got);
    got += value.length;
  }
  return got === size ? out : out.subarray(0, got);
};

/** The default inflate: the platform's native one when it has `DecompressionStream`, else fflate. */
export const inflateDefault: MatInflate =
  typeof globalThis.DecompressionStream === 'function' ? inflateStream : inflateFflate;

/**
 * Inflates the first bytes of a zlib stream (at least `want` when the stream holds them), from a
 * prefix of the compressed bytes only: enough to read a variable's name without inflating it.
 */
function inflateHead(zlib: Uint8Array, want: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let got = 0;
  const u = new Unzlib((d) => {
    parts.push(d);
    got += d.length;
  });
  for (let at = 0; at < zlib.length && got < want; at += 512) {
    const end = Math.min(at + 512, zlib.length);
    u.push(zlib.subarray(at, end), end === zlib.length);
  }
  const out = new Uint8Array(got);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function checkHeader(bytes: Uint8Array, file: string): boolean {
  if (bytes.length < HEADER_BYTES)
    throw new ModelFormatError(file, 'header', `needs 128 bytes, the file has ${bytes.length}`);
  const version = matFileVersion(bytes);
  if (version === undefined) {
    throw new ModelFormatError(
      file,
      'header',
      'not a MATLAB level 5 MAT-file (expected "MATLAB 5.0 MAT-file" text, version 0x0100 and endian indicator "IM" or "MI" at bytes 124–127)',
    );
  }
  if (version === 'v7.3')
    throw new ModelFormatError(file, 'header', 'a v7.3 MAT-file (HDF5): read it with readMatV73');
  return bytes[126] === 0x49; // 'I' first: written little endian
}

interface Entry {
  info: MatVariableInfo;
  /** The miMATRIX content (after its tag) in `cursor`, or the compressed stream. */
  cursor: Cursor;
  at: number;
  end: number;
  /** For a compressed element: its zlib bytes and the inflated element size (tag + content). */
  zlib?: Uint8Array;
  inflatedSize?: number;
}

/** Walks the top-level elements, reading each variable's head (inflating only its first bytes). */
function* entries(bytes: Uint8Array, file: string): Generator<Entry> {
  const le = checkHeader(bytes, file);
  const c = new Cursor(bytes, le, file, 0);
  let at = HEADER_BYTES;
  let index = 0;
  while (at < bytes.length) {
    index++;
    // Files may end with fewer than 8 bytes of padding.
    if (bytes.length - at < 8 && bytes.subarray(at).every((b) => b === 0)) break;
    const field = `variable ${index}`;
    const t = c.tag(field, at, bytes.length);
    if (t.type === mi.MATRIX) {
      const h = readMatrixHead(c, field, t.at, t.at + t.size);
      yield {
        info: { name: h.name, class: className(h), dims: h.dims, compressed: false },
        cursor: c,
        at: t.at,
        end: t.at + t.size,
      };
    } else if (t.type === mi.COMPRESSED) {
      const zlib = bytes.subarray(t.at, t.at + t.size);
      let head: Uint8Array;
      try {
        head = inflateHead(zlib, HEAD_BYTES);
      } catch (e) {
        throw c.fail(field, `cannot inflate the compressed element: ${(e as Error).message}`, at);
      }
      if (head.length < 8)
        throw c.fail(
          field,
          `compressed element inflates to ${head.length} bytes, expected a miMATRIX`,
          at,
        );
      const hc = new Cursor(head, le, file, -1);
      // The head holds only the element's first bytes: its tag is read without the bounds check.
      const type = hc.u32(0);
      const size = hc.u32(4);
      if (type !== mi.MATRIX) {
        throw c.fail(
          field,
          `expected a miMATRIX inside miCOMPRESSED, got ${TYPE_NAME[type] ?? `data type ${type}`}`,
          at,
        );
      }
      // Deflate shrinks by at most ~1032:1; a larger claim is corrupt (and must not be allocated).
      if (size > t.size * 1100 + 1024) {
        throw c.fail(
          field,
          `compressed element of ${t.size} bytes claims ${size} inflated bytes (more than deflate can encode)`,
          at,
        );
      }
      const h = readMatrixHead(hc, field, 8, Math.min(head.length, 8 + size));
      yield {
        info: { name: h.name, class: className(h), dims: h.dims, compressed: true },
        cursor: c,
        at: t.at,
        end: t.at + t.size,
        zlib,
        inflatedSize: 8 + size,
      };
    } else {
      throw c.fail(
        field,
        `expected a miMATRIX or miCOMPRESSED element, got ${TYPE_NAME[t.type] ?? `data type ${t.type}`}`,
        at,
      );
    }
    at = t.next;
  }
}

/**
 * The variables of a level-5 MAT-file (name, class, dims), without decoding their data.
 * @throws ModelFormatError on a file that is not one, or is truncated or corrupt.
 */
export function listMatVariables(bytes: Uint8Array, file = '<bytes>'): MatVariableInfo[] {
  return [...entries(bytes, file)].map((e) => e.info);
}

/**
 * Reads the variables of a level-5 MAT-file (all, or `options.variables`), in file order.
 * Compressed variables are inflated with `options.inflate` (default `inflateDefault`).
 * @throws ModelFormatError naming the variable and what was expected.
 */
export async function readMat(
  bytes: Uint8Array,
  options: ReadMatOptions = {},
): Promise<Map<string, MatValue>> {
  const file = options.file ?? '<bytes>';
  const wanted = options.variables ? new Set(options.variables) : undefined;
  const inflate = options.inflate ?? inflateDefault;
  const out = new Map<string, MatValue>();
  for (const e of entries(bytes, file)) {
    const name = e.info.name;
    if (wanted && !wanted.has(name)) continue;
    if (out.has(name)) throw e.cursor.fail(name, 'variable appears twice in the file');
    if (!e.zlib) {
      out.set(name, readMatrix(e.cursor, name, e.at, e.end));
      continue;
    }
    const size = e.inflatedSize as number;
    let inflated: Uint8Array;
    try {
      inflated = await inflate(e.zlib, size);
    } catch (err) {
      throw new ModelFormatError(
        file,
        name,
        `cannot inflate the compressed variable: ${(err as Error).message}`,
      );
    }
    if (inflated.length < size) {
      throw new ModelFormatError(
        file,
        name,
        `compressed variable inflates to ${inflated.length} bytes, its tag says ${size} (truncated or corrupt)`,
      );
    }
    const ic = new Cursor(inflated, e.cursor.le, file, -1);
    OWNED.add(ic);
    out.set(name, readMatrix(ic, name, 8, size));
  }
  return out;
}

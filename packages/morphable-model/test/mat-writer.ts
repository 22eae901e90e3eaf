/**
 * A small MATLAB level-5 MAT-file writer for tests: numeric (any real class, optionally stored in
 * a smaller data type as MATLAB does), char, struct and cell values; compressed or not; either
 * byte order. Written from the format description, independently of the reader.
 */
import { deflateSync } from 'node:zlib';

export type WClass =
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

export type WValue =
  | {
      kind: 'numeric';
      class: WClass;
      dims: number[];
      /** Column-major values. */
      data: ArrayLike<number>;
      /** Data type to store the values in (MATLAB stores e.g. integer-valued doubles as miUINT16). */
      storeAs?: WClass;
      logical?: boolean;
      complex?: boolean;
    }
  | { kind: 'char'; text: string }
  | { kind: 'struct'; dims?: number[]; fields: Record<string, WValue>[] }
  | { kind: 'cell'; dims: number[]; cells: WValue[] };

export interface WriteOptions {
  littleEndian?: boolean;
  compress?: boolean;
  /** Header text (default a level-5 description). */
  text?: string;
}

const CLASS_ID: Record<WClass, number> = {
  double: 6,
  single: 7,
  int8: 8,
  uint8: 9,
  int16: 10,
  uint16: 11,
  int32: 12,
  uint32: 13,
  int64: 14,
  uint64: 15,
};
const MI: Record<WClass, [number, number]> = {
  int8: [1, 1],
  uint8: [2, 1],
  int16: [3, 2],
  uint16: [4, 2],
  int32: [5, 4],
  uint32: [6, 4],
  single: [7, 4],
  double: [9, 8],
  int64: [12, 8],
  uint64: [13, 8],
};

class Out {
  parts: Uint8Array[] = [];
  constructor(readonly le: boolean) {}
  bytes(): Uint8Array {
    const n = this.parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function u32pair(le: boolean, a: number, b: number): Uint8Array {
  const b8 = new Uint8Array(8);
  const v = new DataView(b8.buffer);
  v.setUint32(0, a, le);
  v.setUint32(4, b, le);
  return b8;
}

/** A data element: tag + data + padding to 8 (small element format when ≤ 4 bytes and allowed). */
function element(le: boolean, type: number, data: Uint8Array, small = true): Uint8Array {
  if (small && data.length <= 4 && data.length > 0) {
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setUint32(0, (data.length << 16) | type, le);
    b.set(data, 4);
    return b;
  }
  const pad = (8 - (data.length % 8)) % 8;
  const b = new Uint8Array(8 + data.length + pad);
  b.set(u32pair(le, type, data.length), 0);
  b.set(data, 8);
  return b;
}

function encode(le: boolean, cls: WClass, values: ArrayLike<number>): Uint8Array {
  const [, size] = MI[cls];
  const b = new Uint8Array(values.length * size);
  const v = new DataView(b.buffer);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const o = i * size;
    switch (cls) {
      case 'int8':
        v.setInt8(o, x);
        break;
      case 'uint8':
        v.setUint8(o, x);
        break;
      case 'int16':
        v.setInt16(o, x, le);
        break;
      case 'uint16':
        v.setUint16(o, x, le);
        break;
      case 'int32':
        v.setInt32(o, x, le);
        break;
      case 'uint32':
        v.setUint32(o, x, le);
        break;
      case 'single':
        v.setFloat32(o, x, le);
        break;
      case 'double':
        v.setFloat64(o, x, le);
        break;
      case 'int64':
        v.setBigInt64(o, BigInt(x), le);
        break;
      case 'uint64':
        v.setBigUint64(o, BigInt(x), le);
        break;
    }
  }
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const o = new Out(true);
  o.parts = parts;
  return o.bytes();
}

/** The miMATRIX element for `value` named `name`. */
export function matrixElement(le: boolean, name: string, value: WValue): Uint8Array {
  const parts: Uint8Array[] = [];
  let classId: number;
  let flags = 0;
  let dims: number[];
  const body: Uint8Array[] = [];
  switch (value.kind) {
    case 'numeric': {
      classId = CLASS_ID[value.class];
      if (value.logical) flags |= 0x0200;
      if (value.complex) flags |= 0x0800;
      dims = value.dims;
      const store = value.storeAs ?? value.class;
      body.push(element(le, MI[store][0], encode(le, store, value.data)));
      if (value.complex) body.push(element(le, MI[store][0], encode(le, store, value.data)));
      break;
    }
    case 'char': {
      classId = 4;
      dims = [1, value.text.length];
      const codes = Array.from(value.text, (ch) => ch.charCodeAt(0));
      body.push(element(le, 4, encode(le, 'uint16', codes)));
      break;
    }
    case 'struct': {
      classId = 2;
      dims = value.dims ?? [1, value.fields.length];
      const names = Object.keys(value.fields[0] ?? {});
      const len = 32;
      body.push(element(le, 5, encode(le, 'int32', [len])));
      const nb = new Uint8Array(len * names.length);
      for (const [k, n] of names.entries()) nb.set(new TextEncoder().encode(n), k * len);
      body.push(element(le, 1, nb, false));
      for (const rec of value.fields)
        for (const n of names) body.push(matrixElement(le, '', rec[n]));
      break;
    }
    case 'cell':
      classId = 1;
      dims = value.dims;
      for (const c of value.cells) body.push(matrixElement(le, '', c));
      break;
  }
  parts.push(
    element(
      le,
      6,
      concat([encode(le, 'uint32', [flags | classId]), encode(le, 'uint32', [0])]),
      false,
    ),
  );
  parts.push(element(le, 5, encode(le, 'int32', dims), false));
  parts.push(element(le, 1, new TextEncoder().encode(name)));
  parts.push(...body);
  const content = concat(parts);
  return concat([u32pair(le, 14, content.length), content]);
}

/** A whole level-5 MAT-file holding `vars` in order. */
export function writeMat(vars: Record<string, WValue>, options: WriteOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const header = new Uint8Array(128).fill(0x20);
  header.set(
    new TextEncoder().encode(
      (options.text ?? 'MATLAB 5.0 MAT-file, Platform: test, Created on: test writer').slice(
        0,
        116,
      ),
    ),
  );
  header.fill(0, 116, 124);
  const v = new DataView(header.buffer);
  v.setUint16(124, 0x0100, le);
  header.set(new TextEncoder().encode(le ? 'IM' : 'MI'), 126);
  const parts: Uint8Array[] = [header];
  for (const [name, value] of Object.entries(vars)) {
    const m = matrixElement(le, name, value);
    if (options.compress) {
      const z = deflateSync(m);
      parts.push(u32pair(le, 15, z.length), new Uint8Array(z.buffer, z.byteOffset, z.length));
    } else {
      parts.push(m);
    }
  }
  return concat(parts);
}

/** Shorthands. */
export const num = (
  cls: WClass,
  dims: number[],
  data: ArrayLike<number>,
  extra: Partial<Extract<WValue, { kind: 'numeric' }>> = {},
): WValue => ({ kind: 'numeric', class: cls, dims, data, ...extra });

/**
 * MATLAB v7.3 MAT-files: HDF5 behind a 512-byte MATLAB header (the HDF5 user block), read with
 * h5wasm's ESM build on an in-memory file system (browser-safe; no Node built-ins).
 *
 * MATLAB writes each variable as a root dataset with a `MATLAB_class` attribute; an [m, n] array is
 * stored as an HDF5 [n, m] dataset (HDF5 is row-major, MATLAB column-major), so the dataset's bytes
 * in order are MATLAB's column-major values and the MATLAB dims are the HDF5 shape reversed. Structs
 * are groups (`MATLAB_class` "struct") holding one dataset per field. Empty arrays carry
 * `MATLAB_empty` = 1 (their data holds the dims). Cells (object references) are not supported.
 */
import { ModelFormatError } from '../errors';
import type { MatNumeric, MatNumericClass, MatNumericData, MatValue } from './mat';

type H5Module = typeof import('h5wasm');
type H5File = InstanceType<H5Module['File']>;
interface H5FS {
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
}

let loaded: Promise<{ h5: H5Module; FS: H5FS }> | undefined;

function loadH5wasm(): Promise<{ h5: H5Module; FS: H5FS }> {
  // Dynamic import: h5wasm is ESM-only and 4 MB; loaded once, only when a v7.3 file is read.
  loaded ??= (async () => {
    const mod = (await import('h5wasm')) as unknown as { default?: H5Module } & H5Module;
    const h5 = (mod.default ?? mod) as H5Module;
    const { FS } = (await h5.ready) as unknown as { FS: H5FS };
    return { h5, FS };
  })();
  return loaded;
}

let counter = 0;

/** Opens the bytes in h5wasm's memory file system, runs `fn`, and cleans up. */
async function withFile<T>(
  bytes: Uint8Array,
  file: string,
  fn: (h5: H5Module, f: H5File) => T | Promise<T>,
): Promise<T> {
  const { h5, FS } = await loadH5wasm();
  const path = `/3dmm-mat-${++counter}.mat`;
  FS.writeFile(path, bytes);
  let f: H5File | undefined;
  try {
    f = new h5.File(path, 'r');
    if (typeof f.file_id !== 'bigint' || f.file_id < 0n) {
      f = undefined;
      throw new ModelFormatError(
        file,
        'HDF5',
        'the HDF5 library cannot open the v7.3 MAT-file (corrupt or truncated?)',
      );
    }
    return await fn(h5, f);
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(
      file,
      'HDF5',
      `cannot read the v7.3 MAT-file: ${(e as Error).message}`,
    );
  } finally {
    f?.close();
    FS.unlink(path);
  }
}

/** The variable names of a v7.3 MAT-file (root entries, without MATLAB's `#refs#`, `#subsystem#`). */
export function listMatV73(bytes: Uint8Array, file = '<bytes>'): Promise<string[]> {
  return withFile(bytes, file, (_h5, f) => f.keys().filter((k) => !k.startsWith('#')));
}

/**
 * Reads variables (all, or `variables`) of a v7.3 MAT-file as the level-5 reader returns them.
 * @throws ModelFormatError naming the variable and what was expected.
 */
export function readMatV73(
  bytes: Uint8Array,
  file = '<bytes>',
  variables?: readonly string[],
): Promise<Map<string, MatValue>> {
  return withMatV73(bytes, file, (names, read) => read(variables ?? names));
}

/**
 * Opens a v7.3 MAT-file once (one copy into h5wasm's memory file system) and gives `fn` its
 * variable names and a reader of named variables; closes it when `fn` settles.
 */
export function withMatV73<T>(
  bytes: Uint8Array,
  file: string,
  fn: (names: string[], read: (vars: readonly string[]) => Map<string, MatValue>) => T | Promise<T>,
): Promise<T> {
  return withFile(bytes, file, (h5, f) => {
    const keys = f.keys();
    const names = keys.filter((k) => !k.startsWith('#'));
    const read = (vars: readonly string[]) => {
      const out = new Map<string, MatValue>();
      for (const name of vars) {
        if (!keys.includes(name)) continue;
        out.set(name, readEntity(h5, f.get(name), file, name, 0));
      }
      return out;
    };
    return fn(names, read);
  });
}

function attr(entity: { attrs: Record<string, { value: unknown }> }, name: string): unknown {
  return name in entity.attrs ? entity.attrs[name].value : undefined;
}

const CLASS_OF: Array<[new (n: number) => MatNumericData, MatNumericClass]> = [
  [Float64Array, 'double'],
  [Float32Array, 'single'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
  [Int16Array, 'int16'],
  [Uint16Array, 'uint16'],
  [Int32Array, 'int32'],
  [Uint32Array, 'uint32'],
];

const CTOR_OF: Record<string, new (n: number) => MatNumericData> = {
  double: Float64Array,
  single: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: Float64Array,
  uint64: Float64Array,
  logical: Uint8Array,
};

function readEntity(h5: H5Module, e: unknown, file: string, path: string, depth: number): MatValue {
  if (depth > 16) throw new ModelFormatError(file, path, 'structs nested more than 16 deep');
  const cls = attr(e as never, 'MATLAB_class');
  if (e instanceof h5.Group) {
    if (cls !== undefined && cls !== 'struct') {
      throw new ModelFormatError(
        file,
        path,
        `a group of MATLAB class ${String(cls)}: only structs are supported`,
      );
    }
    const rec: Record<string, MatValue> = {};
    const fieldNames = e.keys().filter((k) => !k.startsWith('#'));
    for (const k of fieldNames) rec[k] = readEntity(h5, e.get(k), file, `${path}.${k}`, depth + 1);
    return { kind: 'struct', dims: [1, 1], fieldNames, elements: [rec] };
  }
  if (!(e instanceof h5.Dataset))
    throw new ModelFormatError(file, path, 'expected a dataset or a struct group');
  if (cls === 'cell')
    throw new ModelFormatError(file, path, 'cell arrays in v7.3 files are not supported');
  const shape = (e.shape ?? []).slice().reverse();
  while (shape.length < 2) shape.push(1);
  if (attr(e as never, 'MATLAB_empty')) {
    return cls === 'char'
      ? { kind: 'char', dims: [0, 0], text: '' }
      : {
          kind: 'numeric',
          class: 'double',
          logical: false,
          dims: [0, 0],
          data: new Float64Array(0),
        };
  }
  const meta = e.metadata;
  // H5T_INTEGER = 0, H5T_FLOAT = 1
  if (meta.type !== 0 && meta.type !== 1) {
    throw new ModelFormatError(
      file,
      path,
      `expected a numeric or char dataset, got HDF5 type class ${meta.type}`,
    );
  }
  const value = e.value;
  if (!ArrayBuffer.isView(value) || value instanceof DataView) {
    throw new ModelFormatError(file, path, 'could not read the dataset as a numeric array');
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const src = value as unknown as ArrayLike<number | bigint>;
  if (src.length !== count) {
    throw new ModelFormatError(
      file,
      path,
      `dataset has ${src.length} values, its shape [${shape}] needs ${count}`,
    );
  }
  if (cls === 'char') {
    let text = '';
    for (let i = 0; i < count; i += 8192) {
      text += String.fromCharCode(
        ...Array.from({ length: Math.min(8192, count - i) }, (_, j) => Number(src[i + j])),
      );
    }
    return { kind: 'char', dims: shape, text };
  }
  let mclass: MatNumericClass;
  let logical = false;
  if (typeof cls === 'string' && cls in CTOR_OF) {
    logical = cls === 'logical';
    mclass = logical ? 'uint8' : (cls as MatNumericClass);
  } else {
    mclass = CLASS_OF.find(([C]) => value instanceof C)?.[1] ?? 'double';
  }
  const Ctor = CTOR_OF[logical ? 'logical' : mclass];
  let data: MatNumericData;
  if (
    value instanceof Ctor &&
    !(value instanceof BigInt64Array || value instanceof BigUint64Array)
  ) {
    data = value as MatNumericData;
  } else {
    data = new Ctor(count);
    for (let i = 0; i < count; i++) {
      const x = Number(src[i]);
      if (typeof src[i] === 'bigint' && !Number.isSafeInteger(x))
        throw new ModelFormatError(
          file,
          path,
          `64-bit value ${src[i]} at index ${i} is not exactly representable`,
        );
      data[i] = x;
    }
  }
  const v: MatNumeric = { kind: 'numeric', class: mclass, logical, dims: shape, data };
  return v;
}

/**
 * The level-5 MAT-file reader against the test writer (both byte orders, compressed or not), a
 * file written by scipy.io.savemat (a foreign writer), and corrupt input.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  inflateFflate,
  inflateStream,
  listMatVariables,
  type MatInflate,
  matFileVersion,
  type MatNumeric,
  type MatStruct,
  readMat,
} from '../src/io/mat';
import { ModelFormatError } from '../src/index';
import { inflateNode } from '../src/io/mat-node';
import { rng } from './io-h5';
import { num, type WValue, writeMat } from './mat-writer';

const M = 5;
const Nc = 3;
// A [5, 3] double matrix, column-major.
const dbl = Float64Array.from({ length: M * Nc }, (_, i) => (i - 7) * 0.37);
const vars: Record<string, WValue> = {
  a: num('double', [M, Nc], dbl),
  s: num('single', [2, 2], [1.5, -2.25, 3e-8, 1e30]),
  i8: num('int8', [1, 3], [-128, 0, 127]),
  u16: num('uint16', [3, 1], [0, 1, 65535]),
  i32: num('int32', [1, 2], [-2147483648, 2147483647]),
  u32: num('uint32', [1, 1], [4294967295]),
  i64: num('int64', [1, 2], [-(2 ** 40), 2 ** 52]),
  // MATLAB stores integer-valued doubles in the smallest type that holds them.
  tl: num('double', [2, 3], [1, 2, 3, 300, 5, 6], { storeAs: 'uint16' }),
  mask: num('uint8', [1, 4], [1, 0, 0, 1], { logical: true }),
  name: { kind: 'char', text: 'Basel Face Model' },
  empty: num('double', [0, 0], []),
  nd: num('single', [2, 1, 3], [1, 2, 3, 4, 5, 6]),
  st: {
    kind: 'struct',
    fields: [{ w: num('single', [2, 1], [7, 8]), label: { kind: 'char', text: 'x' } }],
  },
  c: {
    kind: 'cell',
    dims: [1, 2],
    cells: [num('double', [1, 1], [42]), { kind: 'char', text: 'hi' }],
  },
};

function expectValues(m: Map<string, unknown>): void {
  const n = (k: string) => m.get(k) as MatNumeric;
  expect(n('a')).toMatchObject({ class: 'double', dims: [5, 3] });
  expect(Array.from(n('a').data)).toEqual(Array.from(dbl));
  expect(n('a').data).toBeInstanceOf(Float64Array);
  expect(Array.from(n('s').data)).toEqual(Array.from(Float32Array.of(1.5, -2.25, 3e-8, 1e30)));
  expect(n('s').data).toBeInstanceOf(Float32Array);
  expect(Array.from(n('i8').data)).toEqual([-128, 0, 127]);
  expect(n('i8').data).toBeInstanceOf(Int8Array);
  expect(Array.from(n('u16').data)).toEqual([0, 1, 65535]);
  expect(Array.from(n('i32').data)).toEqual([-2147483648, 2147483647]);
  expect(Array.from(n('u32').data)).toEqual([4294967295]);
  expect(Array.from(n('i64').data)).toEqual([-(2 ** 40), 2 ** 52]);
  expect(n('tl')).toMatchObject({ class: 'double', dims: [2, 3] });
  expect(n('tl').data).toBeInstanceOf(Float64Array);
  expect(Array.from(n('tl').data)).toEqual([1, 2, 3, 300, 5, 6]);
  expect(n('mask')).toMatchObject({ class: 'uint8', logical: true });
  expect(m.get('name')).toMatchObject({ kind: 'char', text: 'Basel Face Model' });
  expect(n('empty')).toMatchObject({ dims: [0, 0] });
  expect(n('empty').data.length).toBe(0);
  expect(n('nd').dims).toEqual([2, 1, 3]);
  const st = m.get('st') as MatStruct;
  expect(st.fieldNames).toEqual(['w', 'label']);
  expect(Array.from((st.elements[0].w as MatNumeric).data)).toEqual([7, 8]);
  expect(st.elements[0].label).toMatchObject({ kind: 'char', text: 'x' });
  expect(m.get('c')).toMatchObject({ kind: 'cell', dims: [1, 2] });
}

describe('readMat (level 5)', () => {
  for (const littleEndian of [true, false]) {
    for (const compress of [false, true]) {
      it(`reads every supported class (${littleEndian ? 'little' : 'big'} endian, ${compress ? 'compressed' : 'uncompressed'})`, async () => {
        const bytes = writeMat(vars, { littleEndian, compress });
        expect(matFileVersion(bytes)).toBe('level5');
        expectValues(await readMat(bytes));
        expectValues(await readMat(bytes, { inflate: inflateFflate }));
        expectValues(await readMat(bytes, { inflate: inflateStream }));
        expectValues(await readMat(bytes, { inflate: inflateNode }));
        const list = listMatVariables(bytes);
        expect(list.map((v) => v.name)).toEqual(Object.keys(vars));
        expect(list[0]).toEqual({ name: 'a', class: 'double', dims: [5, 3], compressed: compress });
        expect(list.find((v) => v.name === 'mask')?.class).toBe('logical');
        expect(list.find((v) => v.name === 'st')?.class).toBe('struct');
      });
    }
  }

  it('decodes only the variables asked for; unasked compressed ones are never inflated', async () => {
    const bytes = writeMat(vars, { compress: true });
    const sizes: number[] = [];
    const counting: MatInflate = (z, size) => {
      sizes.push(size);
      return inflateFflate(z, size);
    };
    const m = await readMat(bytes, { variables: ['s', 'name', 'absent'], inflate: counting });
    expect([...m.keys()]).toEqual(['s', 'name']);
    expect(sizes.length).toBe(2);
  });

  it('rejects complex, sparse-like and foreign input with a typed error naming the variable', async () => {
    const complex = writeMat({ z: num('double', [1, 2], [1, 2], { complex: true }) });
    await expect(readMat(complex, { file: 'z.mat' })).rejects.toThrow(
      /z\.mat: z: complex double array: only real arrays are supported/,
    );
    await expect(readMat(new Uint8Array(200), { file: 'zero.mat' })).rejects.toThrow(
      ModelFormatError,
    );
    await expect(readMat(new Uint8Array(10))).rejects.toThrow(/needs 128 bytes/);
    const v73 = writeMat({});
    new DataView(v73.buffer).setUint16(124, 0x0200, true);
    await expect(readMat(v73)).rejects.toThrow(/v7\.3/);
  });

  it('checks dimensions against the bytes before allocating', async () => {
    const bytes = writeMat({ big: num('single', [4, 4], new Float32Array(16)) });
    // The dims element follows the 8-byte matrix tag and the 16-byte flags: patch rows to 2^30.
    const dimsAt = 128 + 8 + 16 + 8;
    const b = Uint8Array.from(bytes);
    new DataView(b.buffer).setInt32(dimsAt, 2 ** 30, true);
    await expect(readMat(b, { file: 'big.mat' })).rejects.toThrow(
      /big\.mat: big: single array \[1073741824, 4\] needs 4294967296 × 4 bytes of miSINGLE, the element has 64/,
    );
    new DataView(b.buffer).setInt32(dimsAt, -1, true);
    await expect(readMat(b)).rejects.toThrow(/dimension 1 is -1/);
  });

  it('truncation and byte flips give a typed error or a valid result, never another error', async () => {
    const r = rng(21);
    for (const compress of [false, true]) {
      for (const littleEndian of [true, false]) {
        const bytes = writeMat(vars, { compress, littleEndian });
        for (let k = 0; k < 60; k++) {
          const cut = k < 30 ? 120 + k * 7 : Math.floor(r() * bytes.length);
          // A cut between two variables is a valid, shorter file (level 5 has no end marker);
          // anywhere else it is a typed error.
          try {
            const m = await readMat(bytes.subarray(0, cut));
            expect(m.size).toBeLessThan(Object.keys(vars).length);
            expect(
              listMatVariables(bytes)
                .map((v) => v.name)
                .slice(0, m.size),
            ).toEqual([...m.keys()]);
          } catch (e) {
            expect(e).toBeInstanceOf(ModelFormatError);
          }
        }
        for (let k = 0; k < 150; k++) {
          const b = Uint8Array.from(bytes);
          for (let f = 0; f < 3; f++)
            b[120 + Math.floor(r() * (b.length - 120))] ^= 1 << Math.floor(r() * 8);
          for (const inflate of [inflateFflate, inflateStream, inflateNode]) {
            try {
              await readMat(b, { inflate });
            } catch (e) {
              if (!(e instanceof ModelFormatError)) throw e;
            }
          }
        }
      }
    }
  });
});

describe('MAT-files written by scipy.io.savemat (a foreign writer)', () => {
  const expected = JSON.parse(
    readFileSync(new URL('./fixtures/scipy-savemat.json', import.meta.url), 'utf8'),
  ) as Record<string, { class: string; dims: number[]; data: number[] }>;

  for (const name of ['scipy-savemat.mat', 'scipy-savemat-raw.mat']) {
    it(`reads every variable the script wrote (${name})`, async () => {
      const bytes = new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
      const m = await readMat(bytes, { file: name });
      for (const [key, e] of Object.entries(expected)) {
        if (key.startsWith('_')) continue;
        const v = m.get(key) as MatNumeric;
        expect(v, key).toBeDefined();
        expect(v.class, key).toBe(e.class);
        expect(v.dims, key).toEqual(e.dims);
        expect(Array.from(v.data), key).toEqual(
          e.data.map((x) => (e.class === 'single' ? Math.fround(x) : x)),
        );
      }
      expect((m.get('flag') as MatNumeric).logical).toBe(true);
      expect(m.get('label')).toMatchObject({ kind: 'char', text: 'scipy level-5 fixture' });
      const model = m.get('model') as MatStruct;
      expect(model.kind).toBe('struct');
      expect([...model.fieldNames].sort()).toEqual(['tri', 'u']);
      expect(Array.from((model.elements[0].u as MatNumeric).data)).toEqual([0, 1, 2, 3, 4, 5]);
    });
  }
});

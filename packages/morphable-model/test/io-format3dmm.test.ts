import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import type { GridModel, MorphableModel } from '../src/index';
import {
  FORMAT_VERSION_3DMM,
  isGridModel,
  ModelFormatError,
  readEosBlendshapes,
  readEosModel,
  readLandmarkMapping,
  readModel,
  writeModel,
} from '../src/index';

/** Every typed array of `a` and `b` equal byte for byte, and all other fields deep-equal. */
function expectBitwiseEqual(a: unknown, b: unknown, path = ''): void {
  if (ArrayBuffer.isView(a)) {
    expect(b?.constructor, path).toBe(a.constructor);
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(
      (b as Uint8Array).buffer,
      (b as Uint8Array).byteOffset,
      (b as Uint8Array).byteLength,
    );
    expect(y.length, path).toBe(x.length);
    expect(Buffer.compare(Buffer.from(x), Buffer.from(y)), path).toBe(0);
  } else if (typeof a === 'object' && a !== null && !Array.isArray(a)) {
    expect(Object.keys(b as object).sort(), path).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a))
      expectBitwiseEqual((a as never)[k], (b as never)[k], `${path}.${k}`);
  } else {
    expect(b, path).toEqual(a);
  }
}

function sfmFull(): MorphableModel {
  const m = readEosModel(
    readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')),
    'sfm_shape_3448.bin',
    {
      landmarks: readLandmarkMapping(
        readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
        'ibug_to_sfm.txt',
      ),
    },
  );
  m.expression = readEosBlendshapes(
    readFileSync(fixturePath('sfm', 'expression_blendshapes_3448.bin')),
    'bs.bin',
  );
  const n = m.numVertices;
  // Optional fields the fixture lacks, with awkward values: NaN payloads and -0 must survive.
  m.symmetry = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
  m.color = {
    mean: Float32Array.from({ length: 3 * n }, (_, i) => (i % 7) / 7),
    basis: {
      numModes: 1,
      basis: Float32Array.from({ length: 3 * n }, (_, i) => (i === 5 ? -0 : Math.sin(i))),
      variance: Float32Array.of(2),
    },
  };
  const nanWithPayload = new Float32Array(new Uint32Array([0x7fc01234]).buffer)[0];
  m.color.mean[1] = nanWithPayload;
  m.metadata.licence = 'non-commercial';
  m.metadata.extra = {
    ...m.metadata.extra,
    nested: { list: [1, 'two', null, true] },
    unicode: 'Tübingen ✓',
  };
  return m;
}

function tinyGrid(): GridModel {
  const res = 4;
  const r2 = res * res;
  const D = 3;
  const L = 2;
  return {
    res,
    numModes: D,
    numShapeModes: 2,
    mean: Float32Array.from({ length: 3 * r2 }, (_, i) => i * 0.5),
    basis: Float32Array.from({ length: D * r2 * 3 }, (_, i) => Math.cos(i)),
    valid: Uint8Array.from({ length: r2 }, (_, i) => (i % 5 === 0 ? 0 : 1)),
    triangles: Uint32Array.of(1, 2, 5, 2, 6, 5),
    landmarkIds: Int32Array.of(37, 46),
    landmarkMean: Float32Array.from({ length: 3 * L }, (_, i) => i),
    landmarkBasis: Float32Array.from({ length: D * L * 3 }, (_, i) => -i),
    mirror: Uint32Array.from(
      { length: r2 },
      (_, i) => Math.floor(i / res) * res + (res - 1 - (i % res)),
    ),
    metadata: { name: 'grid', source: 'test', format: 'generated' },
  };
}

describe('.3dmm own format', () => {
  it('round-trips the SFM with every optional field, bit for bit', () => {
    const m = sfmFull();
    const bytes = writeModel(m);
    const back = readModel(bytes, 'sfm.3dmm');
    expect(isGridModel(back)).toBe(false);
    expectBitwiseEqual(m, back);
    // Canonical: writing what was read gives the same bytes.
    expect(Buffer.compare(Buffer.from(writeModel(back)), Buffer.from(bytes))).toBe(0);
  });

  it('round-trips a GridModel bit for bit', () => {
    const g = tinyGrid();
    const back = readModel(writeModel(g), 'g.3dmm');
    expect(isGridModel(back)).toBe(true);
    expectBitwiseEqual(g, back);
    // From a Node Buffer at an odd offset in a shared pool (Buffer#slice does not copy).
    const odd = Buffer.concat([Buffer.alloc(3), Buffer.from(writeModel(g))]).subarray(3);
    expectBitwiseEqual(g, readModel(odd, 'odd.3dmm'));
  });

  it('round-trips a model without optional fields (no extra fields appear)', () => {
    const m = readEosModel(readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')), 'sfm.bin');
    delete m.texCoords;
    const back = readModel(writeModel(m)) as MorphableModel;
    expectBitwiseEqual(m, back);
    expect(
      'color' in back || 'expression' in back || 'symmetry' in back || 'texCoords' in back,
    ).toBe(false);
  });

  it('has the documented byte layout: magic, version, header length, JSON, 8-aligned arrays', () => {
    const g = tinyGrid();
    const bytes = writeModel(g);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([
      0x89, 0x33, 0x44, 0x4d, 0x4d, 0x0d, 0x0a, 0x1a,
    ]);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    expect(dv.getUint32(8, true)).toBe(FORMAT_VERSION_3DMM);
    const hlen = dv.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + hlen)));
    expect(header.kind).toBe('grid-model');
    expect(header.values).toEqual({ numModes: 3, numShapeModes: 2, res: 4 });
    const basis = header.arrays.find((a: { path: string }) => a.path === 'basis');
    expect(basis).toMatchObject({
      dtype: 'float32',
      shape: [3, 16, 3],
      byteLength: 3 * 16 * 3 * 4,
    });
    for (const a of header.arrays) expect(a.byteOffset % 8).toBe(0);
    expect(
      new Float32Array(bytes.slice(basis.byteOffset, basis.byteOffset + basis.byteLength).buffer),
    ).toEqual(g.basis);
  });

  it('throws precise errors on bad magic, version, truncation and header mismatch', () => {
    const bytes = writeModel(tinyGrid());
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);
    expect(() => readModel(new TextEncoder().encode('v 1 2 3\n'), 'x.obj')).toThrow(
      /x\.obj: magic: not a \.3dmm file: expected bytes 89 33 44 4d 4d 0d 0a 1a, got 76 20 31/,
    );
    expect(() => readModel(new Uint8Array(0), 'e')).toThrow(/got an empty file/);
    const v2 = Uint8Array.from(bytes);
    dv(v2).setUint32(8, 2, true);
    expect(() => readModel(v2, 'v2.3dmm')).toThrow(
      /version: unsupported \.3dmm version 2; this reader supports version 1/,
    );
    expect(() => readModel(bytes.subarray(0, 12), 't')).toThrow(
      /file truncated: 12 bytes, the fixed header needs 16/,
    );
    expect(() => readModel(bytes.subarray(0, 40), 't')).toThrow(
      /header: file truncated: the JSON header needs \d+ bytes/,
    );
    expect(() => readModel(bytes.subarray(0, bytes.length - 4), 't')).toThrow(
      /\(valid\): file truncated: the array needs bytes/,
    );
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expect(() => readModel(longer, 'l')).toThrow(
      /arrays: the header describes \d+ bytes, the file has \d+/,
    );

    interface TestHeader {
      kind: string;
      values: Record<string, number>;
      arrays: { path: string; dtype: string; shape: number[]; byteOffset: number }[];
    }
    const edit = (f: (h: TestHeader) => void) => {
      const hlen = dv(bytes).getUint32(12, true);
      const h = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + hlen)));
      f(h);
      const hb = new TextEncoder().encode(JSON.stringify(h).padEnd(hlen, ' '));
      expect(hb.length).toBe(hlen);
      const out = Uint8Array.from(bytes);
      out.set(hb, 16);
      return out;
    };
    expect(() =>
      readModel(
        edit((h) => {
          h.arrays[0].dtype = 'float16';
        }),
        'h',
      ),
    ).toThrow(/dtype "float16" is not one of float32, float64, int32, uint32, uint8/);
    expect(() =>
      readModel(
        edit((h) => {
          h.arrays[0].shape = [3, 16, 2];
        }),
        'h',
      ),
    ).toThrow(/byteLength 576 does not match float32 \[3, 16, 2\] = 384 bytes/);
    expect(() =>
      readModel(
        edit((h) => {
          h.arrays[1].byteOffset += 4;
        }),
        'h',
      ),
    ).toThrow(/byteOffset \d+ must be 8-aligned/);
    expect(() =>
      readModel(
        edit((h) => {
          h.arrays[1].byteOffset = h.arrays[0].byteOffset;
        }),
        'h',
      ),
    ).toThrow(/must be 8-aligned and ≥/);
    expect(() =>
      readModel(
        edit((h) => {
          h.kind = 'mesh';
        }),
        'h',
      ),
    ).toThrow(/header\.kind: expected "morphable-model" or "grid-model", got "mesh"/);
    expect(() =>
      readModel(
        edit((h) => {
          h.values.res = 5;
        }),
        'h',
      ),
    ).toThrow(/h: mean: expected \[res², 3\] = \[25, 3\] = 75 values, got 48/);
    expect(() =>
      readModel(
        edit((h) => {
          h.arrays[1].path = '__proto__.abc';
        }),
        'h',
      ),
    ).toThrow(/not a valid field path/);
    const badJson = Uint8Array.from(bytes);
    badJson[16] = 0x5d; // ']'
    expect(() => readModel(badJson, 'j')).toThrow(ModelFormatError);
    expect(() => readModel(badJson, 'j')).toThrow(
      /the JSON header \(offset 16, \d+ bytes\) does not parse/,
    );
  });

  it('checks the model before writing', () => {
    const g = tinyGrid();
    g.mirror = new Uint32Array(3);
    expect(() => writeModel(g)).toThrow(
      /<model>: mirror: expected \[res²\] = \[16\] = 16 values, got 3/,
    );
    const m = sfmFull();
    m.landmarks[0] = 5000;
    expect(() => writeModel(m)).toThrow(/landmarks: entry 0 is 5000, expected -1 or 0 ≤ id < 3448/);
    const bad = sfmFull();
    bad.metadata.extra = { when: new Date(0) };
    expect(() => writeModel(bad)).toThrow(
      /metadata\.extra\.when: a Date cannot be stored in the JSON header/,
    );
    bad.metadata.extra = { x: Number.NaN };
    expect(() => writeModel(bad)).toThrow(/metadata\.extra\.x: NaN cannot be stored/);
  });
});

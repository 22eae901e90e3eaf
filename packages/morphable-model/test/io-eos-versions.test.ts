import { describe, expect, it } from 'vitest';
import { ModelFormatError, readEosModel } from '../src/index';
import { CerealWriter, tinyPca } from './io-cereal';

const uv = [0, 0, 1, 0, 1, 1, 0, 1]; // eos convention: v down

function model(
  version: number,
  opts: { expression?: 'pca' | 'blendshapes' | 'none'; defs?: boolean; tti?: boolean } = {},
) {
  const w = new CerealWriter().u32(version).pca(tinyPca()).pca(null);
  if (version >= 2) {
    if (opts.expression === 'pca') {
      const e = tinyPca();
      e.mean = new Array(12).fill(0);
      e.mean[1] = 0.5; // the expression mean moves vertex 0 up by 0.5
      e.eig = [1, 0.25];
      w.bool(false).i32(0).pca(e);
    } else if (opts.expression === 'blendshapes') {
      w.bool(false)
        .i32(1)
        .u64(1)
        .string('smile')
        .matrix(12, 1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    } else {
      w.bool(true);
    }
  }
  if (version >= 3) {
    if (opts.defs) w.bool(false).u64(1).string('nose.tip').i32(2);
    else w.bool(true);
  }
  w.f64Pairs(uv);
  if (version >= 4) {
    if (opts.tti) w.triangles([0, 1, 2]);
    else w.u64(0);
  }
  return w.bytes();
}

describe('readEosModel across eos class versions (synthetic archives)', () => {
  it('version 1: scales the basis by √eigenvalue and flips v', () => {
    const m = readEosModel(model(1), 'v1.bin');
    expect(m.numVertices).toBe(4);
    expect(m.shape.variance).toEqual(Float32Array.of(4, 9));
    expect(m.shape.basis[2]).toBeCloseTo(2); // 1 · √4
    expect(m.shape.basis[12 + 3]).toBeCloseTo(1.8); // 0.6 · √9
    expect(m.shape.basis[12 + 7]).toBeCloseTo(2.4);
    expect(Array.from(m.texCoords as Float32Array)).toEqual([0, 1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(m.triangles)).toEqual([0, 1, 2, 0, 2, 3]);
  });

  it('version 2: a PCA expression model (scaled, its mean added to the shape mean)', () => {
    const m = readEosModel(model(2, { expression: 'pca' }), 'v2.bin');
    expect(m.expression?.numModes).toBe(2);
    expect(m.expression?.variance).toEqual(Float32Array.of(1, 0.25));
    expect(m.expression?.basis[12 + 3]).toBeCloseTo(0.3); // 0.6 · √0.25
    expect(m.mean[1]).toBeCloseTo(0.5);
    expect(m.metadata.extra?.expressionMeanAdded).toEqual({ maxAbs: 0.5 });
    expect(readEosModel(model(2), 'v2.bin').expression).toBeUndefined();
  });

  it('version 3: blendshapes and landmark definitions', () => {
    const m = readEosModel(model(3, { expression: 'blendshapes', defs: true }), 'v3.bin');
    expect(m.expression?.names).toEqual(['smile']);
    expect(m.expression?.basis[11]).toBe(2);
    expect(m.expression?.variance).toBeUndefined();
    expect(m.metadata.extra?.landmarkDefinitions).toEqual({ 'nose.tip': 2 });
  });

  it('version 4: per-vertex texture coordinates kept when there is no texture triangulation', () => {
    expect(readEosModel(model(4), 'v4.bin').texCoords?.length).toBe(8);
    const seams = readEosModel(model(4, { tti: true }), 'v4.bin');
    expect(seams.texCoords).toBeUndefined();
    expect(String(seams.metadata.extra?.texCoordsDropped)).toMatch(/own 1-triangle triangulation/);
  });

  it('rejects a bad variant index, a bad bool, negative eigenvalues and bad triangles', () => {
    const w = new CerealWriter().u32(2).pca(tinyPca()).pca(null).bool(false).i32(7).bytes();
    expect(() => readEosModel(w, 'x.bin')).toThrow(
      /expression_model\.index: variant index 7, expected 0 \(PcaModel\) or 1 \(Blendshapes\)/,
    );
    const b = new CerealWriter().u32(2).pca(tinyPca()).pca(null).u32(2).bytes();
    expect(() => readEosModel(b, 'b.bin')).toThrow(
      /expression_model\.nullopt: expected a bool \(0 or 1\), got 2/,
    );
    const neg = tinyPca();
    neg.eig = [4, -1];
    expect(() =>
      readEosModel(new CerealWriter().u32(1).pca(neg).pca(null).f64Pairs([]).bytes(), 'n.bin'),
    ).toThrow(/shape_model\.eigenvalues: eigenvalue 1 is -1/);
    const tri = tinyPca();
    tri.tris = [0, 1, 4];
    expect(() =>
      readEosModel(new CerealWriter().u32(1).pca(tri).pca(null).f64Pairs([]).bytes(), 't.bin'),
    ).toThrow(/shape_model\.triangle_list: triangle 0 has vertex id 4, expected 0 ≤ id < 4/);
    const nan = tinyPca();
    nan.mean[5] = Number.NaN;
    expect(() =>
      readEosModel(new CerealWriter().u32(1).pca(nan).pca(null).f64Pairs([]).bytes(), 'nan.bin'),
    ).toThrow(/shape_model\.mean: value 5 is NaN/);
  });

  it('rejects wrong sizes: basis rows, eigenvalue count, texture coordinate count, colour vertices', () => {
    const p = tinyPca();
    const rows = new CerealWriter()
      .u32(1)
      .matrix(12, 1, p.mean)
      .matrix(9, 2, p.basis.slice(0, 18))
      .bytes();
    expect(() => readEosModel(rows, 'r.bin')).toThrow(
      /orthonormal_pca_basis: expected 12 × D \(rows like the mean\), got 9 × 2/,
    );
    const eig = new CerealWriter()
      .u32(1)
      .matrix(12, 1, p.mean)
      .matrix(12, 2, p.basis)
      .matrix(3, 1, [1, 2, 3])
      .bytes();
    expect(() => readEosModel(eig, 'e.bin')).toThrow(
      /eigenvalues: expected 2 × 1 \(one per basis column\), got 3 × 1/,
    );
    const tc = new CerealWriter().u32(1).pca(p).pca(null).f64Pairs([0, 0, 1, 1]).bytes();
    expect(() => readEosModel(tc, 'tc.bin')).toThrow(
      /texture_coordinates: 2 pairs, expected 0 or one per vertex \(4\)/,
    );
    const small = {
      mean: [0, 0, 0, 1, 1, 1],
      basis: [1, 0, 0, 0, 0, 0],
      eig: [1],
      tris: [] as number[],
    };
    const col = new CerealWriter().u32(1).pca(p).pca(small).bytes();
    expect(() => readEosModel(col, 'c.bin')).toThrow(ModelFormatError);
    expect(() => readEosModel(col, 'c.bin')).toThrow(
      /color_model\.mean: has 2 vertices \(6 rows\), expected 4 like the shape model/,
    );
  });

  it('reads a colour model when it is non-empty', () => {
    const c = tinyPca();
    c.mean = [0.5, 0.4, 0.3, 0.5, 0.4, 0.3, 0.5, 0.4, 0.3, 0.5, 0.4, 0.3];
    const m = readEosModel(
      new CerealWriter().u32(1).pca(tinyPca()).pca(c).f64Pairs([]).bytes(),
      'c.bin',
    );
    expect(m.color?.mean[0]).toBeCloseTo(0.5);
    expect(m.color?.basis.variance).toEqual(Float32Array.of(4, 9));
    expect(m.texCoords).toBeUndefined();
  });
});

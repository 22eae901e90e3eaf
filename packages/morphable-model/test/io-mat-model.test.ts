/** BFM 2009 and its derivatives in MATLAB files: layouts, units, index bases, winding, landmarks. */
import { describe, expect, it } from 'vitest';
import { readMatModel } from '../src/io/mat-model';
import { loadModel, ModelFormatError, type MorphableModel } from '../src/node';
import {
  bfm2009Vars,
  face,
  frontVars,
  keypoints0,
  orthonormalColMajor,
  SHAPE_STD_UM,
  scaled,
  TEX_STD,
  tddfaFields,
} from './mat-models';
import { num, writeMat } from './mat-writer';

const f = face(15, 20); // N = 300
const R = 3 * f.N;

function expectMeanMm(m: MorphableModel, tol = 1e-3): void {
  expect(m.numVertices).toBe(f.N);
  let worst = 0;
  for (let i = 0; i < R; i++) worst = Math.max(worst, Math.abs(m.mean[i] - f.mean[i]));
  expect(worst).toBeLessThan(tol);
}

function expectCcwTriangles(m: MorphableModel): void {
  expect(Array.from(m.triangles)).toEqual(f.triangles);
  // Counter-clockwise seen from +z (positive signed area in x, y), independently of the
  // reader's outwardness test.
  const p = m.mean;
  for (let t = 0; t < m.triangles.length; t += 3) {
    const [a, b, c] = [3 * m.triangles[t], 3 * m.triangles[t + 1], 3 * m.triangles[t + 2]];
    const area = (p[b] - p[a]) * (p[c + 1] - p[a + 1]) - (p[c] - p[a]) * (p[b + 1] - p[a + 1]);
    expect(area).toBeGreaterThan(0);
  }
}

describe('BFM 2009 (01_MorphableModel.mat)', () => {
  for (const [littleEndian, compress] of [
    [true, true],
    [false, false],
    [false, true],
  ] as const) {
    it(`µm → mm, EV as standard deviations, tl 1-based, winding flipped (${littleEndian ? 'LE' : 'BE'}, ${compress ? 'compressed' : 'raw'})`, async () => {
      const bytes = writeMat(bfm2009Vars(f), { littleEndian, compress });
      const m = (await loadModel(bytes)) as MorphableModel;
      expect(m.metadata).toMatchObject({ format: 'mat', source: '<bytes>' });
      expect(m.metadata.extra).toMatchObject({
        layout: 'bfm2009',
        unitScale: 1e-3,
        units: 'um → mm',
        windingFlipped: true,
        colorScale: 1 / 255,
        segbinCounts: [75, 75, 75, 75],
      });
      expectMeanMm(m);
      expectCcwTriangles(m);
      // Basis: orthonormal PC × EV (standard deviations) × 1e-3; variance = (EV × 1e-3)².
      const pc = orthonormalColMajor(R, 3, 1);
      expect(m.shape.numModes).toBe(3);
      for (let k = 0; k < 3; k++) {
        expect(m.shape.variance?.[k]).toBeCloseTo((SHAPE_STD_UM[k] * 1e-3) ** 2, 4);
        for (let i = 0; i < R; i += 37) {
          expect(m.shape.basis[k * R + i]).toBeCloseTo(
            Math.fround(pc[k * R + i]) * SHAPE_STD_UM[k] * 1e-3,
            5,
          );
        }
      }
      // Colour: 0–255 → [0, 1], basis by texEV / 255.
      expect(m.color?.mean[0]).toBeCloseTo(100 / 255, 6);
      expect(m.color?.basis.variance?.[0]).toBeCloseTo((TEX_STD[0] / 255) ** 2, 6);
      expect(m.landmarks).toEqual(new Int32Array(68).fill(-1));
      expect(m.expression).toBeUndefined();
    });
  }

  it('takes the landmarks from a mapping (ibug_to_bfm2009.txt on a 53,490-vertex model)', async () => {
    const { fixturePath } = await import('../../../testing/fixtures');
    const { loadModel: loadNode } = await import('../src/io/load_node');
    const big = face(30, 1783); // N = 53,490, BFM 2009's vertex count
    const bytes = writeMat(bfm2009Vars(big, { D: 1 }), { compress: true });
    const m = (await loadNode(bytes, {
      landmarks: fixturePath('sfm', 'ibug_to_bfm2009.txt'),
    })) as MorphableModel;
    expect(m.numVertices).toBe(53490);
    // eos' mapping: ibug 37 (outer eye corner) and 9 (chin) map to BFM vertices.
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(fixturePath('sfm', 'ibug_to_bfm2009.txt'), 'utf8');
    const line = text.split('\n').find((l) => /^\s*37\s*=/.test(l)) as string;
    expect(m.landmarks[36]).toBe(Number(line.split('=')[1].split('#')[0]));
    expect(m.metadata.extra?.landmarkSource).toMatch(/ibug_to_bfm2009\.txt$/);
  });

  it('rejects a basis that is not orthonormal (EV would be applied twice)', async () => {
    const vars = bfm2009Vars(f);
    vars.shapePC = num('single', [R, 3], scaled(orthonormalColMajor(R, 3, 1), 2));
    await expect(readMatModel(writeMat(vars), { file: 'bfm.mat' })).rejects.toThrow(
      /bfm\.mat: shapePC: column 0 has norm 2\.00000, expected an orthonormal basis/,
    );
  });

  it('checks shapes and indices against each other, naming the variable', async () => {
    const vars = bfm2009Vars(f);
    vars.shapeEV = num('single', [2, 1], [1, 2]);
    await expect(readMatModel(writeMat(vars))).rejects.toThrow(
      /shapeEV: expected 3 values, got shape \[2, 1\]/,
    );
    const v2 = bfm2009Vars(f);
    v2.tl = num('double', [1, 3], [1, 2, 301]);
    await expect(readMatModel(writeMat(v2))).rejects.toThrow(
      /tl: triangle 0 has vertex id 301, expected a 1-based id 1…300/,
    );
    const v3 = bfm2009Vars(f);
    v3.texMU = num('single', [R - 3, 1], new Float64Array(R - 3));
    await expect(readMatModel(writeMat(v3))).rejects.toThrow(/texMU: expected 900 values/);
    await expect(
      readMatModel(
        writeMat({ foo: num('double', [1, 1], [1]), bar: { kind: 'char', text: 'x' } }),
        { file: 'x.mat' },
      ),
    ).rejects.toThrow(
      /x\.mat: variables: expected the variables of BFM 2009 .*; the file has foo, bar/,
    );
  });
});

describe('Deep3DFaceRecon BFM_model_front.mat', () => {
  it('dm → mm, bases pre-scaled (no variances), tri and keypoints 1-based', async () => {
    const m = (await loadModel(writeMat(frontVars(f)))) as MorphableModel;
    expect(m.metadata.extra).toMatchObject({
      layout: 'deep3dfacerecon',
      unitScale: 100,
      units: 'dm → mm',
      windingFlipped: true,
      landmarkSource: 'keypoints (1-based)',
    });
    expectMeanMm(m, 1e-2);
    expectCcwTriangles(m);
    expect(Array.from(m.landmarks)).toEqual(keypoints0(f.N));
    expect(m.shape.variance).toBeUndefined();
    const id = orthonormalColMajor(R, 3, 3);
    for (let i = 0; i < R; i += 41) {
      expect(m.shape.basis[2 * R + i]).toBeCloseTo(id[2 * R + i] * SHAPE_STD_UM[2] * 1e-3, 5);
    }
    expect(m.expression?.numModes).toBe(2);
    expect(m.color?.basis.numModes).toBe(1);
    expect(m.color?.mean[1]).toBeCloseTo(51 / 255, 6);
    expect(m.metadata.extra?.basisNotes).toMatchObject({
      idBase: expect.stringMatching(/pre-scaled/),
    });
  });

  it('rejects keypoints that are not 68 1-based vertex ids', async () => {
    const vars = frontVars(f);
    vars.keypoints = num(
      'double',
      [1, 68],
      Array.from({ length: 68 }, (_, k) => k),
    );
    await expect(readMatModel(writeMat(vars))).rejects.toThrow(
      /keypoints: entry 0 is 0, expected a 1-based vertex id/,
    );
  });
});

describe('3DDFA model_refine.mat and face3d BFM.mat', () => {
  it('reads the model_refine struct: mu_shape + mu_exp, tri [3, F], keypoints 1-based', async () => {
    const bytes = writeMat(
      { model_refine: { kind: 'struct', fields: [tddfaFields(f)] } },
      { compress: true },
    );
    const m = (await loadModel(bytes)) as MorphableModel;
    expect(m.metadata.extra).toMatchObject({
      layout: '3ddfa',
      units: 'um → mm',
      windingFlipped: true,
    });
    expect(m.metadata.extra?.expressionMeanAdded).toEqual({ maxAbs: 0.5 });
    expectMeanMm(m, 1e-3);
    expectCcwTriangles(m);
    expect(Array.from(m.landmarks)).toEqual(keypoints0(f.N));
    // No sigma in the file: the orthonormal basis is kept as stored (reported), in mm.
    expect(m.shape.variance).toBeUndefined();
    expect(m.metadata.extra?.basisNotes).toMatchObject({
      w: expect.stringMatching(/no standard deviations/),
    });
    expect(m.expression?.numModes).toBe(2);
  });

  it('scales w by sigma when the variables are at top level with sigma', async () => {
    const fields = tddfaFields(f);
    const m = (await loadModel(
      writeMat({ ...fields, sigma: num('double', [3, 1], [3000, 2000, 1000]) }),
    )) as MorphableModel;
    expect(m.shape.variance).toEqual(Float32Array.of(9, 4, 1));
    expect(m.metadata.extra?.basisNotes).not.toHaveProperty('w');
  });

  it('reads face3d’s struct model (shapeMU…, expPC, tri [F, 3], kpt_ind)', async () => {
    const b = bfm2009Vars(f);
    const fields = {
      shapeMU: b.shapeMU,
      shapePC: b.shapePC,
      shapeEV: b.shapeEV,
      expMU: num('single', [R, 1], new Float64Array(R)),
      expPC: num('single', [R, 1], scaled(orthonormalColMajor(R, 1, 9), 2000)),
      expEV: num('single', [1, 1], [1]),
      tri: b.tl,
      kpt_ind: num(
        'double',
        [68, 1],
        keypoints0(f.N).map((v) => v + 1),
      ),
    };
    const m = (await loadModel(
      writeMat({ model: { kind: 'struct', fields: [fields] } }),
    )) as MorphableModel;
    expect(m.metadata.extra).toMatchObject({ layout: 'face3d' });
    expectMeanMm(m);
    expectCcwTriangles(m);
    expect(m.expression?.numModes).toBe(1);
    expect(Array.from(m.landmarks)).toEqual(keypoints0(f.N));
  });
});

describe('v7.3 MAT-files (HDF5)', () => {
  it('reads BFM 2009 with the column-major transposition handled', async () => {
    const { writeMatV73 } = await import('./mat-v73-writer');
    const bytes = await writeMatV73(bfm2009Vars(f));
    const m = (await loadModel(bytes)) as MorphableModel;
    expect(m.metadata.extra).toMatchObject({
      layout: 'bfm2009',
      units: 'um → mm',
      windingFlipped: true,
    });
    expectMeanMm(m);
    expectCcwTriangles(m);
    const pc = orthonormalColMajor(R, 3, 1);
    for (let i = 0; i < R; i += 53) {
      expect(m.shape.basis[R + i]).toBeCloseTo(Math.fround(pc[R + i]) * SHAPE_STD_UM[1] * 1e-3, 5);
    }
    expect(m.metadata.extra?.segbinCounts).toEqual([75, 75, 75, 75]);
  });

  it('reads the 3DDFA model_refine struct (a group), and corrupt files give typed errors', async () => {
    const { writeMatV73 } = await import('./mat-v73-writer');
    const bytes = await writeMatV73({ model_refine: { kind: 'struct', fields: [tddfaFields(f)] } });
    const m = (await loadModel(bytes)) as MorphableModel;
    expect(m.metadata.extra).toMatchObject({ layout: '3ddfa' });
    expectMeanMm(m);
    expectCcwTriangles(m);
    expect(Array.from(m.landmarks)).toEqual(keypoints0(f.N));
    for (const cut of [600, 1500, Math.floor(bytes.length / 2), bytes.length - 100]) {
      await expect(loadModel(bytes.subarray(0, cut))).rejects.toThrow(ModelFormatError);
    }
  });
});

describe("3DDFA's Exp_Pca.bin expression basis", () => {
  const E = 4;
  function expPca(n: number): { bytes: Uint8Array; pc: Float32Array } {
    const R = 3 * n;
    const pc = Float32Array.from(orthonormalColMajor(R, E, 11)); // [E, 3n] mode-major
    const bytes = new Uint8Array(4 + 4 * R * (1 + E));
    const v = new DataView(bytes.buffer);
    v.setInt32(0, E, true);
    for (let i = 0; i < R; i++) v.setFloat32(4 + 4 * i, 7, true); // expMU (not used)
    for (let i = 0; i < E * R; i++) v.setFloat32(4 + 4 * (R + i), pc[i], true);
    return { bytes, pc };
  }

  it('reads int32 E, float32 mean [3n], basis [E, 3n]; scales by std_exp × the model units', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadModel: loadNode } = await import('../src/io/load_node');
    const dir = mkdtempSync(join(tmpdir(), 'exp-pca-'));
    try {
      const { bytes, pc } = expPca(f.N);
      writeFileSync(join(dir, 'Exp_Pca.bin'), bytes);
      writeFileSync(join(dir, 'std_exp.txt'), '2000 1000\n500 250\n');
      writeFileSync(join(dir, 'bfm.mat'), writeMat(bfm2009Vars(f), { compress: true }));
      const m = (await loadNode(join(dir, 'bfm.mat'), {
        expression: join(dir, 'Exp_Pca.bin'),
        expressionStd: join(dir, 'std_exp.txt'),
      })) as MorphableModel;
      expect(m.expression?.numModes).toBe(E);
      expect(Array.from(m.expression?.variance ?? [])).toEqual([4, 1, 0.25, 0.0625]);
      for (let i = 0; i < R; i += 31)
        expect(m.expression?.basis[R + i]).toBeCloseTo(pc[R + i] * 1, 5);
      expect(m.metadata.extra?.expressionFormat).toMatch(/Exp_Pca/);
      // Without std_exp.txt: as stored, in mm, no variances.
      const m2 = (await loadNode(join(dir, 'bfm.mat'), {
        expression: join(dir, 'Exp_Pca.bin'),
      })) as MorphableModel;
      expect(m2.expression?.variance).toBeUndefined();
      expect(m2.expression?.basis[5]).toBeCloseTo(pc[5] * 1e-3, 8);
      // A size that fits neither layout for N = 300 is a typed error.
      writeFileSync(join(dir, 'bad.bin'), bytes.subarray(0, bytes.length - 4));
      await expect(
        loadNode(join(dir, 'bfm.mat'), { expression: join(dir, 'bad.bin') }),
      ).rejects.toThrow(ModelFormatError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import { outwardness } from '../src/io/bfm';
import { ModelFormatError, readBfmH5, readEosModel } from '../src/node';
import { type BfmSpec, bowl, orthonormal, writeBfmH5 } from './io-h5';

const dir = mkdtempSync(join(tmpdir(), 'io-bfm-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 9;
const R = 3 * N;
const { mean, triangles } = bowl();
const U = orthonormal(R, 3, 1); // [27, 3] row-major
const E = orthonormal(R, 2, 2);
const exprMean = Float64Array.from({ length: R }, (_, i) => (i === 1 ? 0.5 : 0));
const colorMean = Float64Array.from({ length: R }, (_, i) => 100 + i); // 0–255 range

function spec(over: Partial<BfmSpec> = {}): BfmSpec {
  return {
    shape: { mean, basis: U, variance: [9, 4, 1] },
    expression: { mean: exprMean, basis: E, variance: [0.25, 0.04] },
    color: { mean: colorMean, basis: orthonormal(R, 1, 3), variance: [255 * 255] },
    triangles,
    ...over,
  };
}

async function write(name: string, s: BfmSpec): Promise<string> {
  const p = join(dir, name);
  await writeBfmH5(p, s);
  return p;
}

describe('readBfmH5 (Basel 2017/2019 layout)', () => {
  it('reads shape, expression and colour; scales by √variance; transposes to [D, N, 3]', async () => {
    const m = await readBfmH5(await write('full.h5', spec()));
    expect(m.numVertices).toBe(N);
    expect(m.metadata).toMatchObject({ name: 'full', format: 'bfm-h5' });
    expect(m.metadata.extra).toMatchObject({ unitScale: 1, units: 'mm' });
    expect(m.shape.numModes).toBe(3);
    expect(m.shape.variance).toEqual(Float32Array.of(9, 4, 1));
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < R; i++) {
        expect(m.shape.basis[k * R + i]).toBeCloseTo(
          Math.fround(U[i * 3 + k]) * Math.sqrt([9, 4, 1][k]),
          5,
        );
      }
    }
    expect(m.expression?.numModes).toBe(2);
    expect(m.expression?.basis[1 * R + 4]).toBeCloseTo(Math.fround(E[4 * 2 + 1]) * 0.2, 6);
    // The expression mean joins the mean.
    for (let i = 0; i < R; i++) expect(m.mean[i]).toBeCloseTo(mean[i] + exprMean[i], 4);
    expect(m.metadata.extra?.expressionMeanAdded).toEqual({ maxAbs: 0.5 });
    // Colour in 0–255 → [0, 1], variances by 1/255².
    expect(m.metadata.extra?.colorScale).toBeCloseTo(1 / 255);
    expect(m.color?.mean[0]).toBeCloseTo(100 / 255, 6);
    expect(m.color?.basis.variance?.[0]).toBeCloseTo(1, 5);
    expect(Array.from(m.triangles)).toEqual(triangles);
    expect(m.metadata.extra?.windingFlipped).toBeUndefined();
    expect(m.landmarks).toEqual(new Int32Array(68).fill(-1));
  });

  it('reads the same model from bytes, and flips inward-facing triangles (recorded)', async () => {
    const cw = triangles.slice();
    for (let t = 0; t < cw.length; t += 3) [cw[t + 1], cw[t + 2]] = [cw[t + 2], cw[t + 1]];
    const p = await write(
      'cw.h5',
      spec({ triangles: cw, expression: undefined, color: undefined }),
    );
    const m = await readBfmH5(new Uint8Array(readFileSync(p)), { name: 'bytes model' });
    expect(m.metadata).toMatchObject({ name: 'bytes model', source: '<bytes>' });
    expect(m.metadata.extra?.windingFlipped).toBe(true);
    expect(Array.from(m.triangles)).toEqual(triangles);
    expect(m.expression).toBeUndefined();
    expect(m.color).toBeUndefined();
  });

  it('converts micrometres to millimetres (auto-detected, or forced)', async () => {
    const um = spec({
      shape: { mean: mean.map((x) => x * 1000), basis: U, variance: [9e6, 4e6, 1e6] },
      expression: undefined,
      color: undefined,
    });
    const p = await write('um.h5', um);
    const m = await readBfmH5(p);
    expect(m.metadata.extra).toMatchObject({ unitScale: 1e-3, units: 'um → mm' });
    for (let i = 0; i < R; i++) expect(m.mean[i]).toBeCloseTo(mean[i], 3);
    expect(m.shape.variance?.[0]).toBeCloseTo(9, 4);
    expect(m.shape.basis[0]).toBeCloseTo(Math.fround(U[0]) * 3, 5);
    const forced = await readBfmH5(
      await write('mm.h5', spec({ expression: undefined, color: undefined })),
      { units: 'um' },
    );
    expect(forced.mean[0]).toBeCloseTo(mean[0] / 1000, 6);
  });

  it('names the dataset and the expected shape when shapes disagree', async () => {
    const bad = (name: string, s: BfmSpec) => write(name, s).then((p) => readBfmH5(p));
    await expect(
      bad('var.h5', spec({ shape: { mean, basis: U, variance: [9, 4, 1], varianceShape: [3] } })),
    ).resolves.toBeDefined();
    await expect(
      bad(
        'var2.h5',
        spec({
          shape: { mean, basis: U.subarray(0, 54), variance: [9, 4, 1], basisShape: [27, 2] },
        }),
      ),
    ).rejects.toThrow(/var2\.h5: shape\/model\/pcaVariance: expected shape \[D=2\], got \[3\]/);
    await expect(
      bad(
        'basis.h5',
        spec({
          shape: { mean, basis: U.subarray(0, 72), variance: [9, 4, 1], basisShape: [24, 3] },
        }),
      ),
    ).rejects.toThrow(/shape\/model\/pcaBasis: expected shape \[3N=27, D\], got \[24, 3\]/);
    await expect(bad('cells.h5', spec({ cellsShape: [8, 3] }))).rejects.toThrow(
      /shape\/representer\/cells: expected shape \[3, F\], got \[8, 3\]/,
    );
    await expect(bad('pts.h5', spec({ pointsShape: [9, 3] }))).rejects.toThrow(
      /shape\/representer\/points: expected shape \[3, N=9\], got \[9, 3\]/,
    );
    const shortExpr = {
      mean: exprMean.subarray(0, 24),
      basis: E.subarray(0, 48),
      variance: [1, 1],
      meanShape: [24],
      basisShape: [24, 2],
    };
    await expect(bad('expr.h5', spec({ expression: shortExpr }))).rejects.toThrow(
      /expression\/model\/mean: expected shape \[3N=27\], got \[24\]/,
    );
    await expect(bad('missing.h5', spec({ skip: ['shape/model/pcaVariance'] }))).rejects.toThrow(
      /shape\/model\/pcaVariance: dataset missing \(expected the Basel\/statismo layout\)/,
    );
    await expect(
      bad('range.h5', spec({ triangles: [0, 1, 9, ...triangles.slice(3)] })),
    ).rejects.toThrow(/shape\/representer\/cells: triangle 0 has vertex id 9, expected 0 ≤ id < 9/);
    await expect(
      bad('scaled.h5', spec({ shape: { mean, basis: U.map((x) => x * 3), variance: [9, 4, 1] } })),
    ).rejects.toThrow(
      /shape\/model\/pcaBasis: column 0 has norm 3\.00000, expected an orthonormal basis/,
    );
    await expect(
      bad('negvar.h5', spec({ shape: { mean, basis: U, variance: [9, -4, 1] } })),
    ).rejects.toThrow(/pcaVariance: variance 1 is -4/);
  });

  it('rejects files that are not HDF5, without HDF5 noise', async () => {
    const p = join(dir, 'not.h5');
    writeFileSync(p, 'v 1 2 3\n');
    await expect(readBfmH5(p)).rejects.toThrow(ModelFormatError);
    await expect(readBfmH5(p)).rejects.toThrow(/not\.h5: HDF5 signature: not an HDF5 file/);
    await expect(readBfmH5(new Uint8Array(10))).rejects.toThrow(/<bytes>: HDF5 signature/);
  });

  it('uses a winding test that agrees with the SFM (CCW seen from +z is outward)', () => {
    const sfm = readEosModel(readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')), 'sfm.bin');
    expect(outwardness(sfm.mean, sfm.triangles)).toBeGreaterThan(0);
    expect(outwardness(mean, triangles)).toBeGreaterThan(0);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import {
  ModelFormatError,
  readEosBlendshapes,
  readEosModel,
  readLandmarkMapping,
  readLandmarkMappingFile,
} from '../src/index';

const sfmBytes = readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin'));
const bsBytes = readFileSync(fixturePath('sfm', 'expression_blendshapes_3448.bin'));
const mappingText = readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8');

describe('readEosModel on the Surrey Face Model', () => {
  const model = readEosModel(sfmBytes, 'sfm_shape_3448.bin');
  const N = 3448;
  const D = 63;

  it('has the sizes and units of SFM 3448', () => {
    expect(model.numVertices).toBe(N);
    expect(model.mean.length).toBe(3 * N);
    expect(model.triangles).toBeInstanceOf(Uint32Array);
    expect(model.triangles.length).toBe(3 * 6736);
    expect(model.shape.numModes).toBe(D);
    expect(model.shape.basis.length).toBe(D * 3 * N);
    expect(model.color).toBeUndefined();
    expect(model.expression).toBeUndefined();
    expect(model.metadata).toMatchObject({
      name: 'sfm_shape_3448',
      source: 'sfm_shape_3448.bin',
      format: 'eos',
    });
    // FORMATS.md: x ±74, y −83…105, z −104…3.4 (mm).
    let [minX, maxX, minY, maxY, minZ, maxZ] = [
      Infinity,
      -Infinity,
      Infinity,
      -Infinity,
      Infinity,
      -Infinity,
    ];
    for (let i = 0; i < N; i++) {
      minX = Math.min(minX, model.mean[3 * i]);
      maxX = Math.max(maxX, model.mean[3 * i]);
      minY = Math.min(minY, model.mean[3 * i + 1]);
      maxY = Math.max(maxY, model.mean[3 * i + 1]);
      minZ = Math.min(minZ, model.mean[3 * i + 2]);
      maxZ = Math.max(maxZ, model.mean[3 * i + 2]);
    }
    expect(maxX).toBeCloseTo(74, -1);
    expect(minX).toBeCloseTo(-74, -1);
    expect(minY).toBeGreaterThan(-90);
    expect(maxY).toBeLessThan(110);
    expect(minZ).toBeLessThan(-100);
    expect(maxZ).toBeLessThan(4);
  });

  it('keeps the eigenvalues as variances (56502 … 45.6, decreasing)', () => {
    const v = model.shape.variance as Float32Array;
    expect(v.length).toBe(D);
    expect(v[0]).toBeCloseTo(56502.37, 1);
    expect(v[D - 1]).toBeCloseTo(45.58, 1);
    for (let k = 1; k < D; k++) expect(v[k]).toBeLessThanOrEqual(v[k - 1]);
  });

  it('scales the orthonormal basis by √variance: (B/√λ)ᵀ(B/√λ) ≈ I', () => {
    const b = model.shape.basis;
    const v = model.shape.variance as Float32Array;
    const R = 3 * N;
    let maxErr = 0;
    for (let a = 0; a < D; a++) {
      for (let c = a; c < D; c++) {
        let s = 0;
        for (let i = 0; i < R; i++) s += b[a * R + i] * b[c * R + i];
        const g = s / Math.sqrt(v[a] * v[c]);
        maxErr = Math.max(maxErr, Math.abs(g - (a === c ? 1 : 0)));
      }
    }
    expect(maxErr).toBeLessThan(1e-5);
    // Mode 0 norm is √56502 ≈ 237.7 mm: the basis really is scaled, not orthonormal.
    let n0 = 0;
    for (let i = 0; i < R; i++) n0 += b[i] ** 2;
    expect(Math.sqrt(n0)).toBeCloseTo(Math.sqrt(v[0]), 0);
  });

  it('reads 0-based triangles, all in range, counter-clockwise seen from +z on the front', () => {
    let maxId = 0;
    for (const t of model.triangles) maxId = Math.max(maxId, t);
    expect(maxId).toBe(N - 1);
    // Signed area in the xy plane summed over triangles facing the camera is positive for CCW.
    let area = 0;
    const m = model.mean;
    for (let f = 0; f < model.triangles.length; f += 3) {
      const [a, b, c] = [model.triangles[f], model.triangles[f + 1], model.triangles[f + 2]];
      area +=
        (m[3 * b] - m[3 * a]) * (m[3 * c + 1] - m[3 * a + 1]) -
        (m[3 * c] - m[3 * a]) * (m[3 * b + 1] - m[3 * a + 1]);
    }
    expect(area).toBeGreaterThan(0);
  });

  it('converts texture coordinates to v up (v grows with y), inside [0, 1]', () => {
    const tc = model.texCoords as Float32Array;
    expect(tc.length).toBe(2 * N);
    let [sy, sv, syv, syy, svv] = [0, 0, 0, 0, 0];
    for (let i = 0; i < N; i++) {
      const y = model.mean[3 * i + 1];
      const v = tc[2 * i + 1];
      expect(tc[2 * i]).toBeGreaterThanOrEqual(0);
      expect(tc[2 * i]).toBeLessThanOrEqual(1);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      sy += y;
      sv += v;
      syv += y * v;
      syy += y * y;
      svv += v * v;
    }
    const corr =
      (syv / N - (sy / N) * (sv / N)) /
      Math.sqrt((syy / N - (sy / N) ** 2) * (svv / N - (sv / N) ** 2));
    expect(corr).toBeGreaterThan(0.99);
  });

  it('defaults landmarks to 68 × -1 and takes a given map', () => {
    expect(model.landmarks).toEqual(new Int32Array(68).fill(-1));
    const lm = readLandmarkMapping(mappingText, 'ibug_to_sfm.txt', N);
    const withLm = readEosModel(sfmBytes, 'sfm.bin', { landmarks: lm, name: 'SFM' });
    expect(withLm.landmarks[36]).toBe(177);
    expect(withLm.metadata.name).toBe('SFM');
    expect(withLm.landmarks).not.toBe(lm);
  });
});

describe('readEosBlendshapes', () => {
  it('reads the six SFM expressions as raw millimetre offsets', () => {
    const bs = readEosBlendshapes(bsBytes, 'expression_blendshapes_3448.bin');
    expect(bs.names).toEqual(['anger', 'disgust', 'fear', 'happiness', 'sadness', 'surprise']);
    expect(bs.numModes).toBe(6);
    expect(bs.basis.length).toBe(6 * 3 * 3448);
    expect(bs.variance).toBeUndefined();
    // Offsets are a few mm, not unit vectors: every shape moves some vertex by > 1 mm and none by > 100 mm.
    for (let k = 0; k < 6; k++) {
      let maxAbs = 0;
      for (let i = 0; i < 3 * 3448; i++)
        maxAbs = Math.max(maxAbs, Math.abs(bs.basis[k * 3 * 3448 + i]));
      expect(maxAbs).toBeGreaterThan(1);
      expect(maxAbs).toBeLessThan(100);
    }
  });

  it('rejects a vertex count that does not match', () => {
    expect(() => readEosBlendshapes(bsBytes, 'bs.bin', 845)).toThrow(
      /has 10344 rows, expected 2535/,
    );
  });
});

describe('readLandmarkMapping', () => {
  it('maps the 50 ibug points of SFM', () => {
    const { landmarks, contour } = readLandmarkMappingFile(mappingText, 'ibug_to_sfm.txt');
    const mapped = [...landmarks.keys()].filter((k) => landmarks[k] >= 0).map((k) => k + 1);
    const expected = [9, ...Array.from({ length: 43 }, (_, i) => 18 + i), 62, 63, 64, 66, 67, 68];
    expect(mapped).toEqual(expected);
    expect(mapped.length).toBe(50);
    expect(landmarks[37 - 1]).toBe(177);
    expect(landmarks[46 - 1]).toBe(610);
    expect(landmarks[9 - 1]).toBe(33);
    expect(contour).toEqual({
      right: [1, 2, 3, 4, 5, 6, 7, 8],
      left: [10, 11, 12, 13, 14, 15, 16, 17],
    });
  });

  it('reads the BFM 2017 mapping (with commented-out lines)', () => {
    const text = readFileSync(fixturePath('sfm', 'ibug_to_bfm2017-1_bfm_nomouth.txt'), 'utf8');
    const lm = readLandmarkMapping(text, 'bfm');
    expect(lm[9 - 1]).toBe(47846);
    expect(lm[18 - 1]).toBe(-1);
    expect(lm[61 - 1]).toBe(6291);
  });

  it('names the line of a bad entry', () => {
    const bad = '[landmark_mappings]\n9 = 33\n70 = 12\n';
    expect(() => readLandmarkMapping(bad, 'bad.txt')).toThrow(ModelFormatError);
    expect(() => readLandmarkMapping(bad, 'bad.txt')).toThrow(
      /bad\.txt: landmark_mappings\.70: .*1 … 68 \(line 3\)/,
    );
    expect(() => readLandmarkMapping('[landmark_mappings]\n9 = -4\n', 'f')).toThrow(
      /value -4 .*\(line 2\)/,
    );
    expect(() => readLandmarkMapping('[landmark_mappings]\n9 = 2.5\n', 'f')).toThrow(/value 2\.5/);
    expect(() => readLandmarkMapping('[landmark_mappings]\n9 = 3448\n', 'f', 3448)).toThrow(
      /out of range.*3448/,
    );
    expect(() => readLandmarkMapping('[landmark_mappings]\n9 = = 3\n', 'f')).toThrow(
      /f: TOML: line 2, column/,
    );
    expect(() => readLandmarkMapping('[other]\n', 'f')).toThrow(/landmark_mappings/);
    expect(() =>
      readLandmarkMappingFile(
        '[landmark_mappings]\n[contour_landmarks]\nright = [0]\nleft=[]\n',
        'f',
      ),
    ).toThrow(/contour_landmarks\.right: entry 0/);
  });
});

describe('eos errors', () => {
  it('names the field and byte offset when the file is truncated', () => {
    const cut = sfmBytes.subarray(0, 1000);
    expect(() => readEosModel(cut, 'cut.bin')).toThrow(ModelFormatError);
    expect(() => readEosModel(cut, 'cut.bin')).toThrow(
      /cut\.bin: shape_model\.mean \(10344 × 1 float32\): needs 10344 float32 values but only 988 bytes are left .*at byte offset 12/,
    );
    // Cut inside the triangle list: the count is checked before allocating.
    const tri = sfmBytes.subarray(0, sfmBytes.length - 3448 * 16 - 8 - 100);
    expect(() => readEosModel(tri, 't.bin')).toThrow(
      /shape_model\.triangle_list\.size: count 6736 × 12 bytes exceeds/,
    );
  });

  it('rejects trailing bytes, a bad version and an oversized count', () => {
    const longer = new Uint8Array(sfmBytes.length + 3);
    longer.set(sfmBytes);
    expect(() => readEosModel(longer, 'l.bin')).toThrow(/MorphableModel: 3 unexpected bytes/);
    const v9 = Uint8Array.from(sfmBytes);
    v9[0] = 9;
    expect(() => readEosModel(v9, 'v9.bin')).toThrow(
      /unsupported eos MorphableModel version 9, expected 1 … 4/,
    );
    const huge = Uint8Array.from(bsBytes);
    huge[7] = 0x7f;
    expect(() => readEosBlendshapes(huge, 'h.bin')).toThrow(/blendshapes\.size: count .* exceeds/);
  });
});

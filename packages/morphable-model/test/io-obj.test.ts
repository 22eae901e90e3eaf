import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import {
  ModelFormatError,
  perVertexTexCoords,
  readEosModel,
  readObj,
  writeMtl,
  writeObj,
} from '../src/index';

describe('readObj', () => {
  it('reads the SFM reference mesh: 845 vertices, 1610 triangles, no vt', () => {
    const mesh = readObj(
      readFileSync(fixturePath('sfm', 'sfm_reference.obj'), 'utf8'),
      'sfm_reference.obj',
    );
    expect(mesh.positions.length).toBe(845 * 3);
    expect(mesh.triangles.length).toBe(1610 * 3);
    expect(mesh.texCoords).toBeUndefined();
    expect(mesh.colors).toBeUndefined();
    expect(Array.from(mesh.positions.subarray(0, 3))).toEqual(
      [-52.8256, -49.5309, -68.1303].map(Math.fround),
    );
    expect(Array.from(mesh.triangles.subarray(0, 6))).toEqual([0, 1, 2, 3, 4, 5]);
    let max = 0;
    for (const t of mesh.triangles) max = Math.max(max, t);
    expect(max).toBe(844);
  });

  it('handles v/vt/vn, v//vn, negative indices, polygons (fans), colours, comments and continuations', () => {
    const text = [
      '# a quad and a triangle',
      'mtllib a.mtl',
      'v 0 0 0 1 0 0',
      'v 1 0 0 0 1 0',
      'v 1 1 0 0 0 1',
      'v 0 1 0 1 1 1 # trailing comment',
      'vt 0 0',
      'vt 1 0',
      'vt 1 1',
      'vt 0 1',
      'vn 0 0 1',
      'g quad',
      'usemtl m',
      'f 1/1/1 2/2/1 3/3/1 \\',
      '  4/4/1',
      'f -4/-4/-1 -2/-2/-1 -1/-1/-1',
    ].join('\r\n');
    const m = readObj(text, 'q.obj');
    expect(Array.from(m.triangles)).toEqual([0, 1, 2, 0, 2, 3, 0, 2, 3]);
    expect(Array.from(m.faceTexCoords as Uint32Array)).toEqual([0, 1, 2, 0, 2, 3, 0, 2, 3]);
    expect(Array.from(m.colors as Float32Array).slice(0, 6)).toEqual([1, 0, 0, 0, 1, 0]);
    expect(m.materialLibraries).toEqual(['a.mtl']);
    expect(Array.from(perVertexTexCoords(m) as Float32Array)).toEqual([0, 0, 1, 0, 1, 1, 0, 1]);
    const noVt = readObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\nf 1//1 2//1 3//1\n', 'n.obj');
    expect(noVt.faceTexCoords).toBeUndefined();
    expect(Array.from(noVt.triangles)).toEqual([0, 1, 2]);
  });

  it('reports no per-vertex texCoords when a vertex has two different vt (a seam)', () => {
    const m = readObj(
      'v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nvt 0.5 0.5\nf 1/1 2/2 3/3\nf 1/4 3/3 2/2\n',
    );
    expect(perVertexTexCoords(m)).toBeUndefined();
  });

  it('throws with line numbers', () => {
    const err = (t: string) => () => readObj(t, 'bad.obj');
    expect(err('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n')).toThrow(ModelFormatError);
    expect(err('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n')).toThrow(
      /bad\.obj: line 4: f: vertex index 4 is out of range \(the file has 3 vertices\)/,
    );
    expect(err('v 0 0 0\nf 1 2 -3\n')).toThrow(
      /line 2: f vertex 3: relative index -3 points before the first element \(1 defined so far\)/,
    );
    expect(err('v 0 0 0\nf 0 1 1\n')).toThrow(/line 2: f vertex 1: index 0 is invalid/);
    expect(err('v 0 0\n')).toThrow(
      /line 1: v: expected "v x y z \[w\]" or "v x y z r g b", got 2 numbers/,
    );
    expect(err('\n\nv 0 zero 0\n')).toThrow(
      /line 3: v coordinate 2: expected a number, got "zero"/,
    );
    expect(err('v 0 0 0\nf 1 1\n')).toThrow(/line 2: f: a face needs at least 3 vertices, got 2/);
    expect(err('v 0 0 0\nvt 0 0\nf 1/1 1 1/1\n')).toThrow(
      /line 3: f: some corners have a texture coordinate and some do not/,
    );
    expect(err('v 0 0 0\nvt 0 0\nf 1/2 1/1 1/1\n')).toThrow(
      /line 3: f: texture coordinate index 2 is out of range \(the file has 1 vt lines\)/,
    );
    expect(err('v 0 0 0\nf 1/x 1 1\n')).toThrow(/expected an integer index, got "x"/);
  });
});

describe('writeObj / writeMtl', () => {
  const sfm = readEosModel(readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')), 'sfm.bin');

  it('round-trips the SFM mean mesh exactly, with per-vertex texture coordinates', () => {
    const text = writeObj(
      { positions: sfm.mean, triangles: sfm.triangles, texCoords: sfm.texCoords },
      { mtl: 'sfm.mtl', comment: 'SFM\nmean' },
    );
    expect(text.startsWith('# SFM mean\nmtllib sfm.mtl\n')).toBe(true);
    expect(text).toContain('\nusemtl face\nf ');
    const back = readObj(text, 'sfm.obj');
    expect(back.positions).toEqual(sfm.mean);
    expect(back.triangles).toEqual(sfm.triangles);
    expect(back.texCoords).toEqual(sfm.texCoords);
    expect(perVertexTexCoords(back)).toEqual(sfm.texCoords);
    expect(back.materialLibraries).toEqual(['sfm.mtl']);
  });

  it('writes vertex colours and short numbers, and rejects bad meshes', () => {
    const positions = Float32Array.of(0.1, -0, 3, 1e-8, 2.5, -1);
    const colors = Float32Array.of(1, 0.5, 0.25, 0, 0, 0);
    const text = writeObj({ positions, triangles: Uint32Array.of(0, 1, 1), colors });
    expect(text.split('\n')[0]).toBe('v 0.1 -0 3 1 0.5 0.25');
    const back = readObj(text);
    expect(back.positions).toEqual(positions);
    expect(back.colors).toEqual(colors);
    expect(() => writeObj({ positions, triangles: Uint32Array.of(0, 1, 2) })).toThrow(
      /triangles: entry 2 is 2, expected 0 ≤ id < 2/,
    );
    expect(() =>
      writeObj({ positions, triangles: Uint32Array.of(0, 1, 1), texCoords: new Float32Array(3) }),
    ).toThrow(/texCoords: expected \[N, 2\] = 4 values, got 3/);
  });

  it('writes an MTL with a diffuse texture map', () => {
    const mtl = writeMtl('face.png');
    expect(mtl).toContain('newmtl face\n');
    expect(mtl).toContain('map_Kd face.png\n');
    expect(writeMtl('t.png', 'skin')).toContain('newmtl skin');
  });
});

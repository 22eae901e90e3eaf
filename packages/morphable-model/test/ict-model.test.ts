// The ICT Face Model reader and the embedded default built from it, on the real files in
// ../shared/models/ict-face-model (read in place, never copied).
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ictModelDir } from '../../../testing/fixtures';
import {
  boundaryLoops,
  computeSymmetry,
  defaultModel,
  ICT_EXPRESSIONS,
  ICT_IBUG68,
  loadModel,
  ModelFormatError,
  type MorphableModel,
  readModel,
  symmetricGrid,
  symmetricTutte,
  symmetryReport,
  writeModel,
} from '../src/node';

const ICT = ictModelDir();
const FACE = join(ICT, 'face');
let face: MorphableModel;

beforeAll(async () => {
  face = (await loadModel(FACE)) as MorphableModel;
}, 60_000);

const rmsOfMode = (m: MorphableModel, k: number) => {
  const n = m.numVertices;
  let s = 0;
  for (let i = 0; i < 3 * n; i++) s += m.shape.basis[k * 3 * n + i] ** 2;
  return Math.sqrt(s / n);
};

describe('readIctModel on the face-area folder', () => {
  it('reads counts, names, landmarks and contour as released', () => {
    expect(face.numVertices).toBe(9409);
    expect(face.triangles.length / 3).toBe(18460);
    expect(face.shape.numModes).toBe(100);
    expect(face.expression?.numModes).toBe(53);
    expect(face.expression?.names).toEqual([...ICT_EXPRESSIONS]);
    expect(face.expression?.range).toEqual([0, 1]);
    expect(Array.from(face.landmarks)).toEqual([...ICT_IBUG68]);
    expect(face.contour?.right.length).toBe(17);
    expect(face.contour?.left.length).toBe(17);
    expect(face.metadata.format).toBe('ict');
    expect(face.metadata.licence).toMatch(/MIT/);
  });

  it('converts centimetres to millimetres (the face area is 18.4 cm wide, 28.8 cm tall)', () => {
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < face.numVertices; i++) {
      x0 = Math.min(x0, face.mean[3 * i]);
      x1 = Math.max(x1, face.mean[3 * i]);
      y0 = Math.min(y0, face.mean[3 * i + 1]);
      y1 = Math.max(y1, face.mean[3 * i + 1]);
    }
    expect(x1 - x0).toBeCloseTo(184, -1);
    expect(y1 - y0).toBeCloseTo(288, -1);
  });

  it('scales identity modes to one standard deviation (mode 0 RMS ≈ 3.9 mm, mode 99 ≈ 0.09 mm)', () => {
    expect(rmsOfMode(face, 0)).toBeCloseTo(3.9, 1);
    expect(rmsOfMode(face, 1)).toBeCloseTo(2.3, 1);
    expect(rmsOfMode(face, 99)).toBeCloseTo(0.09, 2);
    expect(Array.from(face.shape.variance ?? [])).toEqual(new Array(100).fill(1));
  });

  it('winds the triangulated quads counter-clockwise seen from +z (front faces point to the camera)', () => {
    // The nose tip (landmark 31) region: triangles around it must face +z.
    const nose = face.landmarks[30];
    let front = 0;
    let around = 0;
    const p = face.mean;
    for (let t = 0; t < face.triangles.length; t += 3) {
      const [a, b, c] = [face.triangles[t], face.triangles[t + 1], face.triangles[t + 2]];
      if (a !== nose && b !== nose && c !== nose) continue;
      around++;
      const z =
        (p[3 * b] - p[3 * a]) * (p[3 * c + 1] - p[3 * a + 1]) -
        (p[3 * c] - p[3 * a]) * (p[3 * b + 1] - p[3 * a + 1]);
      if (z > 0) front++;
    }
    expect(around).toBeGreaterThan(3);
    expect(front).toBe(around);
  });

  it('is a disc with three holes (rim, mouth, two eyes) and an involutive mirror map', () => {
    expect(boundaryLoops(face.triangles, face.numVertices, face.mean)).toHaveLength(4);
    const sym = computeSymmetry(face);
    expect(symmetryReport(sym, face.triangles).involutive).toBe(face.numVertices);
  });

  it('the narrow region keeps the first 6,706 vertices and 6,560 quads, with every landmark', async () => {
    const narrow = (await loadModel(FACE, {
      region: 'narrow',
      identityModes: 3,
    })) as MorphableModel;
    expect(narrow.numVertices).toBe(6706);
    expect(narrow.triangles.length / 3).toBe(13120);
    expect(narrow.shape.numModes).toBe(3);
    expect(Math.max(...narrow.triangles)).toBeLessThan(6706);
    expect(Array.from(narrow.mean.subarray(0, 30))).toEqual(Array.from(face.mean.subarray(0, 30)));
  });

  it('round-trips through .3dmm with names, range and contour', () => {
    const back = readModel(writeModel(face)) as MorphableModel;
    expect(back.expression?.names).toEqual(face.expression?.names);
    expect(back.expression?.range).toEqual([0, 1]);
    expect(Array.from(back.contour?.left ?? [])).toEqual(Array.from(face.contour?.left ?? []));
  });
});

describe('readIctModel on the release files as released (26,719 vertices)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ict-full-'));
    for (const f of ['generic_neutral_mesh.obj', 'identity000.obj', 'jawOpen.obj'])
      await symlink(join(ICT, 'full', f), join(dir, f));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes the face area: the same mesh, mode and blendshape as the cut files', async () => {
    const full = (await loadModel(dir)) as MorphableModel;
    expect(full.metadata.extra?.fileVertices).toBe(26719);
    expect(full.numVertices).toBe(9409);
    expect(full.shape.numModes).toBe(1);
    expect(full.expression?.names).toEqual(['jawOpen']);
    expect(Array.from(full.triangles)).toEqual(Array.from(face.triangles));
    let d = 0;
    for (let i = 0; i < 3 * 9409; i++) {
      d = Math.max(d, Math.abs(full.mean[i] - face.mean[i]));
      d = Math.max(d, Math.abs(full.shape.basis[i] - face.shape.basis[i]));
      const j = face.expression!.names!.indexOf('jawOpen') * 3 * 9409;
      d = Math.max(d, Math.abs(full.expression!.basis[i] - face.expression!.basis[j + i]));
    }
    expect(d).toBeLessThan(1e-3);
  });
});

describe('damaged ICT folders give a typed error naming the file', () => {
  let dir: string;
  const copy = async (edit: (files: Map<string, string>) => void) => {
    await rm(dir, { recursive: true, force: true });
    dir = await mkdtemp(join(tmpdir(), 'ict-bad-'));
    const files = new Map<string, string>();
    for (const f of [
      'generic_neutral_mesh.obj',
      'identity000.obj',
      'identity001.obj',
      'identity002.obj',
      'jawOpen.obj',
    ])
      files.set(f, await readFile(join(FACE, f), 'utf8'));
    edit(files);
    for (const [f, text] of files) await writeFile(join(dir, f), text);
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ict-bad-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const expectError = async (file: RegExp, detail: RegExp) => {
    const err = await loadModel(dir).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect(err.file).toMatch(file);
    expect(err.message).toMatch(detail);
  };

  it('a missing identity mode (a gap)', async () => {
    await copy((f) => f.delete('identity001.obj'));
    await expectError(/identity001\.obj$/, /consecutive/);
  });
  it('a vertex count that is neither 26,719 nor 9,409', async () => {
    await copy((f) => {
      const lines = f.get('generic_neutral_mesh.obj')!.split('\n');
      const i = lines.findIndex((l) => l.startsWith('v '));
      lines.splice(i, 1);
      f.set('generic_neutral_mesh.obj', lines.join('\n'));
    });
    await expectError(/generic_neutral_mesh\.obj$/, /9409 \(the face area\), got 9408/);
  });
  it('a mode file with another vertex count than the neutral', async () => {
    await copy((f) => {
      const text = f.get('identity002.obj')!;
      f.set('identity002.obj', text.slice(0, text.lastIndexOf('\nv ')));
    });
    await expectError(/identity002\.obj$/, /expected 9409 vertices/);
  });
  it('a quad of the face area referencing a vertex outside it', async () => {
    await copy((f) => {
      const text = f.get('generic_neutral_mesh.obj')!;
      f.set('generic_neutral_mesh.obj', text.replace(/\nf \d+\//, '\nf 9500/'));
    });
    await expectError(/generic_neutral_mesh\.obj$/, /outside the face area/);
  });
  it('a malformed coordinate', async () => {
    await copy((f) => {
      f.set('jawOpen.obj', f.get('jawOpen.obj')!.replace(/\nv (\S+)/, '\nv 1.2.3'));
    });
    await expectError(/jawOpen\.obj$/, /expected a number/);
  });
  it('a folder without the neutral mesh', async () => {
    await copy((f) => f.delete('generic_neutral_mesh.obj'));
    const err = await loadModel(dir).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect(err.message).toMatch(/generic_neutral_mesh\.obj/);
    expect((await readdir(dir)).length).toBe(4);
  });
});

describe('the embedded default model (ICT, narrow face area)', () => {
  const m = defaultModel();
  it('is the ICT model: 6,706 vertices, 40 identity modes, 53 named blendshapes in [0, 1]', () => {
    expect(m.numVertices).toBe(6706);
    expect(m.triangles.length / 3).toBe(13120);
    expect(m.shape.numModes).toBe(40);
    expect(m.expression?.names).toEqual([...ICT_EXPRESSIONS]);
    expect(m.expression?.range).toEqual([0, 1]);
    expect(Array.from(m.landmarks)).toEqual([...ICT_IBUG68]);
    expect(m.metadata.licence).toMatch(/MIT.*USC Institute for Creative Technologies/);
  });

  it("decodes to the reader's model within the int8 quantisation error", async () => {
    const ref = (await loadModel(FACE, { region: 'narrow', identityModes: 40 })) as MorphableModel;
    let dId = 0;
    for (let i = 0; i < ref.shape.basis.length; i++)
      dId = Math.max(dId, Math.abs(ref.shape.basis[i] - m.shape.basis[i]));
    let dEx = 0;
    for (let i = 0; i < ref.expression!.basis.length; i++)
      dEx = Math.max(dEx, Math.abs(ref.expression!.basis[i] - m.expression!.basis[i]));
    expect(dId).toBeLessThan(0.05);
    expect(dEx).toBeLessThan(0.2);
    expect(rmsOfMode(m, 0)).toBeCloseTo(rmsOfMode(ref, 0), 2);
    // The same mesh up to the centring translation.
    const dy = m.mean[1] - ref.mean[1];
    for (let i = 0; i < m.numVertices; i += 97) {
      expect(m.mean[3 * i]).toBeCloseTo(ref.mean[3 * i], 4);
      expect(m.mean[3 * i + 1] - ref.mean[3 * i + 1]).toBeCloseTo(dy, 3);
    }
  });

  it('has an involutive mirror map that maps the mesh onto itself (x → −x)', () => {
    const sym = m.symmetry!;
    expect(symmetryReport(sym, m.triangles).involutive).toBe(6706);
    let worst = 0;
    for (let i = 0; i < 6706; i++) {
      const j = sym[i];
      worst = Math.max(
        worst,
        Math.abs(m.mean[3 * i] + m.mean[3 * j]),
        Math.abs(m.mean[3 * i + 1] - m.mean[3 * j + 1]),
      );
    }
    expect(worst).toBeLessThan(0.1);
  });

  it('carries its symmetric Tutte embedding: fold-free and mirror-symmetric, as solved afresh', () => {
    const uv = m.texCoords!;
    const sym = m.symmetry!;
    for (let i = 0; i < 6706; i++) {
      expect(Math.abs(uv[2 * sym[i]] - (1 - uv[2 * i]))).toBeLessThan(1e-5);
      expect(Math.abs(uv[2 * sym[i] + 1] - uv[2 * i + 1])).toBeLessThan(1e-5);
    }
    const fresh = symmetricTutte(m);
    expect(fresh.flippedTriangles).toBe(0);
    let d = 0;
    for (let i = 0; i < uv.length; i++) d = Math.max(d, Math.abs(fresh.uv[i] - uv[i]));
    expect(d).toBeLessThan(1e-4);
    const { grid, flippedTriangles } = symmetricGrid(m, 112);
    expect(flippedTriangles).toBe(0);
    expect(grid.contour?.vertices.length).toBe(34);
  });

  it('is decoded afresh for each caller (mutations do not leak)', () => {
    const a = defaultModel();
    a.mean[0] = 1e6;
    expect(defaultModel().mean[0]).not.toBe(1e6);
  });
});

describe('loadDefaultModel (the data on demand)', () => {
  it('gives the same model as defaultModel()', async () => {
    const { loadDefaultModel } = await import('../src/index');
    const a = await loadDefaultModel();
    const b = defaultModel();
    expect(a.numVertices).toBe(b.numVertices);
    expect(Array.from(a.shape.basis.subarray(0, 300))).toEqual(
      Array.from(b.shape.basis.subarray(0, 300)),
    );
    expect(a.expression?.names).toEqual(b.expression?.names);
  });
});

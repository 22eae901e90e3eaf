import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import type { GridModel, MorphableModel } from '../src/node';
import {
  detectModelFormat,
  isGridModel,
  loadModel,
  ModelFormatError,
  readModel,
  readObj,
  saveModel,
  writeFileAtomic,
  writeModel,
} from '../src/node';
import { bowl, orthonormal, writeBfmH5 } from './io-h5';

const dir = mkdtempSync(join(tmpdir(), 'io-load-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sfmPath = fixturePath('sfm', 'sfm_shape_3448.bin');
const mappingPath = fixturePath('sfm', 'ibug_to_sfm.txt');
const bsPath = fixturePath('sfm', 'expression_blendshapes_3448.bin');

describe('loadModel', () => {
  it('loads the SFM eos file with the landmark mapping and blendshapes the caller names', async () => {
    const m = (await loadModel(sfmPath, {
      landmarks: mappingPath,
      expression: bsPath,
      name: 'SFM 3448',
    })) as MorphableModel;
    expect(isGridModel(m)).toBe(false);
    expect(m.metadata).toMatchObject({ name: 'SFM 3448', format: 'eos', source: sfmPath });
    expect(m.metadata.extra).toMatchObject({
      landmarkSource: mappingPath,
      expressionSource: bsPath,
    });
    expect(m.landmarks[36]).toBe(177);
    expect(m.landmarks[45]).toBe(610);
    expect(m.expression?.names?.[3]).toBe('happiness');
    // Nothing is guessed from sibling files.
    const bare = (await loadModel(sfmPath)) as MorphableModel;
    expect(bare.landmarks.every((v) => v === -1)).toBe(true);
    expect(bare.expression).toBeUndefined();
  });

  it('detects every format by content, whatever the file is called', async () => {
    const sfm = (await loadModel(sfmPath)) as MorphableModel;
    const own = join(dir, 'model.bin'); // a .3dmm file with a misleading name
    writeFileSync(own, writeModel(sfm));
    const back = await loadModel(own);
    expect(back.metadata.format).toBe('eos');
    expect((back as MorphableModel).mean).toEqual(sfm.mean);
    expect(detectModelFormat(readFileSync(own))).toBe('3dmm');

    const { mean, triangles } = bowl();
    const h5 = join(dir, 'bfm.data');
    await writeBfmH5(h5, {
      shape: { mean, basis: orthonormal(27, 2, 4), variance: [4, 1] },
      triangles,
    });
    expect(detectModelFormat(readFileSync(h5))).toBe('bfm-h5');
    const bfm = (await loadModel(h5, { name: 'tiny' })) as MorphableModel;
    expect(bfm.metadata).toMatchObject({ format: 'bfm-h5', name: 'tiny' });
    expect(bfm.numVertices).toBe(9);
    const bfmBytes = (await loadModel(readFileSync(h5))) as MorphableModel;
    expect(bfmBytes.mean).toEqual(bfm.mean);

    const obj = fixturePath('sfm', 'sfm_reference.obj');
    expect(detectModelFormat(readFileSync(obj))).toBe('obj');
    const ref = (await loadModel(obj)) as MorphableModel;
    expect(ref).toMatchObject({ numVertices: 845, shape: { numModes: 0 } });
    expect(ref.metadata.format).toBe('obj');
    expect(ref.triangles.length).toBe(1610 * 3);

    expect(detectModelFormat(readFileSync(sfmPath))).toBe('eos');
    expect(detectModelFormat(new TextEncoder().encode('# comment\n\nvt 0 0\n'))).toBe('obj');
  });

  it('lists the supported formats when nothing matches', async () => {
    const unknown = [
      readFileSync(bsPath), // a blendshapes file is not a model
      new TextEncoder().encode('hello world\n'),
      new Uint8Array(0),
      Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0),
    ];
    for (const bytes of unknown) {
      expect(detectModelFormat(bytes)).toBeUndefined();
      await expect(loadModel(bytes)).rejects.toThrow(ModelFormatError);
      await expect(loadModel(bytes)).rejects.toThrow(
        /<bytes>: format: not a recognised model file; supported formats: \.3dmm .* BFM 2017\/2019 \.h5 .* Wavefront \.obj .* eos cereal \.bin/,
      );
    }
  });

  it('checks option files against the model', async () => {
    const bad = join(dir, 'map.txt');
    writeFileSync(bad, '[landmark_mappings]\n9 = 4000\n');
    await expect(loadModel(sfmPath, { landmarks: bad })).rejects.toThrow(
      /map\.txt: landmark_mappings\.9: vertex id 4000 is out of range for a model with 3448 vertices \(line 2\)/,
    );
    await expect(
      loadModel(fixturePath('sfm', 'sfm_reference.obj'), { expression: bsPath }),
    ).rejects.toThrow(/has 10344 rows, expected 2535/);
    const grid = join(dir, 'g.3dmm');
    writeFileSync(grid, writeModel(tinyGrid()));
    await expect(loadModel(grid, { landmarks: mappingPath })).rejects.toThrow(
      /apply to a MorphableModel, not a GridModel/,
    );
  });
});

function tinyGrid(): GridModel {
  return {
    res: 2,
    numModes: 1,
    numShapeModes: 1,
    mean: new Float32Array(12).fill(1),
    basis: new Float32Array(12).fill(2),
    valid: Uint8Array.of(1, 1, 1, 0),
    triangles: Uint32Array.of(0, 1, 2),
    landmarkIds: Int32Array.of(9),
    landmarkMean: Float32Array.of(0, 1, 2),
    landmarkBasis: Float32Array.of(3, 4, 5),
    mirror: Uint32Array.of(1, 0, 3, 2),
    metadata: { name: 'g', source: 'test', format: 'generated' },
  };
}

describe('saveModel / writeFileAtomic', () => {
  it('saves .3dmm exactly and .obj as the mean mesh, by extension', async () => {
    const sfm = (await loadModel(sfmPath, { landmarks: mappingPath })) as MorphableModel;
    const p3 = join(dir, 'sfm.3dmm');
    await saveModel(p3, sfm);
    expect(Buffer.compare(readFileSync(p3), Buffer.from(writeModel(sfm)))).toBe(0);
    expect((readModel(readFileSync(p3)) as MorphableModel).landmarks).toEqual(sfm.landmarks);
    const po = join(dir, 'sfm.OBJ');
    await saveModel(po, sfm);
    const mesh = readObj(readFileSync(po, 'utf8'));
    expect(mesh.positions).toEqual(sfm.mean);
    expect(mesh.texCoords).toEqual(sfm.texCoords);
    const pg = join(dir, 'grid.obj');
    await saveModel(pg, tinyGrid());
    expect(readObj(readFileSync(pg, 'utf8')).triangles).toEqual(Uint32Array.of(0, 1, 2));
    await expect(saveModel(join(dir, 'x.ply'), sfm)).rejects.toThrow(
      /x\.ply: extension: cannot save "\.ply": use \.3dmm .* or \.obj/,
    );
  });

  it('replaces the target in one step and leaves no temporary file behind', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const p = join(sub, 'out.txt');
    await writeFileAtomic(p, 'first');
    await writeFileAtomic(p, new TextEncoder().encode('second'));
    expect(readFileSync(p, 'utf8')).toBe('second');
    expect(readdirSync(sub)).toEqual(['out.txt']);
    // A failed write (directory missing) leaves nothing and throws the fs error.
    await expect(writeFileAtomic(join(sub, 'missing', 'x'), 'y')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(sub)).toEqual(['out.txt']);
  });
});

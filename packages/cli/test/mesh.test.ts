import { selectBackend } from '@3dmm-stn/backend/node';
import { MESH_TO_IBUG68, meshToIbug68 } from '@3dmm-stn/fit';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Detection, DetectedFace } from '../src/fit/faces';
import { FaceDetector } from '../src/fit/faces';
import { AutoDetector, MeshDetector } from '../src/fit/mesh';
import { readRgb } from '../src/image';
import { cli, samplePhoto } from './helpers';

describe('meshToIbug68', () => {
  it('maps 68 points, each a mesh vertex or the mean of two', () => {
    expect(MESH_TO_IBUG68).toHaveLength(68);
    const mesh = Array.from({ length: 468 }, (_, i) => [i, 2 * i, 0]);
    const lm = meshToIbug68(mesh);
    expect(lm[2 * 8]).toBe(152); // ibug 9, the chin
    expect(lm[2 * 3]).toBe((132 + 58) / 2); // ibug 4, two vertices
    expect(() => meshToIbug68(mesh.slice(0, 100))).toThrow(/468-point/);
  });

  it('silhouette jaw moves hidden jaw points outwards along their ray, never inwards', () => {
    // A disc of points and an oval whose jaw vertices lie inside it (as on a turned head).
    const mesh: number[][] = [];
    for (let i = 0; i < 468; i++) {
      const a = (2 * Math.PI * i) / 468;
      mesh.push([100 + 50 * Math.cos(a), 100 + 50 * Math.sin(a), 0]);
    }
    for (const ids of MESH_TO_IBUG68.slice(0, 17))
      for (const i of ids)
        mesh[i] = [100 + 0.5 * (mesh[i][0] - 100), 100 + 0.5 * (mesh[i][1] - 100), 0];
    const fixed = meshToIbug68(mesh, 'fixed');
    const sil = meshToIbug68(mesh, 'silhouette');
    for (let k = 0; k < 17; k++) {
      const r0 = Math.hypot(fixed[2 * k] - 100, fixed[2 * k + 1] - 100);
      const r1 = Math.hypot(sil[2 * k] - 100, sil[2 * k + 1] - 100);
      expect(r1).toBeGreaterThanOrEqual(r0 - 1e-3);
    }
    // Inner points untouched.
    expect(Array.from(sil.subarray(34))).toEqual(Array.from(fixed.subarray(34)));
  });
});

describe('MeshDetector on a photo', () => {
  let mesh: MeshDetector;
  let faceApi: FaceDetector;
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm' });
    faceApi = await FaceDetector.load();
    mesh = await MeshDetector.load();
  }, 120_000);

  it('finds the faces of sample1 and its 68 points lie near face-api’s (frontal faces)', async () => {
    const photo = await readRgb(samplePhoto(1));
    const m = await mesh.detect(photo);
    const f = await faceApi.detect(photo);
    expect(m.faces.length).toBe(3);
    expect(m.faces[0].detector).toBe('mesh');
    for (const face of m.faces) {
      expect(face.mesh).toHaveLength(468);
      expect(face.landmarks).toHaveLength(136);
      expect(Array.from(face.landmarks).every(Number.isFinite)).toBe(true);
    }
    // Match by the nose tip (ibug 31); mean distance over the 68 points / inter-ocular distance.
    for (const a of f.faces) {
      const b = m.faces.reduce((best, c) =>
        Math.hypot(c.landmarks[60] - a.landmarks[60], c.landmarks[61] - a.landmarks[61]) <
        Math.hypot(best.landmarks[60] - a.landmarks[60], best.landmarks[61] - a.landmarks[61])
          ? c
          : best,
      );
      const iod = Math.hypot(a.landmarks[72] - a.landmarks[90], a.landmarks[73] - a.landmarks[91]);
      let sum = 0;
      let jaw = 0;
      for (let k = 0; k < 68; k++) {
        const d = Math.hypot(
          b.landmarks[2 * k] - a.landmarks[2 * k],
          b.landmarks[2 * k + 1] - a.landmarks[2 * k + 1],
        );
        sum += d;
        if (k < 17) jaw += d;
      }
      expect(sum / 68 / iod).toBeLessThan(0.15);
      // The jaw side points exist and lie near face-api's outline.
      expect(jaw / 17 / iod).toBeLessThan(0.3);
      // Left jaw end left of the nose, right end right of it.
      expect(b.landmarks[0]).toBeLessThan(b.landmarks[60]);
      expect(b.landmarks[32]).toBeGreaterThan(b.landmarks[60]);
    }
  }, 120_000);

  it('auto keeps face-api’s faces and falls back to the mesh where face-api finds none', async () => {
    const none: Detection = { faces: [], attempts: ['ssd: 0 face(s)'] };
    const one = { box: [0, 0, 10, 10], detector: 'mesh' } as unknown as DetectedFace;
    const stub = (d: Detection) => ({
      detect: async () => d,
      landmarksInBox: async () => one,
    });
    const meshDet: Detection = { faces: [one], attempts: ['mesh: 1 face(s)'] };
    const photo = { data: new Uint8Array(3), width: 1, height: 1 };
    const a = await new AutoDetector(stub(none), stub(meshDet)).detect(photo);
    expect(a.faces).toEqual([one]);
    expect(a.attempts).toEqual(['ssd: 0 face(s)', 'mesh: 1 face(s)']);
    const faceApiDet: Detection = { faces: [{ ...one, detector: 'ssd' }], attempts: ['ssd: 1'] };
    const b = await new AutoDetector(stub(faceApiDet), stub(meshDet)).detect(photo);
    expect(b.faces[0].detector).toBe('ssd');
  });
});

describe('--landmarks-from', () => {
  it('rejects an unknown source', async () => {
    const r = await cli('fit', samplePhoto(1), '--out', '/tmp/unused', '--landmarks-from', 'dlib');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--landmarks-from/);
  });

  it('fit --landmarks-from mesh records mesh detections', async () => {
    const { tempDir } = await import('./helpers');
    const out = await tempDir();
    const r = await cli(
      'fit',
      samplePhoto(2),
      '--out',
      out,
      '--landmarks-from',
      'mesh',
      '--steps',
      '2',
      '--json',
    );
    expect(r.code).toBe(0);
    const s = r.json();
    expect(s.records.length).toBeGreaterThan(0);
    expect(s.records[0].detection.detector).toBe('mesh');
  }, 180_000);
});

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryIO, runCli } from '@3dmm-stn/cli';
import {
  defaultModel,
  matrixFromPosePara,
  readMat,
  rotationFromAxisAngle,
} from '@3dmm-stn/morphable-model';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LargePoseSet, landmarkPositions, writeLargePoseSet } from '../src/large_pose_set';
import { fillMeshHoles } from '../src/synthetic';

const model = defaultModel();
let dir: string;
let set: LargePoseSet;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'large-pose-'));
  set = await writeLargePoseSet({ out: dir, count: 12, seed: 3 });
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function label(name: string) {
  const vars = await readMat(new Uint8Array(await readFile(join(dir, `${name}.mat`))));
  const pt = vars.get('pt3d_68');
  const pp = vars.get('Pose_Para');
  if (pt?.kind !== 'numeric' || pp?.kind !== 'numeric') throw new Error(`${name}.mat: not numeric`);
  return { pt, pp };
}

describe('large-pose test set', () => {
  it('writes NNNN.jpg + NNNN.mat per face and faces.json', async () => {
    expect(set.faces.map((f) => f.name)).toEqual(
      Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(4, '0')),
    );
    for (const f of set.faces) {
      expect(existsSync(join(dir, `${f.name}.jpg`))).toBe(true);
      expect(existsSync(join(dir, `${f.name}.mat`))).toBe(true);
    }
    const meta = await sharp(join(dir, '0001.jpg')).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', 288, 288, 3]);
    const json = JSON.parse(await readFile(join(dir, 'faces.json'), 'utf8'));
    expect(json.faces).toHaveLength(12);
    expect(json.appearance).toBe('procedural');
  });

  it('.mat readback: pt3d_68 3 × 68, Pose_Para 1 × 7 matching faces.json', async () => {
    for (const f of set.faces) {
      const { pt, pp } = await label(f.name);
      expect(pt.dims).toEqual([3, 68]);
      expect(pp.dims).toEqual([1, 7]);
      expect((pp.data[1] * 180) / Math.PI).toBeCloseTo(f.pose.yaw, 9);
      expect(Array.from(pt.data).every(Number.isFinite)).toBe(true);
    }
  });

  it('|yaw| covers the three buckets equally, both signs; pitch and roll small', () => {
    const buckets = [0, 0, 0];
    for (const f of set.faces) {
      const y = Math.abs(f.pose.yaw);
      expect(y).toBeLessThan(90);
      buckets[Math.min(2, Math.floor(y / 30))]++;
      expect(Math.abs(f.pose.pitch)).toBeLessThanOrEqual(10 + 1e-9);
      expect(Math.abs(f.pose.roll)).toBeLessThanOrEqual(10 + 1e-9);
    }
    expect(buckets).toEqual([4, 4, 4]);
    expect(set.faces.some((f) => f.pose.yaw > 30)).toBe(true);
    expect(set.faces.some((f) => f.pose.yaw < -30)).toBe(true);
  });

  it('pt3d_68 is the model reprojected at the stored Pose_Para (round trip through Pose_Para)', async () => {
    for (const f of set.faces) {
      const { pt, pp } = await label(f.name);
      const [pitch, yaw, roll, tx, ty, tz, s] = Array.from(pp.data);
      // θ's rotation and the one rebuilt from the stored angles agree.
      const R = matrixFromPosePara(pitch, yaw, roll);
      const Rtheta = rotationFromAxisAngle(f.theta.slice(0, 3));
      for (let k = 0; k < 9; k++) expect(R[k]).toBeCloseTo(Rtheta[k], 6);
      expect(s).toBeCloseTo(Math.exp(f.theta[5]), 9);
      const X = landmarkPositions(model, f.theta.slice(6), f.numShapeModes, f.numExpressionModes);
      // AFLW2000-3D's projection: v = s·R·X + t3d, then y flipped: y₁ = H + 1 − v_y (1-based).
      for (let k = 0; k < 68; k++) {
        const v = [0, 1, 2].map(
          (i) =>
            s * (R[3 * i] * X[3 * k] + R[3 * i + 1] * X[3 * k + 1] + R[3 * i + 2] * X[3 * k + 2]),
        );
        expect(pt.data[3 * k]).toBeCloseTo(v[0] + tx, 6);
        expect(pt.data[3 * k + 1]).toBeCloseTo(set.size + 1 - (v[1] + ty), 6);
        expect(pt.data[3 * k + 2]).toBeCloseTo(v[2] + tz, 6);
      }
    }
  });

  it('`3dmm-stn eval --labels` finds the faces and prints the 3DDFA protocol by bucket', async () => {
    const io = memoryIO();
    const code = await runCli(['eval', dir, '--labels', dir, '--method', 'fit', '--json'], io);
    expect(code, io.err.join('')).toBe(0);
    const r = JSON.parse(io.out.join(''));
    expect(r.labelledFaces).toBe(12);
    expect(r.matchedFaces).toBeGreaterThanOrEqual(9);
    const fit = r.methods.fit;
    expect(fit.nme68.byYaw.map((b: { faces: number }) => b.faces > 0)).toEqual([true, true, true]);
    expect(Number.isFinite(fit.nme68.meanOfBuckets)).toBe(true);
    expect(fit.poseMae.faces).toBe(r.matchedFaces);
    expect(fit.poseMae.yaw).toBeGreaterThan(0);
    // Frontal faces are fitted well (the set's labels and eval's conventions agree).
    expect(fit.nme68.byYaw[0].nme).toBeLessThan(0.08);
  });
});

describe('fillMeshHoles', () => {
  it('paints background enclosed by mesh inside an eye ring; leaves the outside alone', () => {
    const W = 30;
    const faceId = new Int32Array(W * W).fill(-1);
    // Mesh over x, y in [5, 25), with a hole [12, 16)² (an open eye).
    for (let y = 5; y < 25; y++)
      for (let x = 5; x < 25; x++)
        if (!(x >= 12 && x < 16 && y >= 12 && y < 16)) faceId[y * W + x] = 0;
    const image = new Float32Array(W * W * 3).fill(200);
    const lm = new Float32Array(136).fill(Number.NaN);
    // Eye 37–42 around the hole; the other rings far away on mesh (nothing to paint there).
    const ring = (k0: number, cx: number, cy: number, r: number) => {
      for (let k = 0; k < 6; k++) {
        lm[2 * (k0 + k)] = cx + r * Math.cos((k * Math.PI) / 3);
        lm[2 * (k0 + k) + 1] = cy + r * Math.sin((k * Math.PI) / 3);
      }
    };
    ring(36, 13.5, 13.5, 2.5);
    ring(42, 20, 20, 1);
    for (let k = 60; k < 68; k++) [lm[2 * k], lm[2 * k + 1]] = [8 + (k % 2), 21 + (k % 3)];
    fillMeshHoles(image, faceId, lm, W, W);
    const at = (x: number, y: number) => image[3 * (y * W + x)];
    for (let y = 12; y < 16; y++) for (let x = 12; x < 16; x++) expect(at(x, y)).toBeLessThan(100);
    expect(at(2, 2)).toBe(200); // outside the silhouette
    expect(at(10, 10)).toBe(200); // mesh
    expect(at(20, 20)).toBe(200);
  });
});

import { describe, expect, it } from 'vitest';
import {
  axisAngleFromRotation,
  eulerDegreesFromAxisAngle,
  eulerFromMatrix,
  headPoseFromAxisAngle,
  matrixFromEuler,
  matrixFromPosePara,
  poseParaFromAxisAngle,
  poseParaFromMatrix,
  projectScaledOrthographic,
  ROTATION_TAYLOR_THETA_SQ,
  rodrigues,
  rotationFromAxisAngle,
  unoccludedByMesh,
  visibleByZBuffer,
} from '../src/index';

/** exp([r]×) by its power series: independent of Rodrigues' formula. */
function expSeries(r: number[]): Float64Array {
  const K = [0, -r[2], r[1], r[2], 0, -r[0], -r[1], r[0], 0];
  const out = Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
  let term = Float64Array.from(out);
  for (let n = 1; n <= 60; n++) {
    const next = new Float64Array(9);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 3; k++) next[3 * i + j] += (term[3 * i + k] * K[3 * k + j]) / n;
    term = next;
    for (let i = 0; i < 9; i++) out[i] += term[i];
  }
  return out;
}

const CASES = [
  [0.3, -0.2, 0.1],
  [1e-9, 0, -2e-9],
  [0, 0, 0],
  [0.004, 0.005, -0.003], // θ² = 5e-5: Taylor branch
  [0, 3.1, 0],
  [-1.2, 0.4, 2.2],
  [0.5, -1.5, 0.7],
];

describe('rotationFromAxisAngle (Rodrigues, one set of Taylor branches)', () => {
  it('equals the power series of exp([r]×), in both branches', () => {
    for (const r of CASES) {
      const R = rotationFromAxisAngle(r);
      const E = expSeries(r);
      for (let i = 0; i < 9; i++) expect(R[i]).toBeCloseTo(E[i], 13);
    }
  });

  it('is continuous across the Taylor threshold (values and Jacobian)', () => {
    const dir = [0.6, -0.48, 0.64]; // unit
    const t = Math.sqrt(ROTATION_TAYLOR_THETA_SQ);
    const at = (theta: number) => {
      const R = new Float64Array(9);
      const J = new Float64Array(27);
      rodrigues(dir[0] * theta, dir[1] * theta, dir[2] * theta, R, J);
      return { R, J };
    };
    const below = at(t * (1 - 1e-9));
    const above = at(t * (1 + 1e-9));
    for (let i = 0; i < 9; i++) expect(Math.abs(below.R[i] - above.R[i])).toBeLessThan(1e-10);
    for (let i = 0; i < 27; i++) expect(Math.abs(below.J[i] - above.J[i])).toBeLessThan(1e-9);
  });

  it('∂R/∂r matches central differences, at 0, small and large angles', () => {
    for (const r of [
      [0, 0, 0],
      [0.002, -0.001, 0.003],
      [0.7, -0.2, 1.1],
    ]) {
      const J = new Float64Array(27);
      rodrigues(r[0], r[1], r[2], new Float64Array(9), J);
      const h = 1e-6;
      for (let k = 0; k < 3; k++) {
        const p = [...r];
        const m = [...r];
        p[k] += h;
        m[k] -= h;
        const Rp = rotationFromAxisAngle(p);
        const Rm = rotationFromAxisAngle(m);
        for (let i = 0; i < 9; i++) expect(J[9 * k + i]).toBeCloseTo((Rp[i] - Rm[i]) / (2 * h), 7);
      }
    }
  });

  it('rejects r without 3 entries', () => {
    expect(() => rotationFromAxisAngle([1, 2])).toThrow(/3 entries/);
  });
});

describe('axisAngleFromRotation (via the quaternion, as pytorch3d)', () => {
  it('inverts rotationFromAxisAngle, including tiny angles', () => {
    for (const r of CASES) {
      const back = axisAngleFromRotation(rotationFromAxisAngle(r));
      for (let k = 0; k < 3; k++) expect(back[k]).toBeCloseTo(r[k], 10);
    }
  });

  it('keeps the axis and its sign near π, where sin θ → 0', () => {
    const axis = [0.36, -0.48, 0.8];
    for (const angle of [Math.PI - 1e-3, Math.PI - 1e-6, Math.PI - 1e-9]) {
      const r = axis.map((a) => a * angle);
      const back = axisAngleFromRotation(rotationFromAxisAngle(r));
      for (let k = 0; k < 3; k++) expect(back[k]).toBeCloseTo(r[k], 6);
    }
    // Exactly π: r and −r are the same rotation; either is right.
    const r = axis.map((a) => a * Math.PI);
    const back = axisAngleFromRotation(rotationFromAxisAngle(r));
    const sign = Math.sign(back[0] * r[0]);
    for (let k = 0; k < 3; k++) expect(back[k]).toBeCloseTo(sign * r[k], 6);
    expect(Math.hypot(...back)).toBeCloseTo(Math.PI, 8);
  });

  it('rejects a matrix without 9 entries', () => {
    expect(() => axisAngleFromRotation([1, 0, 0])).toThrow(/9 entries/);
  });
});

describe('projectScaledOrthographic', () => {
  it('is s·[x, −y] + t without rotation, and drops depth', () => {
    const p = projectScaledOrthographic([1, 2, 3, -4, 0.5, -9], [0, 0, 0], [10, 20], Math.log(2));
    expect(Array.from(p)).toEqual([12, 16, 2, 19]);
  });

  it('rotates first: a quarter turn about y maps +z onto +x', () => {
    const p = projectScaledOrthographic([0, 0, 5], [0, Math.PI / 2, 0], [0, 0], 0);
    expect(p[0]).toBeCloseTo(5, 12);
    expect(p[1]).toBeCloseTo(0, 12);
  });
});

describe('unoccludedByMesh (the host z-buffer without an image)', () => {
  it('hides what a nearer triangle covers, agrees with visibleByZBuffer on the projected points', () => {
    // A far square (z = 0) and a smaller near triangle above its centre (z = 5); vertex 8 invalid.
    const xyz = [
      -10,
      -10,
      0,
      10,
      -10,
      0,
      10,
      10,
      0,
      -10,
      10,
      0,
      0,
      0,
      0, // far square + centre (4)
      -4,
      -4,
      5,
      6,
      -4,
      5,
      -4,
      6,
      5, // near triangle (5, 6, 7)
      1,
      1,
      -3, // 8: behind, invalid
    ];
    const triangles = [0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4, 5, 6, 7];
    const valid = [1, 1, 1, 1, 1, 1, 1, 1, 0];
    const open = unoccludedByMesh(xyz, triangles, valid);
    expect(Array.from(open)).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 0]);
    // The same scene as pixels (x + 20, 20 − y) with depth z in a 41 × 41 image.
    const points = xyz.map((v, i) => (i % 3 === 0 ? v + 20 : i % 3 === 1 ? 20 - v : v));
    const seen = visibleByZBuffer(points, triangles, 41, 41);
    for (let v = 0; v < 8; v++) expect(seen[v]).toBe(open[v]);
    expect(() => unoccludedByMesh([0, 0], triangles, valid)).toThrow(/\[N,3\]/);
  });
});

describe('head-pose Euler angles (R = Rz(roll)·Ry(yaw)·Rx(pitch))', () => {
  it('single-axis rotations read back as that angle alone, with its sign', () => {
    const a = 0.4;
    const deg = (a * 180) / Math.PI;
    const yaw = eulerDegreesFromAxisAngle([0, a, 0]);
    const pitch = eulerDegreesFromAxisAngle([a, 0, 0]);
    const roll = eulerDegreesFromAxisAngle([0, 0, a]);
    expect(yaw.yaw).toBeCloseTo(deg, 10);
    expect(Math.abs(yaw.pitch) + Math.abs(yaw.roll)).toBeLessThan(1e-10);
    expect(pitch.pitch).toBeCloseTo(deg, 10);
    expect(Math.abs(pitch.yaw) + Math.abs(pitch.roll)).toBeLessThan(1e-10);
    expect(roll.roll).toBeCloseTo(deg, 10);
    expect(Math.abs(roll.yaw) + Math.abs(roll.pitch)).toBeLessThan(1e-10);
    // Positive yaw turns the nose (+z) towards +x: R·[0, 0, 1] has a positive x.
    expect(matrixFromEuler(a, 0, 0)[2]).toBeCloseTo(Math.sin(a), 12);
  });

  it('matrixFromEuler is a rotation and eulerFromMatrix inverts it (|yaw| < 90°)', () => {
    for (const [y, p, r] of [
      [0.3, -0.2, 0.1],
      [-1.2, 0.7, -2.5],
      [1.5, 3.0, 0.01],
    ]) {
      const R = matrixFromEuler(y, p, r);
      // RᵀR = I and det R = 1 (the rows are orthonormal and right-handed).
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          let d = 0;
          for (let k = 0; k < 3; k++) d += R[3 * i + k] * R[3 * j + k];
          expect(d).toBeCloseTo(i === j ? 1 : 0, 12);
        }
      const e = eulerFromMatrix(R);
      expect(e.yaw).toBeCloseTo(y, 10);
      expect(e.pitch).toBeCloseTo(p, 10);
      expect(e.roll).toBeCloseTo(r, 10);
      // Through the axis-angle vector and back.
      const d = eulerDegreesFromAxisAngle(axisAngleFromRotation(R));
      expect(d.yaw).toBeCloseTo((y * 180) / Math.PI, 8);
      expect(d.roll).toBeCloseTo((r * 180) / Math.PI, 8);
    }
  });
});

/** face3d's `angle2matrix_3ddfa` written out as it stands (the reference, not our composition). */
function face3dAngle2Matrix3ddfa(x: number, y: number, z: number): number[] {
  const [cx, sx, cy, sy, cz, sz] = [
    Math.cos(x),
    Math.sin(x),
    Math.cos(y),
    Math.sin(y),
    Math.cos(z),
    Math.sin(z),
  ];
  const Rx = [1, 0, 0, 0, cx, sx, 0, -sx, cx];
  const Ry = [cy, 0, -sy, 0, 1, 0, sy, 0, cy];
  const Rz = [cz, sz, 0, -sz, cz, 0, 0, 0, 1];
  const mul = (a: number[], b: number[]) =>
    Array.from({ length: 9 }, (_, k) => {
      const i = Math.floor(k / 3);
      const j = k % 3;
      return a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    });
  return mul(mul(Rx, Ry), Rz);
}

describe('AFLW2000-3D Pose_Para angles (3DDFA / face3d)', () => {
  const cases = [
    [0.2, -0.6, 0.1],
    [-0.35, 1.3, -0.4],
    [0.05, 0.01, 2.9],
    [0, 0, 0],
  ];

  it("matrixFromPosePara is face3d's angle2matrix_3ddfa", () => {
    for (const [p, y, r] of cases) {
      const ours = matrixFromPosePara(p, y, r);
      const ref = face3dAngle2Matrix3ddfa(p, y, r);
      for (let k = 0; k < 9; k++) expect(ours[k]).toBeCloseTo(ref[k], 14);
    }
  });

  it("round trip Pose_Para → R → Pose_Para is exact (|yaw| < 90°), also through θ's axis-angle", () => {
    for (const [p, y, r] of cases) {
      const back = poseParaFromMatrix(matrixFromPosePara(p, y, r));
      expect(back.pitch).toBeCloseTo(p, 14);
      expect(back.yaw).toBeCloseTo(y, 14);
      expect(back.roll).toBeCloseTo(r, 14);
      const viaTheta = poseParaFromAxisAngle(axisAngleFromRotation(matrixFromPosePara(p, y, r)));
      expect(viaTheta.pitch).toBeCloseTo(p, 10);
      expect(viaTheta.yaw).toBeCloseTo(y, 10);
      expect(viaTheta.roll).toBeCloseTo(r, 10);
    }
  });

  it("a pure yaw, pitch or roll is the negative of the record's angle (the transpose)", () => {
    const a = 0.5;
    const deg = (a * 180) / Math.PI;
    expect(poseParaFromAxisAngle([0, a, 0]).yaw).toBeCloseTo(-a, 12);
    expect(poseParaFromAxisAngle([a, 0, 0]).pitch).toBeCloseTo(-a, 12);
    expect(poseParaFromAxisAngle([0, 0, a]).roll).toBeCloseTo(-a, 12);
    const h = headPoseFromAxisAngle([0, a, 0]);
    expect(h.yaw).toBeCloseTo(deg, 10);
    // the record's rotation rows are R(r): row 0 of a yaw is [cos a, 0, sin a]
    expect(h.rotation[0][0]).toBeCloseTo(Math.cos(a), 12);
    expect(h.rotation[0][2]).toBeCloseTo(Math.sin(a), 12);
    expect(h.rotation[2][0]).toBeCloseTo(-Math.sin(a), 12);
  });

  it('rejects a matrix of the wrong size', () => {
    expect(() => poseParaFromMatrix([1, 0, 0])).toThrow(/9 entries/);
  });
});

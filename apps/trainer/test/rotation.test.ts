import { describe, expect, it } from 'vitest';
import {
  axisAngleToMatrix,
  eulerFromMatrix,
  matrixFromEuler,
  matrixToAxisAngle,
} from '../src/rotation';

describe('rotations', () => {
  it('Euler ↔ matrix ↔ axis-angle round trips', () => {
    for (const [y, p, r] of [
      [0.3, -0.2, 0.1],
      [-1.3, 0.5, -0.35],
      [0, 0, 0],
      [1.2, 0, 3.0],
    ]) {
      const R = matrixFromEuler(y, p, r);
      const e = eulerFromMatrix(R);
      expect(e.yaw).toBeCloseTo(y, 10);
      expect(e.pitch).toBeCloseTo(p, 10);
      expect(e.roll).toBeCloseTo(r, 10);
      const R2 = axisAngleToMatrix(matrixToAxisAngle(R));
      for (let k = 0; k < 9; k++) expect(R2[k]).toBeCloseTo(R[k], 9);
    }
    // a pure yaw is an axis-angle about +y
    const aa = matrixToAxisAngle(matrixFromEuler(0.4, 0, 0));
    expect(aa[0]).toBeCloseTo(0, 12);
    expect(aa[1]).toBeCloseTo(0.4, 12);
    // near π
    const Rpi = axisAngleToMatrix([0, Math.PI - 1e-6, 0]);
    const back = matrixToAxisAngle(Rpi);
    expect(Math.abs(back[1])).toBeCloseTo(Math.PI - 1e-6, 4);
  });
});

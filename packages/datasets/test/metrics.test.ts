import type { GridModel } from '@3dmm-stn/morphable-model';
import {
  axisAngleFromRotation as matrixToAxisAngle,
  matrixFromEuler,
} from '@3dmm-stn/morphable-model';
import { describe, expect, it } from 'vitest';
import { landmarkNme, poseError, shapeError, uvConsistency } from '../src/metrics';

describe('metrics', () => {
  it('NME normalises by the outer-eye-corner distance and by the box', () => {
    const truth = new Float32Array(136).fill(Number.NaN);
    const ids = [37, 46, 31];
    truth.set([10, 20], 72); // 37
    truth.set([50, 20], 90); // 46
    truth.set([30, 50], 60); // 31
    const pred = [10, 24, 50, 20, 30, 46]; // errors 4, 0, 4
    const n = landmarkNme(pred, ids, truth);
    expect(n.count).toBe(3);
    expect(n.eye).toBeCloseTo(8 / 3 / 40, 12);
    expect(n.box).toBeCloseTo(8 / 3 / Math.sqrt(40 * 30), 12);
  });
  it('pose error in degrees', () => {
    const a = matrixToAxisAngle(matrixFromEuler((30 * Math.PI) / 180, (5 * Math.PI) / 180, 0));
    const b = matrixToAxisAngle(
      matrixFromEuler((20 * Math.PI) / 180, (5 * Math.PI) / 180, (-3 * Math.PI) / 180),
    );
    const e = poseError(a, b);
    expect(e.yaw).toBeCloseTo(10, 8);
    expect(e.pitch).toBeCloseTo(0, 8);
    expect(e.roll).toBeCloseTo(3, 8);
  });
  it('shape error is the RMS vertex distance of the basis difference', () => {
    const res = 2;
    const grid = {
      res,
      numModes: 2,
      basis: Float32Array.from([
        // mode 0: unit x on every vertex
        1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0,
        // mode 1: 2 z on vertex 0 only
        0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      ]),
      valid: Uint8Array.from([1, 1, 1, 0]),
    } as unknown as GridModel;
    // Δα = (3, 1): vertex 0 → (3,0,2), vertices 1,2 → (3,0,0)
    expect(shapeError([3, 1], [0, 0], grid)).toBeCloseTo(Math.sqrt((13 + 9 + 9) / 3), 6);
  });
  it('UV consistency counts only jointly visible pixels', () => {
    const uvA = [10, 10, 10, 0, 0, 0, 5, 5, 5];
    const uvB = [12, 12, 12, 99, 99, 99, 5, 5, 5];
    const r = uvConsistency(uvA, [1, 1, 0], uvB, [1, 0, 1]);
    expect(r.meanAbsDiff).toBeCloseTo(2);
    expect(r.overlap).toBeCloseTo(1 / 3);
  });
});

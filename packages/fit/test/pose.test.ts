import { selectBackend } from '@3dmm-stn/backend/node';
import {
  axisAngleFromRotation,
  defaultModel,
  matrixFromPosePara,
  poseParaFromMatrix,
  render,
  resampleToGrid,
} from '@3dmm-stn/morphable-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FitStn, fitLandmarks, fitPose } from '../src/index';

// Faces rendered by the project's CPU rasteriser at a known AFLW2000-3D Pose_Para; a fit on the
// rendered landmarks must give that pose back, in the record's two conventions.
const model = defaultModel();
const grid = resampleToGrid(model, model.texCoords as Float32Array, 40);
let stn: FitStn;

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  stn = new FitStn(grid);
});
afterAll(() => stn.dispose());

const DEG = 180 / Math.PI;
const grey = { data: new Uint8Array(4 * 4 * 3).fill(128), width: 4, height: 4, channels: 3 };

describe('head pose of a fit on rendered faces of known pose', () => {
  // [pitch, yaw, roll] radians, as AFLW2000-3D stores them.
  const poses = [
    [0.15, -0.5, 0.1],
    [-0.2, 0.3, -0.15],
    [0.05, 0.9, 0.05],
  ];
  for (const [pitch, yaw, roll] of poses) {
    it(`Pose_Para (${(pitch * DEG).toFixed(0)}°, ${(yaw * DEG).toFixed(0)}°, ${(roll * DEG).toFixed(0)}°)`, () => {
      const R = matrixFromPosePara(pitch, yaw, roll);
      const r = axisAngleFromRotation(R);
      const alpha = new Float32Array(grid.numModes);
      const out = render(model, alpha, { r, t: [112, 118], logS: Math.log(1.2) }, grey, 224, 224, {
        numShapeModes: grid.numShapeModes,
        numExpressionModes: grid.numModes - grid.numShapeModes,
      });
      // the rendered face is there: the landmarks land inside the image
      expect(out.faceId.some((f) => f >= 0)).toBe(true);
      // The rendered points are the model's own vertices (3D-consistent, as AFLW2000-3D's):
      // no contour matching, which is for a 2D detector's outline.
      const fit = fitLandmarks(stn, out.landmarks, { steps: 60, contour: false });
      const theta = Array.from(fit.theta[0]);
      const pose = fitPose(theta);
      // Pose_Para recovered (noiseless landmarks, model's own shape: within a degree)
      expect(Math.abs(pose.posePara.pitch - pitch) * DEG).toBeLessThan(1);
      expect(Math.abs(pose.posePara.yaw - yaw) * DEG).toBeLessThan(1);
      expect(Math.abs(pose.posePara.roll - roll) * DEG).toBeLessThan(1);
      // the record's rotation is R(θ) and its Euler angles describe the same matrix
      const Rfit = pose.rotation.flat();
      for (let k = 0; k < 9; k++) expect(Rfit[k]).toBeCloseTo(R[k], 1);
      const back = poseParaFromMatrix(Rfit);
      expect(back.yaw).toBeCloseTo(pose.posePara.yaw, 12);
      // yaw has the opposite sign in the record's convention for a mostly-yaw rotation
      expect(Math.sign(pose.yaw)).toBe(-Math.sign(yaw));
    });
  }
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  affineGrid,
  axisAngleToRotation,
  gridSample,
  morphShape,
  projectVertices,
  rotateVertices,
  splitTheta,
} from '../src/index';
import { axisAngleToRotationComposed } from '../src/ops/axis_angle_to_rotation';
import { gridSampleComposed } from '../src/ops/grid_sample_composed';
import { rotateVerticesComposed } from '../src/ops/rotate_vertices';
import { projectVerticesComposed } from '../src/ops/project_vertices';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Runs `step` 100 times and returns the growth of tf.memory().numTensors after the first call. */
function growth(step: () => void): number {
  step(); // first call may create kernels' lasting state
  const before = tf.memory().numTensors;
  for (let i = 0; i < 100; i++) step();
  return tf.memory().numTensors - before;
}

describe('no tensor growth over 100 calls (forward and gradient)', () => {
  const image = tf.randomUniform([2, 8, 9, 3]) as tf.Tensor4D;
  const coords = tf.randomUniform([2, 5, 1, 2], -2, 10) as tf.Tensor4D;
  const r = tf.randomNormal([2, 3]) as tf.Tensor2D;
  const X = tf.randomNormal([2, 6, 3]) as tf.Tensor3D;
  const t = tf.randomNormal([2, 2]) as tf.Tensor2D;
  const logS = tf.randomNormal([2, 1]) as tf.Tensor2D;
  const alpha = tf.randomNormal([2, 4]) as tf.Tensor2D;
  const mean = tf.randomNormal([6, 3]) as tf.Tensor2D;
  const basis = tf.randomNormal([4, 18]) as tf.Tensor2D;
  const theta = tf.randomNormal([2, 2, 3]) as tf.Tensor3D;
  const thetaVector = tf.randomNormal([2, 10]) as tf.Tensor2D;
  const R = tf.randomNormal([2, 3, 3]) as tf.Tensor3D;

  const cases: [string, () => tf.Tensor | tf.Tensor[]][] = [
    ['axisAngleToRotation', () => axisAngleToRotation(r)],
    [
      'axisAngleToRotation grad',
      () => tf.grad((a: tf.Tensor) => tf.sum(axisAngleToRotation(a as tf.Tensor2D)))(r),
    ],
    ['rotateVertices', () => tf.tidy(() => rotateVertices(X, axisAngleToRotation(r)))],
    [
      'rotateVertices grad',
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(rotateVertices(a as tf.Tensor3D, b as tf.Tensor3D)),
        )([X, R]),
    ],
    ['morphShape', () => morphShape(alpha, mean, basis)],
    [
      'morphShape grad',
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(morphShape(a as tf.Tensor2D, mean, b as tf.Tensor2D)),
        )([alpha, basis]),
    ],
    ['projectVertices', () => projectVertices(X, r, t, logS)],
    [
      'projectVertices grad',
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(projectVertices(a as tf.Tensor3D, b as tf.Tensor2D, t, c as tf.Tensor2D)),
        )([X, r, logS]),
    ],
    ['splitTheta', () => Object.values(splitTheta(thetaVector))],
    ['gridSample zeros', () => gridSample(image, coords)],
    ['gridSample border', () => gridSample(image, coords, { padding: 'border' })],
    [
      'gridSample grad',
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(gridSample(a as tf.Tensor4D, b as tf.Tensor4D)),
        )([image, coords]),
    ],
    [
      'gridSample border grad',
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(gridSample(a as tf.Tensor4D, b as tf.Tensor4D, { padding: 'border' })),
        )([image, coords]),
    ],
    ['axisAngleToRotation composed', () => axisAngleToRotationComposed(r)],
    [
      'axisAngleToRotation composed grad',
      () => tf.grad((a: tf.Tensor) => tf.sum(axisAngleToRotationComposed(a as tf.Tensor2D)))(r),
    ],
    ['rotateVertices composed', () => rotateVerticesComposed(X, R)],
    [
      'rotateVertices composed grad',
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(rotateVerticesComposed(a as tf.Tensor3D, b as tf.Tensor3D)),
        )([X, R]),
    ],
    ['gridSample composed', () => gridSampleComposed(image, coords, 'zeros')],
    [
      'gridSample composed grad',
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(gridSampleComposed(a as tf.Tensor4D, b as tf.Tensor4D, 'border')),
        )([image, coords]),
    ],
    ['projectVertices composed', () => projectVerticesComposed(X, r, t, logS)],
    [
      'projectVertices composed grad',
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(projectVerticesComposed(a as tf.Tensor3D, b as tf.Tensor2D, t, logS)),
        )([X, r]),
    ],
    [
      'splitTheta grad',
      () =>
        tf.grad((a: tf.Tensor) => {
          const p = splitTheta(a as tf.Tensor2D);
          return tf.addN([tf.sum(p.r), tf.sum(p.t), tf.sum(p.logS), tf.sum(p.alpha)]);
        })(thetaVector),
    ],
    ['affineGrid', () => affineGrid(theta, [2, 4, 5])],
    [
      'affineGrid grad',
      () => tf.grad((a: tf.Tensor) => tf.sum(affineGrid(a as tf.Tensor3D, [2, 4, 5])))(theta),
    ],
    [
      'affineGrid + gridSample grad',
      () =>
        tf.grad((a: tf.Tensor) =>
          tf.sum(gridSample(image, affineGrid(a as tf.Tensor3D, [2, 4, 5], { inputSize: [8, 9] }))),
        )(theta),
    ],
  ];

  for (const [name, f] of cases) {
    it(name, () => {
      // The returned tensors are disposed by the caller, as an application would.
      expect(growth(() => tf.dispose(f()))).toBe(0);
    });
  }
});

import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import { describe, expect, it } from 'vitest';
import {
  affineGrid,
  axisAngleToRotation,
  gridSample,
  morphShape,
  projectVertices,
  rotateVertices,
} from '../src/index';
import { axisAngleToRotationComposed } from '../src/ops/axis_angle_to_rotation';
import { rotateVerticesComposed } from '../src/ops/rotate_vertices';
import { gridSampleComposed } from '../src/ops/grid_sample_composed';
import { projectVerticesComposed } from '../src/ops/project_vertices';
import { f32, maxAbsDiff, seededRandom, uniform } from './ops-gradcheck';
import { gridSample64 } from './ops-reference';

/** Every op's forward and gradients on seeded inputs, as plain arrays (backend-independent). */
function runAll(): Record<string, Float32Array> {
  const rand = seededRandom(31);
  const [B, H, W, C, Ho, Wo] = [2, 9, 11, 3, 6, 5];
  const image = uniform(rand, B * H * W * C);
  const coords = uniform(rand, B * Ho * Wo * 2, -2, 12);
  const wOut = uniform(rand, B * Ho * Wo * C);
  const N = 40;
  const D = 4;
  const X = uniform(rand, B * N * 3, -50, 50);
  const r = uniform(rand, B * 3, -1, 1);
  const t = uniform(rand, B * 2, 50, 100);
  const logS = uniform(rand, B, -1, 0);
  const alpha = uniform(rand, B * D);
  const basis = uniform(rand, D * 3 * N);
  const theta = uniform(rand, B * 6);
  return tf.tidy(() => {
    const out: Record<string, Float32Array> = {};
    const img = tf.tensor4d(f32(image), [B, H, W, C]);
    const xy = tf.tensor4d(f32(coords), [B, Ho, Wo, 2]);
    const w = tf.tensor4d(f32(wOut), [B, Ho, Wo, C]);
    for (const padding of ['zeros', 'border'] as const) {
      for (const [name, f] of [
        ['kernel', gridSample],
        ['composed', (a: tf.Tensor4D, b: tf.Tensor4D) => gridSampleComposed(a, b, padding)],
      ] as const) {
        const sample = (a: tf.Tensor, b: tf.Tensor) =>
          f(a as tf.Tensor4D, b as tf.Tensor4D, { padding });
        out[`gridSample ${name} ${padding}`] = sample(img, xy).dataSync() as Float32Array;
        const [dImage, dCoords] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(sample(a, b), w)),
        )([img, xy]);
        out[`gridSample ${name} ${padding} dImage`] = dImage.dataSync() as Float32Array;
        out[`gridSample ${name} ${padding} dCoords`] = dCoords.dataSync() as Float32Array;
      }
    }
    const Xt = tf.tensor3d(f32(X), [B, N, 3]);
    const rt = tf.tensor2d(f32(r), [B, 3]);
    const tt = tf.tensor2d(f32(t), [B, 2]);
    const lt = tf.tensor2d(f32(logS), [B, 1]);
    out.projectVertices = projectVertices(Xt, rt, tt, lt).dataSync() as Float32Array;
    const gp = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(projectVertices(a as tf.Tensor3D, b as tf.Tensor2D, tt, lt))),
    )([Xt, rt]);
    out['projectVertices dX'] = gp[0].dataSync() as Float32Array;
    for (const [name, rot, rotate] of [
      ['kernel', axisAngleToRotation, rotateVertices],
      ['composed', axisAngleToRotationComposed, rotateVerticesComposed],
    ] as const) {
      out[`axisAngleToRotation ${name}`] = rot(rt).dataSync() as Float32Array;
      out[`axisAngleToRotation ${name} dr`] = tf
        .grad((a: tf.Tensor) =>
          tf.sum(tf.mul(rot(a as tf.Tensor2D), tf.range(0, B * 9).reshape([B, 3, 3]))),
        )(rt)
        .dataSync() as Float32Array;
      const R = rot(rt);
      out[`rotateVertices ${name}`] = rotate(Xt, R).dataSync() as Float32Array;
      const gr = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(rotate(a as tf.Tensor3D, b as tf.Tensor3D))),
      )([Xt, R]);
      out[`rotateVertices ${name} dX`] = gr[0].dataSync() as Float32Array;
      out[`rotateVertices ${name} dR`] = gr[1].dataSync() as Float32Array;
    }
    out['projectVertices composed'] = projectVerticesComposed(
      Xt,
      rt,
      tt,
      lt,
    ).dataSync() as Float32Array;
    out['projectVertices dr'] = gp[1].dataSync() as Float32Array;
    out.morphShape = morphShape(
      tf.tensor2d(f32(alpha), [B, D]),
      tf.tensor2d(f32(X.subarray(0, N * 3)), [N, 3]),
      tf.tensor2d(f32(basis), [D, 3 * N]),
    ).dataSync() as Float32Array;
    out.affineGrid = affineGrid(tf.tensor3d(f32(theta), [B, 2, 3]), [B, Ho, Wo], {
      inputSize: [H, W],
    }).dataSync() as Float32Array;
    out.reference = Float32Array.from(gridSample64(image, coords, [B, H, W, C], [Ho, Wo]));
    return out;
  });
}

describe('cpu and wasm agree', () => {
  it('on every op, forward and gradients, kernel and composed gridSample', async () => {
    await selectBackend({ backend: 'cpu' });
    const cpu = runAll();
    const info = await selectBackend({ backend: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    expect(info.name).toBe('wasm');
    const wasm = runAll();
    for (const key of Object.keys(cpu)) {
      const scale = Math.max(1, ...Array.from(cpu[key], Math.abs));
      expect(maxAbsDiff(wasm[key], cpu[key]) / scale, key).toBeLessThan(1e-6);
    }
    // And both agree with the float64 reference.
    expect(maxAbsDiff(wasm['gridSample kernel zeros'], cpu.reference)).toBeLessThan(1e-5);
  });

  it('no tensor growth over 100 gridSample forward + backward calls on wasm', async () => {
    await selectBackend({ backend: 'wasm' });
    const image = tf.randomUniform([2, 16, 16, 3]) as tf.Tensor4D;
    const coords = tf.randomUniform([2, 30, 1, 2], -2, 18) as tf.Tensor4D;
    const step = () =>
      tf.dispose(
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(gridSample(a as tf.Tensor4D, b as tf.Tensor4D)),
        )([image, coords]),
      );
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([image, coords]);
  });
});

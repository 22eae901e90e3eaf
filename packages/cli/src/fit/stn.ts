/**
 * The STN forward pass for one face with the stn-layer ops: θ → grid vertices in pixels →
 * bilinear UV sample, visibility mask, landmarks.
 *
 * Convention (DESIGN.md): θ = [r0 r1 r2, tx ty, log s, α…], pixels of the image θ refers to
 * (x right, y down, pixel centres at integers); UV grid row 0 at the top of the face.
 */
import type { GridModel } from '@3dmm-stn/morphable-model';
import {
  axisAngleToRotation,
  gridSample,
  morphShape,
  projectVertices,
  rotateVertices,
  splitTheta,
  visibilityMask,
} from '@3dmm-stn/stn-layer';
import * as tf from '@tensorflow/tfjs';

/** The GridModel's arrays as tensors; `dispose()` frees them. */
export interface GridTensors {
  grid: GridModel;
  /** [res², 3] */
  mean: tf.Tensor2D;
  /** [D, 3·res²] */
  basis: tf.Tensor2D;
  /** [L, 3] */
  landmarkMean: tf.Tensor2D;
  /** [D, 3L] */
  landmarkBasis: tf.Tensor2D;
  dispose(): void;
}

export function gridTensors(grid: GridModel): GridTensors {
  const np = grid.res * grid.res;
  const L = grid.landmarkIds.length;
  const D = grid.numModes;
  const t = {
    grid,
    mean: tf.tensor2d(grid.mean, [np, 3]),
    basis: tf.tensor2d(grid.basis, [D, 3 * np]),
    landmarkMean: tf.tensor2d(grid.landmarkMean, [L, 3]),
    landmarkBasis: tf.tensor2d(grid.landmarkBasis, [D, 3 * L]),
    dispose() {
      tf.dispose([t.mean, t.basis, t.landmarkMean, t.landmarkBasis]);
    },
  };
  return t;
}

/** [1, L, 2] pixel positions of the grid model's landmark rows. */
export function projectLandmarks(theta: tf.Tensor2D, g: GridTensors): tf.Tensor3D {
  return tf.tidy(() => {
    const { r, t, logS, alpha } = splitTheta(theta);
    return projectVertices(morphShape(alpha, g.landmarkMean, g.landmarkBasis), r, t, logS);
  });
}

/** Grid vertices: pixels [1, res², 2] and rotated model-space positions [1, res², 3]. */
export function projectGrid(
  theta: tf.Tensor2D,
  g: GridTensors,
): { pixels: tf.Tensor3D; rotated: tf.Tensor3D } {
  return tf.tidy(() => {
    const { r, t, logS, alpha } = splitTheta(theta);
    const X = morphShape(alpha, g.mean, g.basis);
    return {
      pixels: projectVertices(X, r, t, logS),
      rotated: rotateVertices(X, axisAngleToRotation(r)),
    };
  });
}

/** UV image [1, res, res, C] sampled from `image` [1, H, W, C] at the grid's pixel positions. */
export function sampleUv(image: tf.Tensor4D, pixels: tf.Tensor3D, res: number): tf.Tensor4D {
  return tf.tidy(() => gridSample(image, tf.reshape(pixels, [1, res, res, 2]) as tf.Tensor4D));
}

/** Visibility mask [1, res, res, 1] (valid ∧ facing the camera). */
export function maskFor(rotated: tf.Tensor3D, grid: GridModel): tf.Tensor4D {
  return visibilityMask(rotated, grid);
}

/** Everything the outputs of one face need, on the CPU. */
export interface StnForward {
  /** [res, res, 3] float 0…255 (unmasked; 0 outside the image). */
  uv: Float32Array;
  /** [res, res] 0/1 */
  mask: Float32Array;
  /** [res², 2] pixel (x, y) of every grid point. */
  pixels: Float32Array;
  /** [res², 3] morphed model-space vertices (mm), before the rotation. */
  vertices: Float32Array;
  /** [L, 2] landmark pixels. */
  landmarks: Float32Array;
}

/** θ [6 + D] on `image` [1, H, W, 3] → UV, mask, vertex pixels, vertices, landmarks. */
export function stnForward(
  theta: ArrayLike<number>,
  image: tf.Tensor4D,
  g: GridTensors,
): StnForward {
  const res = g.grid.res;
  const out = tf.tidy(() => {
    const th = tf.tensor2d(Array.from(theta), [1, theta.length]);
    const { pixels, rotated } = projectGrid(th, g);
    const { alpha } = splitTheta(th);
    return {
      uv: sampleUv(image, pixels, res),
      mask: maskFor(rotated, g.grid),
      pixels,
      vertices: morphShape(alpha, g.mean, g.basis),
      landmarks: projectLandmarks(th, g),
    };
  });
  const result: StnForward = {
    uv: out.uv.dataSync() as Float32Array,
    mask: out.mask.dataSync() as Float32Array,
    pixels: out.pixels.dataSync() as Float32Array,
    vertices: out.vertices.dataSync() as Float32Array,
    landmarks: out.landmarks.dataSync() as Float32Array,
  };
  tf.dispose(Object.values(out));
  return result;
}

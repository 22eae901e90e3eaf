import * as tf from '@tensorflow/tfjs-core';
import { assertShape, ShapeError } from '@3dmm-stn/morphable-model';
import { facingCameraData, type TopologyTensors, vertexNormalZ } from './normals';
import { unoccludedVertices } from './occlusion';
import { buildVisibilityTopology, type VisibilityGrid } from './topology';

/** How visibility is decided. */
export type VisibilityMethod = 'normals' | 'zbuffer';
export const VISIBILITY_METHODS: readonly VisibilityMethod[] = ['normals', 'zbuffer'];

export interface VisibilityMaskOptions {
  /**
   * - `'normals'` (default): a vertex is visible when its angle-weighted normal faces the camera
   *   (n_z ≥ 0), as in the paper. Pure tfjs (gathers), stays on the backend's device.
   * - `'zbuffer'`: additionally, no part of the mesh may lie in front of it (exact depth test
   *   of the projected mesh on the CPU: downloads the vertices, several times slower).
   * @default 'normals'
   */
  method?: VisibilityMethod;
  /**
   * Where to compute (see {@link VisibilityImplementation}); the result is the same.
   * @default 'auto'
   */
  implementation?: VisibilityImplementation;
}

export function checkVisibilityMethod(op: string, method: unknown): VisibilityMethod {
  if (!VISIBILITY_METHODS.includes(method as VisibilityMethod)) {
    throw new ShapeError(
      `Error in ${op}: visibility method must be one of ${VISIBILITY_METHODS.map((m) => `'${m}'`).join(', ')}, but got ${JSON.stringify(method)}.`,
    );
  }
  return method as VisibilityMethod;
}

/** Topology tensors plus the validity mask, and a way to get them on the CPU for the depth test. */
export interface MaskTopology extends TopologyTensors {
  /** [N] float32 0/1. */
  valid: tf.Tensor1D;
  /** CPU copies of triangles [F,3] and valid [N] (only called for `'zbuffer'`). */
  cpu: () => { triangles: Int32Array; valid: ArrayLike<number> };
}

/**
 * Where the mask is computed: `'tensor'` with tfjs ops (stays on the device: webgl, webgpu),
 * `'host'` on typed arrays after a download (cpu and wasm keep tensors in host memory, so the
 * download is a copy and one loop beats a dozen gathers and slices). `'auto'` picks `'host'`
 * on the cpu and wasm backends. Both give the same mask up to float rounding where n_z ≈ 0.
 */
export type VisibilityImplementation = 'auto' | 'tensor' | 'host';

const IMPLEMENTATIONS: readonly VisibilityImplementation[] = ['auto', 'tensor', 'host'];
const HOST_MEMORY_BACKENDS = ['cpu', 'wasm'];

/** True on backends whose tensors live in host memory (cpu, wasm): downloads are copies. */
export const onHostMemoryBackend = (): boolean => HOST_MEMORY_BACKENDS.includes(tf.getBackend());

/**
 * `uv · mask` for uv [B, H, W, C] and a 0/1 mask [B, H, W, 1] that carries no gradient. On cpu
 * and wasm the mask is repeated over the channels on the host first: their broadcasting
 * multiply is many times slower than an elementwise one (cpu: ~250 ms vs a few ms at
 * B = 8, 112² × 3). The gradient w.r.t. uv is `dy · mask` either way.
 */
export function applyMask(uv: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  const c = uv.shape[3];
  if (c === 1 || !onHostMemoryBackend()) return tf.mul(uv, mask);
  return applyMaskData(uv, mask.dataSync() as Float32Array);
}

/** `uv · mask` with the 0/1 mask [B·H·W] given as host data (cpu, wasm); no gradient to it. */
export function applyMaskData(uv: tf.Tensor4D, m: Float32Array): tf.Tensor4D {
  const c = uv.shape[3];
  const rep = new Float32Array(m.length * c);
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) rep.fill(m[i], i * c, (i + 1) * c);
  return tf.mul(uv, tf.tensor4d(rep, uv.shape));
}

/**
 * The mask on typed arrays: `xrot` [B, N, 3] rotated vertices → [B·N] float 0/1 (valid, facing
 * the camera and, for `'zbuffer'`, not occluded).
 */
export function maskData(
  xrot: Float32Array,
  b: number,
  n: number,
  triangles: Int32Array,
  valid: ArrayLike<number>,
  method: VisibilityMethod,
): Float32Array {
  const open = method === 'zbuffer' ? unoccludedVertices(xrot, b, triangles, valid) : null;
  const facing = facingCameraData(xrot, b, n, triangles);
  const m = new Float32Array(b * n);
  // Nested loops instead of `valid[i % n]`: no modulo per point.
  for (let bb = 0, i = 0; bb < b; bb++) {
    for (let v = 0; v < n; v++, i++) m[i] = facing[i] && valid[v] && (!open || open[i]) ? 1 : 0;
  }
  return m;
}

/**
 * The visibility mask from prepared topology tensors (what the layer calls with its weights).
 * No gradient flows through the mask (see {@link visibilityMask}).
 * @param xrot [B, res², 3]
 * @returns [B, res, res, 1] float32 0/1.
 */
export function maskFromTopology(
  xrot: tf.Tensor3D,
  topo: MaskTopology,
  res: number,
  method: VisibilityMethod,
  implementation: VisibilityImplementation = 'auto',
): tf.Tensor4D {
  const host = implementation === 'host' || (implementation === 'auto' && onHostMemoryBackend());
  if (host) {
    // Built from downloaded values, the mask is a constant: nothing connects it to the tape.
    const [b, n] = xrot.shape;
    const { triangles, valid } = topo.cpu();
    const m = maskData(xrot.dataSync() as Float32Array, b, n, triangles, valid, method);
    return tf.tensor4d(m, [b, res, res, 1]);
  }
  // On the device: one tape node whose gradient is zero, so backprop skips the ops inside.
  const noGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor3D;
    const [b, n] = x.shape;
    const value = tf.tidy(() => {
      let m = tf.mul(tf.cast(tf.greaterEqual(vertexNormalZ(x, topo), 0), 'float32'), topo.valid);
      if (method === 'zbuffer') {
        const { triangles, valid } = topo.cpu();
        const open = unoccludedVertices(x.dataSync() as Float32Array, b, triangles, valid);
        m = tf.mul(m, tf.tensor2d(open, [b, n]));
      }
      return tf.reshape(m, [b, res, res, 1]) as tf.Tensor4D;
    });
    return { value, gradFunc: () => tf.zerosLike(x) };
  });
  return noGrad(xrot) as tf.Tensor4D;
}

/**
 * Visibility of every UV-grid point of a batch of posed meshes.
 *
 * Convention: `Xrot` is in model space after the rotation R(r) (millimetres, y up, z towards the
 * camera); the camera looks along −z, so a point faces the camera when its normal has n_z ≥ 0.
 * Triangles are counter-clockwise seen from +z on the unrotated mesh (outward normals towards the
 * viewer). Grid point (i, j) is vertex `i*res + j` and lands at mask pixel (i, j). Points that
 * `grid.valid` marks invalid are always 0.
 *
 * Not differentiable by design: no gradient reaches `Xrot` through the mask (`'tensor'`: a tape
 * node whose gradient is zero; `'host'`: a constant built from downloaded values, not on the tape).
 * Use it beside a differentiable path (as the layer does), not as the only path to a variable.
 *
 * @param Xrot [B, res², 3] rotated grid vertices.
 * @param grid res, triangles [F, 3], valid [res²] (e.g. a GridModel).
 * @returns [B, res, res, 1] float32 0/1.
 */
export function visibilityMask(
  Xrot: tf.Tensor3D,
  grid: VisibilityGrid,
  options: VisibilityMaskOptions = {},
): tf.Tensor4D {
  const method = checkVisibilityMethod('visibilityMask', options.method ?? 'normals');
  const implementation = options.implementation ?? 'auto';
  if (!IMPLEMENTATIONS.includes(implementation)) {
    throw new ShapeError(
      `Error in visibilityMask: implementation must be one of ${IMPLEMENTATIONS.map((m) => `'${m}'`).join(', ')}, but got ${JSON.stringify(implementation)}.`,
    );
  }
  const topo = buildVisibilityTopology(grid, 'visibilityMask');
  assertShape('visibilityMask', 'Xrot', Xrot.shape, ['B', topo.numVertices, 3]);
  const tensors = {
    triangles: tf.tensor2d(topo.triangles, [topo.numTriangles, 3], 'int32'),
    vertexCorners: tf.tensor2d(topo.vertexCorners, [topo.numVertices, topo.maxCorners], 'int32'),
    valid: tf.tensor1d(topo.valid),
  };
  try {
    return maskFromTopology(
      Xrot,
      { ...tensors, cpu: () => topo },
      grid.res,
      method,
      implementation,
    );
  } finally {
    tf.dispose([tensors.triangles, tensors.vertexCorners, tensors.valid]);
  }
}

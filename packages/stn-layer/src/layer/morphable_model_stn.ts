import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import { initializers, type LayerVariable, layers, type Shape } from '@tensorflow/tfjs-layers';
import { assertShape, type GridModel, ShapeError } from '@3dmm-stn/morphable-model';
import { axisAngleToRotation } from '../ops/axis_angle_to_rotation';
import { type GridSamplePadding, gridSample, gridSampleMasked } from '../ops/grid_sample';
import { type JsKernelBackend, memoryOf } from '../ops/kernel_memory';
import { morphOffsets, morphProject } from '../ops/morph_project';
import { rotateMorphedHost } from '../ops/project_vertices_impl';
import { rotateVertices } from '../ops/rotate_vertices';
import { buildVisibilityTopology } from '../visibility/topology';
import {
  applyMask,
  checkVisibilityMethod,
  maskData,
  maskFromTopology,
  onHostMemoryBackend,
  type VisibilityMethod,
} from '../visibility/visibility_mask';

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

/**
 * What the layer can output, in the order asked for:
 * - `'maskedUv'` [B, res, res, C]: `uv · mask`.
 * - `'uv'` [B, res, res, C]: the image sampled at every grid vertex (bilinear), unmasked.
 * - `'mask'` [B, res, res, 1]: float 0/1, valid ∧ visible (no gradient).
 * - `'landmarks'` [B, L, 2]: pixel (x, y) of the GridModel's landmark rows (original model vertices).
 * - `'vertices'` [B, res, res, 2]: pixel (x, y) of every grid vertex (the sampling grid).
 */
export type STNOutput = 'uv' | 'mask' | 'landmarks' | 'maskedUv' | 'vertices';

export const STN_OUTPUTS: readonly STNOutput[] = [
  'maskedUv',
  'uv',
  'mask',
  'landmarks',
  'vertices',
];
export const DEFAULT_STN_OUTPUTS: readonly STNOutput[] = ['maskedUv', 'mask', 'landmarks'];
const PADDINGS: readonly GridSamplePadding[] = ['zeros', 'border'];

export interface MorphableModelSTNLayerArgs extends LayerArgs {
  /**
   * The model on its UV grid (`resampleToGrid`). Its arrays become the layer's non-trainable
   * weights. Required when creating a layer; `fromConfig` rebuilds without it from the sizes
   * below, and the weights are then loaded from the saved model.
   */
  gridModel?: GridModel;
  /**
   * Which outputs, in order. One output → `apply`/`call` return a tensor, several → an array.
   * @default ['maskedUv', 'mask', 'landmarks']
   */
  outputs?: STNOutput[];
  /**
   * What the sampler reads outside the image: `'zeros'` or `'border'` (repeat the edge pixels).
   * @default 'zeros'
   */
  padding?: GridSamplePadding;
  /**
   * `'normals'`: angle-weighted vertex normal faces the camera (the paper; on-device gathers).
   * `'zbuffer'`: also not hidden behind another part of the mesh (exact CPU depth test, slower).
   * @default 'normals'
   */
  visibility?: VisibilityMethod;
  /** Grid side. Serialization only: taken from `gridModel` when given. */
  res?: number;
  /** D, the number of modes. Serialization only. */
  numModes?: number;
  /** Identity modes among the D (the rest are expression). Serialization only. */
  numShapeModes?: number;
  /** F, triangles of the grid mesh. Serialization only. */
  numTriangles?: number;
  /** K, the most triangle corners at one grid point. Serialization only. */
  maxCorners?: number;
  /** [L] 1-based ibug ids of the landmark rows. Serialization only. */
  landmarkIds?: number[];
  /**
   * [D − numShapeModes] names of the expression modes (e.g. ARKit blendshapes), when the grid
   * names them. Serialization only: taken from `gridModel.expressionNames` when given. Saved with
   * the layer so that a loaded network says which blendshapes its θ holds.
   */
  expressionNames?: string[];
  /**
   * The same names as saved in a config: lowercase hex of their UTF-8, one per line. tfjs's
   * config (de)serialisation camel-cases string values (`browDown_L` came back `browDownL`);
   * hex digits pass through unchanged. Serialization only.
   */
  expressionNamesHex?: string;
}

interface Sizes {
  res: number;
  numModes: number;
  numShapeModes: number;
  numTriangles: number;
  maxCorners: number;
  landmarkIds: number[];
}

/** Values for the weights, in `WEIGHT_SPECS` order, from a GridModel. */
type WeightValues = Record<string, Float32Array | Int32Array>;

const NAME = 'MorphableModelSTN';

/**
 * The 3DMM spatial transformer (Bas et al., ICCV-W 2017) as a tfjs-layers layer.
 *
 * Inputs `[image, theta]`:
 * - image [B, H, W, C] float32, NHWC, any value range;
 * - theta [B, 6 + D] = `[r0 r1 r2, tx ty, log s, α0 … αD-1]`: r axis-angle (radians), t pixels,
 *   s pixels per model unit (mm), α shape coefficients (~ N(0, I)).
 *
 * For each grid point: X = mean + basis·α, X' = R(r)X, p = s·[x', −y'] + t in pixels (x right,
 * y down, pixel (row i, col j) centred at (j, i)); the image is sampled bilinearly at p, and the
 * visibility mask zeros grid points that are invalid or face away from the camera. Grid point
 * (i, j) — row 0 at the top of the face, mirror (i, res−1−j) — is output pixel (i, j).
 *
 * The GridModel (mean, basis, landmark rows, triangles, validity) is stored in non-trainable
 * weights, so `model.save()` carries it and `loadLayersModel` restores an identical layer.
 * Gradients flow to theta and to the image (not through the mask).
 */
export class MorphableModelSTN extends layers.Layer {
  /** @nocollapse */
  static className = NAME;
  readonly res: number;
  readonly numModes: number;
  readonly numShapeModes: number;
  readonly numTriangles: number;
  readonly maxCorners: number;
  readonly landmarkIds: readonly number[];
  /** Names of the expression modes, if the grid named them. */
  readonly expressionNames: readonly string[] | undefined;
  readonly outputNames: readonly STNOutput[];
  readonly padding: GridSamplePadding;
  readonly visibility: VisibilityMethod;

  private pending: WeightValues | null;
  private vars: Record<string, LayerVariable> = {};
  private xrotScratch = new Float32Array(0);
  private basisTCache: { id: object; value: tf.Tensor2D } | null = null;
  private hostCache: {
    ids: object[];
    values: { mean: Float32Array; triangles: Int32Array; valid: Float32Array };
  } | null = null;

  constructor(args: MorphableModelSTNLayerArgs) {
    super(args);
    const { gridModel, outputs, padding, visibility } = args;
    const outs = outputs ?? [...DEFAULT_STN_OUTPUTS];
    if (!Array.isArray(outs) || outs.length === 0) {
      throw new ShapeError(
        `Error in ${NAME}: outputs must be a non-empty array of ${list(STN_OUTPUTS)}.`,
      );
    }
    for (const o of outs) {
      if (!STN_OUTPUTS.includes(o)) {
        throw new ShapeError(
          `Error in ${NAME}: outputs must be among ${list(STN_OUTPUTS)}, but got '${String(o)}'.`,
        );
      }
    }
    if (new Set(outs).size !== outs.length) {
      throw new ShapeError(
        `Error in ${NAME}: outputs must not repeat, but got [${outs.join(', ')}].`,
      );
    }
    this.outputNames = [...outs];
    this.padding = padding ?? 'zeros';
    if (!PADDINGS.includes(this.padding)) {
      throw new ShapeError(
        `Error in ${NAME}: padding must be one of ${list(PADDINGS)}, but got '${String(padding)}'.`,
      );
    }
    this.visibility = checkVisibilityMethod(NAME, visibility ?? 'normals');
    let sizes: Sizes;
    if (gridModel) {
      const prepared = prepareGridModel(gridModel);
      sizes = prepared.sizes;
      this.pending = prepared.values;
    } else {
      sizes = sizesFromArgs(args);
      this.pending = null;
    }
    this.res = sizes.res;
    this.numModes = sizes.numModes;
    this.numShapeModes = sizes.numShapeModes;
    this.numTriangles = sizes.numTriangles;
    this.maxCorners = sizes.maxCorners;
    this.landmarkIds = sizes.landmarkIds;
    const names = gridModel
      ? gridModel.expressionNames
      : (args.expressionNames ??
        (typeof args.expressionNamesHex === 'string'
          ? fromHex(args.expressionNamesHex)
          : undefined));
    if (names !== undefined) {
      if (
        !Array.isArray(names) ||
        names.length !== this.numModes - this.numShapeModes ||
        !names.every((n) => typeof n === 'string')
      ) {
        throw new ShapeError(
          `Error in ${NAME}: expressionNames must be ${this.numModes - this.numShapeModes} strings (numModes − numShapeModes), but got ${JSON.stringify(names)}.`,
        );
      }
      this.expressionNames = [...names];
    } else {
      this.expressionNames = undefined;
    }
  }

  /** N = res², grid points. */
  get numVertices(): number {
    return this.res * this.res;
  }

  /** L, landmark rows. */
  get numLandmarks(): number {
    return this.landmarkIds.length;
  }

  override build(inputShape: Shape | Shape[]): void {
    this.checkInputShapes(inputShape);
    const zeros = initializers.zeros();
    for (const [name, shape, dtype] of this.weightSpecs()) {
      this.vars[name] = this.addWeight(name, shape, dtype, zeros, undefined, false);
    }
    if (this.pending) {
      const values = this.pending;
      this.pending = null;
      tf.tidy(() => {
        for (const [name, shape, dtype] of this.weightSpecs()) {
          this.vars[name].write(tf.tensor(values[name], shape, dtype));
        }
      });
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const [image] = this.checkInputShapes(inputShape);
    const b = image[0];
    const r = this.res;
    const shapes = this.outputNames.map((o): Shape => {
      switch (o) {
        case 'uv':
        case 'maskedUv':
          return [b, r, r, image[3]];
        case 'mask':
          return [b, r, r, 1];
        case 'landmarks':
          return [b, this.numLandmarks, 2];
        default:
          return [b, r, r, 2]; // 'vertices'
      }
    });
    return shapes.length === 1 ? shapes[0] : shapes;
  }

  override call(
    inputs: tf.Tensor | tf.Tensor[],
    _kwargs: Record<string, unknown>,
  ): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2) {
        throw new ShapeError(
          `Error in ${NAME}: inputs must be [image, theta], but got ${describe(inputs)}.`,
        );
      }
      const [image, theta] = inputs as [tf.Tensor4D, tf.Tensor2D];
      const bound = assertShape(NAME, 'image', image.shape, ['B', 'H', 'W', 'C']);
      assertShape(NAME, 'theta', theta.shape, ['B', 6 + this.numModes], bound);
      const b = image.shape[0];
      const r = this.res;
      const n = r * r;
      const want = new Set(this.outputNames);
      const v = (name: string) => this.vars[name].read() as tf.Tensor2D;
      const d = this.numModes;
      // θ = [pose (6) | α (D)]: two slices; the pose goes to the projection kernels whole.
      const pose = tf.slice(theta, [0, 0], [b, 6]) as tf.Tensor2D;
      const alpha = tf.slice(theta, [0, 6], [b, d]) as tf.Tensor2D;
      const needGrid = want.has('uv') || want.has('maskedUv') || want.has('vertices');
      const needMask = want.has('mask') || want.has('maskedUv');
      // α·basis as one matMul; the mean is added inside the projection (no broadcast add).
      const offsets =
        needGrid || needMask
          ? (tf.reshape(morphOffsets(alpha, v('basis'), this.basisT()), [b, n, 3]) as tf.Tensor3D)
          : null;
      const vertices =
        needGrid && offsets
          ? (tf.reshape(morphProject(offsets, v('mean'), pose), [b, r, r, 2]) as tf.Tensor4D)
          : null;
      let uvTensor: tf.Tensor4D | null = null;
      const uv = () => {
        uvTensor ??= gridSample(image, vertices as tf.Tensor4D, { padding: this.padding });
        return uvTensor;
      };
      let mask: tf.Tensor4D | null = null;
      let maskValues: Float32Array | null = null;
      if (needMask && offsets) {
        if (onHostMemoryBackend()) {
          // Host memory: rotate on typed arrays and build the mask there (a constant).
          const host = this.hostTopology();
          // Scratch reused across calls; the offsets are read in place (no download copy).
          if (this.xrotScratch.length !== b * n * 3) this.xrotScratch = new Float32Array(b * n * 3);
          const xrot = this.xrotScratch;
          const kind = tf.getBackend() as JsKernelBackend;
          rotateMorphedHost(
            memoryOf(kind, tf.backend()).read(offsets),
            host.mean,
            theta.dataSync(),
            6 + d,
            xrot,
            b,
            n,
          );
          maskValues = maskData(xrot, b, n, host.triangles, host.valid, this.visibility);
          mask = tf.tensor4d(maskValues, [b, r, r, 1]);
        } else {
          const x = tf.add(offsets, tf.expandDims(v('mean'), 0)) as tf.Tensor3D;
          const rot = tf.slice(theta, [0, 0], [b, 3]) as tf.Tensor2D;
          const xrot = rotateVertices(x, axisAngleToRotation(rot));
          mask = maskFromTopology(
            xrot,
            {
              triangles: v('triangles'),
              vertexCorners: v('vertex_corners'),
              valid: this.vars.valid.read() as tf.Tensor1D,
              cpu: () => this.hostTopology(),
            },
            r,
            this.visibility,
            'tensor',
          );
        }
      }
      const result = this.outputNames.map((o): tf.Tensor => {
        switch (o) {
          case 'uv':
            return uv();
          case 'maskedUv':
            // Host mask: the sampler applies it in the same pass and skips masked points.
            return maskValues
              ? gridSampleMasked(
                  image,
                  vertices as tf.Tensor4D,
                  tf.reshape(mask as tf.Tensor4D, [b, r, r]) as tf.Tensor3D,
                  this.padding,
                )
              : applyMask(uv(), mask as tf.Tensor4D);
          case 'mask':
            return mask as tf.Tensor;
          case 'vertices':
            return vertices as tf.Tensor;
          default: {
            // 'landmarks'
            const l = this.numLandmarks;
            const xl = tf.reshape(tf.matMul(alpha, v('landmark_basis')), [b, l, 3]);
            return morphProject(xl as tf.Tensor3D, v('landmark_mean'), pose);
          }
        }
      });
      return result.length === 1 ? result[0] : result;
    });
  }

  override getConfig(): serialization.ConfigDict {
    const config: serialization.ConfigDict = {
      outputs: [...this.outputNames],
      padding: this.padding,
      visibility: this.visibility,
      res: this.res,
      numModes: this.numModes,
      numShapeModes: this.numShapeModes,
      numTriangles: this.numTriangles,
      maxCorners: this.maxCorners,
      landmarkIds: [...this.landmarkIds],
    };
    if (this.expressionNames) config.expressionNamesHex = toHex(this.expressionNames);
    return { ...super.getConfig(), ...config };
  }

  /**
   * Host copies of the arrays the host visibility pass reads (mean, triangles, valid), cached
   * per weight value: re-read only after the weights are written (load, setWeights).
   */
  private hostTopology(): {
    mean: Float32Array;
    triangles: Int32Array;
    valid: Float32Array;
  } {
    const ids = ['mean', 'triangles', 'valid'].map((name) => this.vars[name].read().dataId);
    const c = this.hostCache;
    if (c?.ids.every((id, i) => id === ids[i])) return c.values;
    const values = {
      mean: this.vars.mean.read().dataSync() as Float32Array,
      triangles: this.vars.triangles.read().dataSync() as Int32Array,
      valid: this.vars.valid.read().dataSync() as Float32Array,
    };
    this.hostCache = { ids, values };
    return values;
  }

  /** basisᵀ [3N, D] for the α gradient, cached per basis value (see `morphOffsets`). */
  private basisT(): tf.Tensor2D {
    const basis = this.vars.basis.read();
    const c = this.basisTCache;
    if (c && c.id === basis.dataId && !c.value.isDisposed) return c.value;
    c?.value.dispose();
    const value = tf.keep(tf.transpose(basis) as tf.Tensor2D);
    this.basisTCache = { id: basis.dataId, value };
    return value;
  }

  override dispose(): ReturnType<layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      this.basisTCache?.value.dispose();
      this.basisTCache = null;
    }
    return result;
  }

  /** [name, shape, dtype] of every weight, in weight order. */
  private weightSpecs(): [string, number[], 'float32' | 'int32'][] {
    const n = this.numVertices;
    const d = this.numModes;
    const l = this.numLandmarks;
    return [
      ['mean', [n, 3], 'float32'],
      ['basis', [d, 3 * n], 'float32'],
      ['landmark_mean', [l, 3], 'float32'],
      ['landmark_basis', [d, 3 * l], 'float32'],
      ['valid', [n], 'float32'],
      ['triangles', [this.numTriangles, 3], 'int32'],
      ['vertex_corners', [n, this.maxCorners], 'int32'],
    ];
  }

  /** Checks `[image, theta]` shapes (batch may be null) and returns them. */
  private checkInputShapes(inputShape: Shape | Shape[]): [Shape, Shape] {
    const shapes = inputShape as Shape[];
    if (!Array.isArray(shapes) || shapes.length !== 2 || !shapes.every((s) => Array.isArray(s))) {
      throw new ShapeError(
        `Error in ${NAME}: expects two inputs [image [B,H,W,C], theta [B,6+D]], but got input shape ${JSON.stringify(inputShape)}.`,
      );
    }
    const [image, theta] = shapes;
    const show = (s: Shape) => `[${s.map((x) => x ?? 'null').join(',')}]`;
    if (image.length !== 4) {
      throw new ShapeError(
        `Error in ${NAME}: image must have shape [B,H,W,C], but got ${show(image)}.`,
      );
    }
    const p = 6 + this.numModes;
    if (theta.length !== 2 || (theta[1] !== null && theta[1] !== p)) {
      throw new ShapeError(
        `Error in ${NAME}: theta must have shape [B,${p}] (6 + D, D = ${this.numModes}), but got ${show(theta)}.`,
      );
    }
    if (image[0] !== null && theta[0] !== null && image[0] !== theta[0]) {
      throw new ShapeError(
        `Error in ${NAME}: image and theta batch sizes differ: ${show(image)} vs ${show(theta)}.`,
      );
    }
    return [image, theta];
  }
}

/**
 * Registers {@link MorphableModelSTN} with tfjs serialization (idempotent) and returns the class.
 * Importing the package already registers it (`register_layers.ts`); call this before
 * `tf.loadLayersModel` where a bundler could have dropped that module.
 */
export function registerMorphableModelSTN(): typeof MorphableModelSTN {
  serialization.registerClass(MorphableModelSTN);
  return MorphableModelSTN;
}

/**
 * Creates a {@link MorphableModelSTN} layer (the lower-case factory, as `tf.layers.upSampling2d`).
 *
 *   const [uv, mask, landmarks] = morphableModelSTN({ gridModel }).apply([image, theta]);
 */
export function morphableModelSTN(args: MorphableModelSTNLayerArgs): MorphableModelSTN {
  return new MorphableModelSTN(args);
}

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

function describe(inputs: unknown): string {
  if (Array.isArray(inputs)) return `${inputs.length} tensors`;
  const shape = (inputs as { shape?: number[] })?.shape;
  return shape ? `one tensor of shape [${shape.join(',')}]` : String(inputs);
}

/** Checks a GridModel's arrays against its sizes and returns the sizes and weight values. */
function prepareGridModel(g: GridModel): { sizes: Sizes; values: WeightValues } {
  const field = (name: string, got: number, want: number, layout: string) => {
    if (got !== want) {
      throw new ShapeError(
        `Error in ${NAME}: gridModel.${name} must be ${layout} (${want} values), but has ${got}.`,
      );
    }
  };
  if (!Number.isInteger(g.res) || g.res < 2) {
    throw new ShapeError(
      `Error in ${NAME}: gridModel.res must be an integer ≥ 2, but got ${g.res}.`,
    );
  }
  const n = g.res * g.res;
  const d = g.numModes;
  if (!Number.isInteger(d) || d < 0) {
    throw new ShapeError(
      `Error in ${NAME}: gridModel.numModes must be an integer ≥ 0, but got ${d}.`,
    );
  }
  if (!Number.isInteger(g.numShapeModes) || g.numShapeModes < 0 || g.numShapeModes > d) {
    throw new ShapeError(
      `Error in ${NAME}: gridModel.numShapeModes must be an integer in [0, numModes = ${d}], but got ${g.numShapeModes}.`,
    );
  }
  const l = g.landmarkIds.length;
  field('mean', g.mean.length, 3 * n, `[res², 3] = [${n}, 3]`);
  field('basis', g.basis.length, d * 3 * n, `[D, res², 3] = [${d}, ${n}, 3]`);
  field(
    'landmarkMean',
    g.landmarkMean.length,
    3 * l,
    `[L, 3] = [${l}, 3] (L = landmarkIds.length)`,
  );
  field('landmarkBasis', g.landmarkBasis.length, d * 3 * l, `[D, L, 3] = [${d}, ${l}, 3]`);
  const topo = buildVisibilityTopology(g, NAME);
  return {
    sizes: {
      res: g.res,
      numModes: d,
      numShapeModes: g.numShapeModes,
      numTriangles: topo.numTriangles,
      maxCorners: topo.maxCorners,
      landmarkIds: Array.from(g.landmarkIds),
    },
    values: {
      mean: g.mean,
      basis: g.basis,
      landmark_mean: g.landmarkMean,
      landmark_basis: g.landmarkBasis,
      valid: topo.valid,
      triangles: topo.triangles,
      vertex_corners: topo.vertexCorners,
    },
  };
}

/** Names → lowercase hex of their UTF-8 joined by newlines (survives tfjs's config casing). */
function toHex(names: readonly string[]): string {
  return Array.from(new TextEncoder().encode(names.join('\n')), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/** The inverse of `toHex`; undefined for anything that is not such a string. */
function fromHex(hex: string): string[] | undefined {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes.length ? new TextDecoder().decode(bytes).split('\n') : [];
}

/** Sizes from a restored config (no GridModel): all must be present and sane. */
function sizesFromArgs(args: MorphableModelSTNLayerArgs): Sizes {
  const need = (key: keyof MorphableModelSTNLayerArgs, min: number): number => {
    const v = args[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new ShapeError(
        `Error in ${NAME}: args.gridModel is required (a GridModel from resampleToGrid); ` +
          `without it (restoring from a config) args.${key} must be an integer ≥ ${min}, but got ${JSON.stringify(v)}.`,
      );
    }
    return v;
  };
  const ids = args.landmarkIds;
  if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) {
    throw new ShapeError(
      `Error in ${NAME}: args.gridModel is required; without it args.landmarkIds must be an integer array, but got ${JSON.stringify(ids)}.`,
    );
  }
  const numModes = need('numModes', 0);
  const numShapeModes = need('numShapeModes', 0);
  if (numShapeModes > numModes) {
    throw new ShapeError(
      `Error in ${NAME}: numShapeModes (${numShapeModes}) exceeds numModes (${numModes}).`,
    );
  }
  return {
    res: need('res', 2),
    numModes,
    numShapeModes,
    numTriangles: need('numTriangles', 0),
    maxCorners: need('maxCorners', 1),
    landmarkIds: [...ids],
  };
}

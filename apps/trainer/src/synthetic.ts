import { type MorphableModel, render } from '@3dmm-stn/morphable-model';
import type { Batch } from './folder_dataset';
import { matrixFromEuler, matrixToAxisAngle } from './rotation';
import { Rng } from './rng';
import type { FaceSample } from './sample';
import { proceduralBackground, proceduralTexture, type Texture } from './texture';

/**
 * Synthetic faces (the default training data): the morphable model rendered with random
 * identity α ~ N(0, I), expression α ~ N(0, σ²I), pose (yaw/pitch/roll uniform within the
 * ranges), scale and translation jitter, a procedural texture per identity, a random background
 * and light, at the localiser's input size. Each sample carries its 68 landmarks with
 * visibility, its true θ = [r, t, log s, α] and its identity.
 *
 * Reproducible: identity k of split 'train' is drawn from Rng.derive(seed, 'identity', 'train', k),
 * view v of pair i at step n from Rng.derive(seed, 'view', n, i, v), so any batch can be
 * regenerated from (seed, step) alone. Validation identities come from another stream.
 */

export interface SyntheticOptions {
  inputSize: number;
  shapeModes: number;
  expressionModes: number;
  identities: number;
  yaw: number;
  pitch: number;
  roll: number;
  faceFill: number;
  scaleJitter: number;
  translateJitter: number;
  expressionScale: number;
  textureSize: number;
  seed: number;
  batchSize: number;
  pairs: boolean;
  /**
   * Where the mean face's landmark box centre sits at zero pose, as fractions of the crop side
   * ([x, y]); null puts the model origin at the centre. Set it to match a detector's crops.
   */
  landmarkCentre?: readonly [number, number] | null;
}

/**
 * Real appearance for synthetic faces (optional; procedural otherwise): UV textures that `fit`
 * extracted from photos, and background squares cut from photos away from every face.
 */
export interface SyntheticAssets {
  /** Renderer-convention UV textures (see texture.ts), holes filled. */
  textures: Texture[];
  /** [S, S, 3] uint8 background squares at the input size. */
  backgrounds: Uint8Array[];
}

interface Identity {
  id: string;
  alphaShape: Float32Array;
  texture: Texture;
}

/** Width (x extent, model units) of the mean face's defined landmarks, or of the whole mean. */
export function meanFaceWidth(model: MorphableModel): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < 68; k++) {
    const v = model.landmarks[k];
    if (v < 0) continue;
    lo = Math.min(lo, model.mean[3 * v]);
    hi = Math.max(hi, model.mean[3 * v]);
  }
  if (!(hi > lo)) {
    for (let i = 0; i < model.numVertices; i++) {
      lo = Math.min(lo, model.mean[3 * i]);
      hi = Math.max(hi, model.mean[3 * i]);
    }
  }
  return hi - lo;
}

/** Model (x, y) of the centre of the mean face's defined landmarks' bounding box. */
export function meanLandmarkCentre(model: MorphableModel): [number, number] {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let k = 0; k < 68; k++) {
    const v = model.landmarks[k];
    if (v < 0) continue;
    x0 = Math.min(x0, model.mean[3 * v]);
    x1 = Math.max(x1, model.mean[3 * v]);
    y0 = Math.min(y0, model.mean[3 * v + 1]);
    y1 = Math.max(y1, model.mean[3 * v + 1]);
  }
  return Number.isFinite(x0) ? [(x0 + x1) / 2, (y0 + y1) / 2] : [0, 0];
}

/** A background square as float RGB, mirrored left–right when `flip`. */
function photoBackground(square: Uint8Array, S: number, flip: boolean): Float32Array {
  const out = new Float32Array(S * S * 3);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const src = 3 * (y * S + (flip ? S - 1 - x : x));
      const dst = 3 * (y * S + x);
      out[dst] = square[src];
      out[dst + 1] = square[src + 1];
      out[dst + 2] = square[src + 2];
    }
  return out;
}

export interface ViewOverrides {
  /** Axis-angle r to render at, instead of the sampled yaw/pitch/roll. */
  rotation?: ArrayLike<number>;
  /** Paint the mesh's holes (open eyes, mouth) dark instead of showing the background. */
  fillHoles?: boolean;
}

/** ibug rings (0-based): the two eyes (37–42, 43–48) and the inner lips (61–68). */
const HOLE_RINGS = [
  [36, 41],
  [42, 47],
  [60, 67],
] as const;
/** Eye holes: a dark iris-and-lashes grey; the mouth: a dark red. */
const HOLE_COLOURS = [
  [58, 48, 44],
  [58, 48, 44],
  [70, 28, 30],
] as const;

function insideRing(lm: ArrayLike<number>, ring: readonly [number, number], x: number, y: number) {
  let inside = false;
  for (let a = ring[0], b = ring[1]; a <= ring[1]; b = a, a++) {
    const [xa, ya, xb, yb] = [lm[2 * a], lm[2 * a + 1], lm[2 * b], lm[2 * b + 1]];
    if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
  }
  return inside;
}

/**
 * Some meshes (the ICT Face Model) leave the eyes and the mouth open: rendered, the background
 * shows through them. This paints, in place, every background pixel (`faceId` < 0) that lies
 * inside an eye's or the inner lips' landmark ring (grown by 2 px) and has mesh on its left, right,
 * above and below (an enclosed hole, not the outside of the silhouette), with a dark eye or mouth
 * colour.
 */
export function fillMeshHoles(
  image: Float32Array,
  faceId: Int32Array,
  landmarks: ArrayLike<number>,
  width: number,
  height: number,
): void {
  for (const [h, ring] of HOLE_RINGS.entries()) {
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    let cx = 0;
    let cy = 0;
    for (let k = ring[0]; k <= ring[1]; k++) {
      const [x, y] = [landmarks[2 * k], landmarks[2 * k + 1]];
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
      cx += x / (ring[1] - ring[0] + 1);
      cy += y / (ring[1] - ring[0] + 1);
    }
    // The ring grown by 2 px about its centre (the hole's rim lies just outside the landmarks).
    const grown = new Float64Array(2 * (ring[1] + 1));
    for (let k = ring[0]; k <= ring[1]; k++) {
      const [dx, dy] = [landmarks[2 * k] - cx, landmarks[2 * k + 1] - cy];
      const d = Math.hypot(dx, dy) || 1;
      grown[2 * k] = landmarks[2 * k] + (2 * dx) / d;
      grown[2 * k + 1] = landmarks[2 * k + 1] + (2 * dy) / d;
    }
    const reach = Math.ceil(Math.max(x1 - x0, y1 - y0)) + 4;
    const covered = (x: number, y: number) =>
      x >= 0 && x < width && y >= 0 && y < height && faceId[y * width + x] >= 0;
    const enclosed = (x: number, y: number) =>
      [
        [1, 0],
        [-1, 0],
        [0, 1],
        [0, -1],
      ].every(([dx, dy]) => {
        for (let s = 1; s <= reach; s++) if (covered(x + s * dx, y + s * dy)) return true;
        return false;
      });
    for (let y = Math.max(0, Math.floor(y0 - 3)); y <= Math.min(height - 1, y1 + 3); y++)
      for (let x = Math.max(0, Math.floor(x0 - 3)); x <= Math.min(width - 1, x1 + 3); x++) {
        const p = y * width + x;
        if (faceId[p] >= 0 || !insideRing(grown, ring, x, y) || !enclosed(x, y)) continue;
        for (let c = 0; c < 3; c++) image[3 * p + c] = HOLE_COLOURS[h][c];
      }
  }
}

export class SyntheticFaces {
  /** Scale (px per model unit) at which the mean face spans `faceFill` of the crop. */
  readonly baseLogScale: number;
  /** Model x extent used for the scale (landmark span). */
  readonly faceWidth: number;

  /** Model-space (x, y) of the mean face's landmark box centre. */
  private readonly landmarkMid: [number, number];

  constructor(
    readonly model: MorphableModel,
    readonly options: SyntheticOptions,
    readonly assets: SyntheticAssets | null = null,
  ) {
    if (!model.texCoords)
      throw new Error('SyntheticFaces: the model needs texture coordinates (a UV embedding)');
    const avail = model.shape.numModes;
    const availE = model.expression?.numModes ?? 0;
    if (options.shapeModes > avail || options.expressionModes > availE) {
      throw new Error(
        `SyntheticFaces: asked for ${options.shapeModes} identity + ${options.expressionModes} expression modes, the model has ${avail} + ${availE}`,
      );
    }
    this.faceWidth = meanFaceWidth(model);
    this.baseLogScale = Math.log((options.faceFill * options.inputSize) / this.faceWidth);
    this.landmarkMid = meanLandmarkCentre(model);
    if (assets) {
      const S = options.inputSize;
      if (assets.textures.length === 0 && assets.backgrounds.length === 0)
        throw new Error('SyntheticFaces: assets given without any texture or background');
      for (const [i, b] of assets.backgrounds.entries())
        if (b.length !== S * S * 3)
          throw new RangeError(
            `SyntheticFaces: background ${i} must be [${S}, ${S}, 3] (${S * S * 3} values), got ${b.length}`,
          );
    }
  }

  get numModes(): number {
    return this.options.shapeModes + this.options.expressionModes;
  }

  identity(split: string, k: number): Identity {
    const rng = Rng.derive(this.options.seed, 'identity', split, k);
    const alphaShape = new Float32Array(this.options.shapeModes);
    for (let i = 0; i < alphaShape.length; i++) alphaShape[i] = rng.normal();
    const real = this.assets?.textures ?? [];
    const texture = real.length
      ? real[rng.int(real.length)]
      : proceduralTexture(this.model, this.options.textureSize, rng);
    return { id: `${split}:${k}`, alphaShape, texture };
  }

  /**
   * Render one view of `who` with the view randomness of `rng`. `overrides.rotation` (axis-angle
   * r), when given, replaces the sampled yaw/pitch/roll (the random stream is drawn the same
   * either way): the large-pose test set chooses its poses itself. `overrides.fillHoles` paints
   * the mesh's open eyes and mouth (see {@link fillMeshHoles}) instead of showing the background
   * through them.
   */
  view(who: Identity, rng: Rng, source: string, overrides: ViewOverrides = {}): FaceSample {
    const rotation = overrides.rotation;
    const o = this.options;
    const S = o.inputSize;
    const D = this.numModes;
    const alpha = new Float32Array(D);
    alpha.set(who.alphaShape);
    // PCA expressions ~ N(0, scale²); blendshape weights (a bounded range, e.g. ARKit's [0, 1])
    // as |N(0, scale²)| clipped into the range: mostly small, sometimes strong, never outside.
    const range = this.model.expression?.range;
    for (let i = o.shapeModes; i < D; i++) {
      const x = o.expressionScale * rng.normal();
      alpha[i] = range ? Math.min(range[1], Math.max(range[0], Math.abs(x))) : x;
    }
    const deg = Math.PI / 180;
    const yaw = rng.range(-o.yaw, o.yaw) * deg;
    const pitch = rng.range(-o.pitch, o.pitch) * deg;
    const roll = rng.range(-o.roll, o.roll) * deg;
    const r = rotation
      ? [rotation[0], rotation[1], rotation[2]]
      : matrixToAxisAngle(matrixFromEuler(yaw, pitch, roll));
    const logS = this.baseLogScale + rng.range(-o.scaleJitter, o.scaleJitter);
    // The landmark box centre of the mean face at zero pose, or the model origin, at the anchor.
    const s0 = Math.exp(this.baseLogScale);
    const anchor = o.landmarkCentre
      ? [
          o.landmarkCentre[0] * S - s0 * this.landmarkMid[0],
          o.landmarkCentre[1] * S + s0 * this.landmarkMid[1],
        ]
      : [(S - 1) / 2, (S - 1) / 2];
    const t = [
      anchor[0] + rng.range(-1, 1) * o.translateJitter * S,
      anchor[1] + rng.range(-1, 1) * o.translateJitter * S,
    ];
    const photos = this.assets?.backgrounds ?? [];
    const background = photos.length
      ? photoBackground(photos[rng.int(photos.length)], S, rng.uniform() < 0.5)
      : proceduralBackground(S, rng);
    const light = {
      direction: [rng.range(-0.6, 0.6), rng.range(-0.3, 0.6), 1] as [number, number, number],
      ambient: rng.range(0.45, 0.8),
    };
    const out = render(this.model, alpha, { r, t, logS }, who.texture, S, S, {
      numShapeModes: o.shapeModes,
      numExpressionModes: o.expressionModes,
      background: { data: background, width: S, height: S, channels: 3 },
      light,
    });
    const image = out.image instanceof Float32Array ? out.image : Float32Array.from(out.image);
    if (overrides.fillHoles) fillMeshHoles(image, out.faceId, out.landmarks, S, S);
    const confidence = new Float32Array(68);
    for (let i = 0; i < 68; i++) confidence[i] = Number.isFinite(out.landmarks[2 * i]) ? 1 : 0;
    const theta = new Float32Array(6 + D);
    theta.set(r, 0);
    theta[3] = t[0];
    theta[4] = t[1];
    theta[5] = logS;
    theta.set(alpha, 6);
    return {
      image,
      size: S,
      landmarks: Float32Array.from(out.landmarks),
      confidence,
      visible: Uint8Array.from(out.landmarkVisible),
      identity: who.id,
      theta,
      source,
    };
  }

  /** The training batch of `step`: P identities × 2 views ([A…, B…]) or B single views. */
  loadStep(step: number): Batch {
    const o = this.options;
    const pairs = o.pairs && o.batchSize >= 2;
    const P = pairs ? Math.floor(o.batchSize / 2) : o.batchSize;
    const a: FaceSample[] = [];
    const b: FaceSample[] = [];
    for (let i = 0; i < P; i++) {
      const k = Rng.derive(o.seed, 'train-identity', step, i).int(o.identities);
      const who = this.identity('train', k);
      a.push(
        this.view(
          who,
          Rng.derive(o.seed, 'view', step, i, 0),
          `synthetic:train:${k}:${step}.${i}.0`,
        ),
      );
      if (pairs)
        b.push(
          this.view(
            who,
            Rng.derive(o.seed, 'view', step, i, 1),
            `synthetic:train:${k}:${step}.${i}.1`,
          ),
        );
    }
    return { step, samples: [...a, ...b], pairs: pairs ? P : 0 };
  }

  /** Infinite batches from `startStep` (wrap in `prefetch`). */
  async *batches(startStep: number): AsyncGenerator<Batch> {
    for (let step = startStep; ; step++) {
      yield this.loadStep(step);
      // Let the consumer run between renders (the generator is CPU-bound).
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Validation: `n` samples as pairs of held-out identities, [A₀…A_{n/2−1}, B₀…B_{n/2−1}], or
   * `views` views each of `identities` identities for the per-identity mean UV image.
   */
  validation(n: number): FaceSample[] {
    const P = Math.max(1, Math.floor(n / 2));
    const a: FaceSample[] = [];
    const b: FaceSample[] = [];
    for (let i = 0; i < P; i++) {
      const who = this.identity('val', i);
      a.push(
        this.view(who, Rng.derive(this.options.seed, 'val-view', i, 0), `synthetic:val:${i}:0`),
      );
      b.push(
        this.view(who, Rng.derive(this.options.seed, 'val-view', i, 1), `synthetic:val:${i}:1`),
      );
    }
    return [...a, ...b];
  }

  /** `views` views of each of `identities` held-out identities (for mean UV images). */
  identityViews(identities: number, views: number): FaceSample[][] {
    const out: FaceSample[][] = [];
    for (let i = 0; i < identities; i++) {
      const who = this.identity('val-mean', i);
      out.push(
        Array.from({ length: views }, (_, v) =>
          this.view(
            who,
            Rng.derive(this.options.seed, 'val-mean-view', i, v),
            `synthetic:val-mean:${i}:${v}`,
          ),
        ),
      );
    }
    return out;
  }
}

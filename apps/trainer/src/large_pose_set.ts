/**
 * A large-pose test set you can see: the default model rendered by the synthetic generator
 * (`SyntheticFaces`: random identity and expression, fit textures over photo squares when given,
 * procedural ones otherwise) at |yaw| spread over 0–90° in both directions, pitch and roll small,
 * written as AFLW2000-3D does it — `NNNN.jpg` beside `NNNN.mat` holding `pt3d_68` and
 * `Pose_Para` — so that `3dmm-stn eval --labels` scores it with the 3DDFA protocol.
 *
 * Poses are drawn in `Pose_Para`'s own convention (pitch, yaw, roll of AFLW2000-3D / 3DDFA, see
 * morphable-model's `matrixFromPosePara`) and converted to θ's axis-angle r through the project's
 * one conversion, so the stored yaw is exactly the yaw that buckets the face: face i falls in
 * bucket i mod 3 ([0, 30), [30, 60), [60, 90)), uniform inside it, the sign alternating every
 * three faces.
 *
 * `pt3d_68` (3 × 68, column-major): x + 1, y + 1 (MATLAB's 1-based pixels) of the true
 * projection p = s·[x′, −y′] + t of the model's 68 landmark vertices (identity and expression
 * applied), and z = s·z′ (pixels, larger = nearer the camera). Every point is written, occluded or
 * not, as AFLW2000-3D's 3D-consistent labels are. `Pose_Para` (1 × 7): pitch, yaw, roll
 * (radians), tx = t_x + 1, ty = H − t_y (AFLW2000-3D's y-up image frame: y₁ = H + 1 − (s·y′ +
 * ty)), tz = 0, and the scale s in pixels per model millimetre.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  axisAngleFromRotation,
  defaultModel,
  encodeMat,
  type MorphableModel,
  matrixFromPosePara,
  morphRows,
  poseParaFromAxisAngle,
  projectScaledOrthographic,
  rotationFromAxisAngle,
} from '@3dmm-stn/morphable-model';
import sharp from 'sharp';
import { readManifest } from './folder_dataset';
import { loadRealAssets } from './real_assets';
import { Rng } from './rng';
import { type SyntheticAssets, SyntheticFaces } from './synthetic';

export interface LargePoseSetOptions {
  /** Output folder (created). */
  out: string;
  /** Number of faces. Default 60. */
  count?: number;
  /** Everything is a function of the seed. Default 1. */
  seed?: number;
  /** Image side in pixels. Default 288. */
  size?: number;
  /** Landmark span of the mean face at zero pose, as a fraction of the image side. Default 0.5. */
  faceFill?: number;
  /** Largest |yaw| (degrees). Default 90 (buckets of a third each). */
  maxYaw?: number;
  /** Pitch and roll uniform in ±these (degrees). Default 10 and 10. */
  pitch?: number;
  roll?: number;
  /** Identity and expression modes used (prefixes); default all the model has. */
  shapeModes?: number;
  expressionModes?: number;
  /** Expression strength (blendshape weights |N(0, σ²)| clipped to their range). Default 0.3. */
  expressionScale?: number;
  /** Real appearance (`loadLargePoseAssets`); null = procedural textures and backgrounds. */
  assets?: SyntheticAssets | null;
  /** Default: the embedded default model. */
  model?: MorphableModel;
  /** JPEG quality. Default 92. */
  quality?: number;
}

/** One face of the set, as also written to `faces.json`. */
export interface LargePoseFace {
  /** `NNNN` (the `.jpg` and `.mat` stem). */
  name: string;
  /** `Pose_Para` angles in degrees (AFLW2000-3D's convention). */
  pose: { pitch: number; yaw: number; roll: number };
  /** The true θ = [r0 r1 r2, tx ty, log s, α…] (identity then expression modes). */
  theta: number[];
  numShapeModes: number;
  numExpressionModes: number;
}

export interface LargePoseSet {
  dir: string;
  size: number;
  appearance: 'real' | 'procedural';
  faces: LargePoseFace[];
}

const DEG = Math.PI / 180;

/**
 * Real appearance from a `3dmm-stn pseudo-label --textures` folder (or its `manifest.json`): the
 * fit textures it names and background squares cut from its photos away from every face.
 */
export async function loadLargePoseAssets(
  manifestOrDir: string,
  options: { size?: number; textureSize?: number; seed?: number } = {},
): Promise<SyntheticAssets> {
  const file = manifestOrDir.endsWith('.json')
    ? manifestOrDir
    : join(manifestOrDir, 'manifest.json');
  const entries = await readManifest(file, { identity: 'none' });
  const { textures, backgrounds } = await loadRealAssets(entries, {
    inputSize: options.size ?? 288,
    textureSize: options.textureSize ?? 128,
    textures: true,
    backgrounds: true,
    seed: options.seed ?? 1,
  });
  return { textures, backgrounds };
}

/** Model-space positions [68, 3] of the landmark vertices of α (NaN where the model has none). */
export function landmarkPositions(
  model: MorphableModel,
  alpha: ArrayLike<number>,
  numShapeModes: number,
  numExpressionModes: number,
): Float64Array {
  const shape = morphRows(model.mean, model.shape.basis, alpha, { modes: numShapeModes });
  if (numExpressionModes > 0 && model.expression)
    morphRows(shape, model.expression.basis, alpha, {
      offset: numShapeModes,
      modes: numExpressionModes,
      out: shape,
    });
  const X = new Float64Array(68 * 3).fill(Number.NaN);
  for (let k = 0; k < 68; k++) {
    const v = model.landmarks[k];
    if (v < 0) continue;
    for (let c = 0; c < 3; c++) X[3 * k + c] = shape[3 * v + c];
  }
  return X;
}

/**
 * The AFLW2000-3D label of a face of θ in an image of height H: `pt3d_68` (3 × 68, column-major,
 * 1-based x, y; z = s·z′) and `Pose_Para` (1 × 7). See the module comment.
 */
export function aflwLabel(
  X: Float64Array,
  theta: ArrayLike<number>,
  height: number,
): { pt3d68: Float64Array; posePara: Float64Array } {
  const r = [theta[0], theta[1], theta[2]];
  const t = [theta[3], theta[4]];
  const s = Math.exp(theta[5]);
  const p = projectScaledOrthographic(X, r, t, theta[5]);
  const R = rotationFromAxisAngle(r);
  const pt3d68 = new Float64Array(3 * 68);
  for (let k = 0; k < 68; k++) {
    pt3d68[3 * k] = p[2 * k] + 1;
    pt3d68[3 * k + 1] = p[2 * k + 1] + 1;
    pt3d68[3 * k + 2] = s * (R[6] * X[3 * k] + R[7] * X[3 * k + 1] + R[8] * X[3 * k + 2]);
  }
  const pp = poseParaFromAxisAngle(r);
  const posePara = Float64Array.of(pp.pitch, pp.yaw, pp.roll, t[0] + 1, height - t[1], 0, s);
  return { pt3d68, posePara };
}

/** The `Pose_Para` angles (radians) of face `i` of a set: bucket i mod 3, sign every 3 faces. */
export function largePoseAngles(
  i: number,
  rng: Rng,
  maxYaw = 90,
  pitch = 10,
  roll = 10,
): { pitch: number; yaw: number; roll: number } {
  const third = maxYaw / 3;
  const mag = third * ((i % 3) + rng.uniform());
  const sign = Math.floor(i / 3) % 2 === 0 ? 1 : -1;
  return {
    yaw: sign * Math.min(mag, maxYaw - 1e-6) * DEG,
    pitch: rng.range(-pitch, pitch) * DEG,
    roll: rng.range(-roll, roll) * DEG,
  };
}

/** Writes the set (see the module comment) and `faces.json` (every face's pose and θ). */
export async function writeLargePoseSet(options: LargePoseSetOptions): Promise<LargePoseSet> {
  const model = options.model ?? defaultModel();
  const count = options.count ?? 60;
  const seed = options.seed ?? 1;
  const S = options.size ?? 288;
  const shapeModes = options.shapeModes ?? model.shape.numModes;
  const expressionModes = options.expressionModes ?? model.expression?.numModes ?? 0;
  if (!(Number.isInteger(count) && count >= 1))
    throw new RangeError(`writeLargePoseSet: count must be a positive integer, got ${count}`);
  const gen = new SyntheticFaces(
    model,
    {
      inputSize: S,
      shapeModes,
      expressionModes,
      identities: count,
      yaw: 0,
      pitch: 0,
      roll: 0,
      faceFill: options.faceFill ?? 0.5,
      scaleJitter: 0.08,
      translateJitter: 0.03,
      expressionScale: options.expressionScale ?? 0.3,
      textureSize: 128,
      seed,
      batchSize: 1,
      pairs: false,
      landmarkCentre: [0.5, 0.55],
    },
    options.assets ?? null,
  );
  const dir = resolve(options.out);
  await mkdir(dir, { recursive: true });
  const faces: LargePoseFace[] = [];
  const width = String(Math.max(4, String(count).length));
  for (let i = 0; i < count; i++) {
    const name = String(i + 1).padStart(Number(width), '0');
    const angles = largePoseAngles(
      i,
      Rng.derive(seed, 'large-pose', i),
      options.maxYaw ?? 90,
      options.pitch ?? 10,
      options.roll ?? 10,
    );
    const r = axisAngleFromRotation(matrixFromPosePara(angles.pitch, angles.yaw, angles.roll));
    const who = gen.identity('large-pose', i);
    const sample = gen.view(who, Rng.derive(seed, 'large-pose-view', i), `large-pose:${name}`, {
      rotation: r,
      fillHoles: true,
    });
    const theta = sample.theta;
    if (!theta) throw new Error('writeLargePoseSet: the synthetic sample carries no θ');
    const X = landmarkPositions(model, theta.subarray(6), shapeModes, expressionModes);
    const { pt3d68, posePara } = aflwLabel(X, theta, S);
    const rgb = new Uint8Array(sample.image.length);
    for (let k = 0; k < rgb.length; k++)
      rgb[k] = Math.max(0, Math.min(255, Math.round(sample.image[k])));
    const jpg = await sharp(rgb, { raw: { width: S, height: S, channels: 3 } })
      .jpeg({ quality: options.quality ?? 92 })
      .toBuffer();
    await writeFile(join(dir, `${name}.jpg`), jpg);
    await writeFile(
      join(dir, `${name}.mat`),
      encodeMat({
        pt3d_68: { dims: [3, 68], data: pt3d68 },
        Pose_Para: { dims: [1, 7], data: posePara },
      }),
    );
    faces.push({
      name,
      pose: {
        pitch: posePara[0] / DEG,
        yaw: posePara[1] / DEG,
        roll: posePara[2] / DEG,
      },
      theta: Array.from(theta),
      numShapeModes: shapeModes,
      numExpressionModes: expressionModes,
    });
  }
  const set: LargePoseSet = {
    dir,
    size: S,
    appearance: options.assets ? 'real' : 'procedural',
    faces,
  };
  await writeFile(join(dir, 'faces.json'), `${JSON.stringify(set, null, 1)}\n`);
  return set;
}

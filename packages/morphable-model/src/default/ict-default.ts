/**
 * The embedded default model: the ICT Face Model Light (ICT-FaceKit, MIT licence), narrow face
 * area, built by `scripts/build-default-model.ts` into `ict-face-data.ts` and decoded here.
 */
import type { MorphableModel } from '../types';
import { base64ToBytes, decodeEmbedded, dequantiseModes } from './embedded-codec';
import { ICT_FACE_DATA } from './ict-face-data';

/** The MIT notice the model's licence requires to be kept with it. */
export const ICT_LICENCE =
  'ICT Face Model (ICT-FaceKit, github.com/ICT-VGL/ICT-FaceKit), MIT licence, ' +
  'Copyright (c) 2020 USC Institute for Creative Technologies. Permission is hereby granted, free ' +
  'of charge, to any person obtaining a copy… (the full notice: ICT-FACEKIT-LICENSE in @3dmm-stn/morphable-model).';

let decoded: ReturnType<typeof decodeEmbedded> | undefined;

/**
 * The default model: the ICT Face Model Light, a statistical model from light-stage scans.
 *
 * | field | value |
 * |---|---|
 * | mesh | the release's narrow face area: 6,706 vertices, 13,120 triangles (6,560 quads split); a disc with 3 holes (eyes, mouth) |
 * | mean | the neutral face, mm, y up, z towards the camera, x to the subject's left; origin at the centroid of the 68 landmarks (y, z) |
 * | shape | the first 40 PCA identity modes, 1 SD each (α ~ N(0, I); `variance` 1) |
 * | expression | the 53 ARKit-named blendshapes (`names`), weights in [0, 1] (`range`) |
 * | landmarks | all 68 ibug points (the release's vertex ids) |
 * | contour | the release's extended left/right jawlines (17 candidates each) |
 * | symmetry | the mirror map (computed on the mesh, an involution) |
 * | texCoords | its symmetric mean-value Tutte embedding onto the unit square (0 folds) |
 *
 * Bases are stored int8 per mode (error ≤ 0.03 mm identity, ≤ 0.15 mm expression). Decoded
 * once (≈ 1.1 MB deflated), then copied on each call: callers may mutate the arrays they get.
 */
export function defaultModel(): MorphableModel {
  decoded ??= decodeEmbedded(base64ToBytes(ICT_FACE_DATA));
  const { info, sections: s } = decoded;
  const N = (s.mean as Float32Array).length / 3;
  const K = (s.identityScale as Float32Array).length;
  const names = info.expressions as string[];
  const contour = info.contour as { right: number[]; left: number[] };
  return {
    numVertices: N,
    mean: Float32Array.from(s.mean as Float32Array),
    shape: {
      numModes: K,
      basis: dequantiseModes(s.identity as Int8Array, s.identityScale as Float32Array),
      variance: new Float32Array(K).fill(1),
    },
    expression: {
      numModes: names.length,
      basis: dequantiseModes(s.expression as Int8Array, s.expressionScale as Float32Array),
      names: [...names],
      range: [0, 1],
    },
    triangles: Uint32Array.from(s.triangles as Uint16Array),
    texCoords: Float32Array.from(s.texCoords as Float32Array),
    landmarks: Int32Array.from(info.landmarks as number[]),
    symmetry: Int32Array.from(s.symmetry as Uint16Array),
    contour: { right: Int32Array.from(contour.right), left: Int32Array.from(contour.left) },
    metadata: {
      name: info.name as string,
      source: 'default',
      format: 'ict-embedded',
      licence: ICT_LICENCE,
      extra: {
        region: info.region,
        centredBy: info.centredBy,
        uvEmbedding: 'symmetric mean-value Tutte (precomputed)',
        quantisation: 'int8 per mode',
      },
    },
  };
}

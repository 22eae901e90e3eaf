/**
 * Decoding of the embedded default model (`ict-face-data.ts`), shared by the synchronous
 * `defaultModel()` and the on-demand `loadDefaultModel()`: one decoded copy per process.
 */
import type { MorphableModel } from '../types';
import { base64ToBytes, decodeEmbedded, dequantiseModes } from './embedded-codec';

/** The MIT notice the model's licence requires to be kept with it. */
export const ICT_LICENCE =
  'ICT Face Model (ICT-FaceKit, github.com/ICT-VGL/ICT-FaceKit), MIT licence, ' +
  'Copyright (c) 2020 USC Institute for Creative Technologies. Permission is hereby granted, free ' +
  'of charge, to any person obtaining a copy… (the full notice: ICT-FACEKIT-LICENSE in @3dmm-stn/morphable-model).';

let decoded: ReturnType<typeof decodeEmbedded> | undefined;

/** The model from the embedded data string (decoded once; arrays copied on every call). */
export function ictModelFromData(data: string): MorphableModel {
  decoded ??= decodeEmbedded(base64ToBytes(data));
  return modelFromDecoded(decoded);
}

/** A fresh MorphableModel (copied arrays) from the decoded container. */
function modelFromDecoded(d: ReturnType<typeof decodeEmbedded>): MorphableModel {
  const { info, sections: s } = d;
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

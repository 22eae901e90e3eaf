import * as tf from '@tensorflow/tfjs';
import type { Batch } from './folder_dataset';
import { flipImage, flipLandmarks, flipPerLandmark } from '@3dmm-stn/datasets';
import type { FaceSample } from './sample';

/** A horizontally flipped copy of a sample (image mirrored, landmarks permuted; θ dropped). */
export function flipSample(s: FaceSample): FaceSample {
  return {
    image: flipImage(s.image, s.size, s.size, 3),
    size: s.size,
    landmarks: flipLandmarks(s.landmarks, s.size),
    confidence: flipPerLandmark(s.confidence),
    visible: flipPerLandmark(s.visible),
    identity: s.identity === null ? null : `${s.identity}:flipped`,
    source: `${s.source} (flipped)`,
  };
}

/**
 * Order a batch for the network, doubling it with flips when asked (as the original): pairs
 * [A…, B…] become [A…, flip(A)…, B…, flip(B)…] so that the first half still pairs with the
 * second; plain batches become [S…, flip(S)…].
 */
export function arrangeBatch(
  batch: Batch,
  flip: boolean,
): { samples: FaceSample[]; pairs: number } {
  if (!flip) return { samples: batch.samples, pairs: batch.pairs };
  const P = batch.pairs;
  if (P > 0) {
    const A = batch.samples.slice(0, P);
    const B = batch.samples.slice(P, 2 * P);
    return { samples: [...A, ...A.map(flipSample), ...B, ...B.map(flipSample)], pairs: 2 * P };
  }
  return { samples: [...batch.samples, ...batch.samples.map(flipSample)], pairs: 0 };
}

export interface BatchTensors {
  /** [B, S, S, 3] RGB 0..255 */
  images: tf.Tensor4D;
  /** [B, L, 2] target landmarks in the grid model's landmark order (0 where undefined). */
  target: tf.Tensor3D;
  /** [B, L] 1 where defined. */
  confidence: tf.Tensor2D;
}

/**
 * Pack samples into tensors. `ids` are the grid model's landmark ibug ids (1-based): the STN's
 * landmark outputs come in that order. Undefined target points get 0 with confidence 0, so no
 * NaN ever enters a tensor.
 */
export function batchTensors(samples: FaceSample[], ids: ArrayLike<number>): BatchTensors {
  const B = samples.length;
  const S = samples[0].size;
  const L = ids.length;
  const img = new Float32Array(B * S * S * 3);
  const tgt = new Float32Array(B * L * 2);
  const conf = new Float32Array(B * L);
  samples.forEach((s, b) => {
    img.set(s.image, b * S * S * 3);
    for (let k = 0; k < L; k++) {
      const i = ids[k] - 1;
      const x = s.landmarks[2 * i];
      const y = s.landmarks[2 * i + 1];
      const ok = s.confidence[i] > 0 && Number.isFinite(x) && Number.isFinite(y);
      tgt[(b * L + k) * 2] = ok ? x : 0;
      tgt[(b * L + k) * 2 + 1] = ok ? y : 0;
      conf[b * L + k] = ok ? s.confidence[i] : 0;
    }
  });
  return {
    images: tf.tensor4d(img, [B, S, S, 3]),
    target: tf.tensor3d(tgt, [B, L, 2]),
    confidence: tf.tensor2d(conf, [B, L]),
  };
}

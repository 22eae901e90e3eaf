import type { GridModel } from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { batchTensors } from './batch_tensors';
import { finiteMean, landmarkNme, poseError, shapeError, uvConsistency } from '@3dmm-stn/datasets';
import type { FaceSample } from './sample';

/** Validation metrics (see metrics.ts for the definitions). NaN where not applicable. */
export interface EvalMetrics {
  /** Mean landmark NME by outer-eye-corner distance. */
  nme: number;
  /** Mean landmark NME by √(w·h) of the landmark box. */
  nmeBox: number;
  /** Mean absolute pose errors, degrees (synthetic only). */
  yaw: number;
  pitch: number;
  roll: number;
  /** Mean RMS shape error, model units (mm) (synthetic only). */
  shape: number;
  /** Multi-view UV consistency: mean |Δ| over jointly visible UV pixels of pairs (0..255). */
  uvDiff: number;
  /** Fraction of UV pixels visible in both views of a pair. */
  uvOverlap: number;
  samples: number;
}

/** Network outputs of one sample, as plain arrays (for reports). */
export interface Prediction {
  theta: Float32Array; // [6+D]
  uv: Float32Array; // [R, R, 3]
  mask: Float32Array; // [R, R]
  landmarks: Float32Array; // [L, 2]
}

/**
 * Run `model` (outputs θ, maskedUv, mask, landmarks) over `samples` in chunks and compute the
 * metrics. `pairs`: the first P samples pair with the next P (multi-view consistency).
 */
export async function evaluate(
  model: tf.LayersModel,
  grid: GridModel,
  samples: FaceSample[],
  options: { pairs?: number; chunk?: number } = {},
): Promise<{ metrics: EvalMetrics; predictions: Prediction[] }> {
  const chunk = options.chunk ?? 16;
  const R = grid.res;
  const ids = grid.landmarkIds;
  const L = ids.length;
  const preds: Prediction[] = [];
  for (let i = 0; i < samples.length; i += chunk) {
    const part = samples.slice(i, i + chunk);
    const t = batchTensors(part, ids);
    const outs = model.predict(t.images) as tf.Tensor[];
    const [theta, uv, mask, lms] = await Promise.all(
      outs.map((o) => o.data() as Promise<Float32Array>),
    );
    tf.dispose([t.images, t.target, t.confidence, ...outs]);
    const T = theta.length / part.length;
    part.forEach((_, b) => {
      preds.push({
        theta: theta.slice(b * T, (b + 1) * T),
        uv: uv.slice(b * R * R * 3, (b + 1) * R * R * 3),
        mask: mask.slice(b * R * R, (b + 1) * R * R),
        landmarks: lms.slice(b * L * 2, (b + 1) * L * 2),
      });
    });
  }
  const nme: number[] = [];
  const nmeBox: number[] = [];
  const yaw: number[] = [];
  const pitch: number[] = [];
  const roll: number[] = [];
  const shape: number[] = [];
  samples.forEach((s, i) => {
    const n = landmarkNme(preds[i].landmarks, ids, s.landmarks);
    nme.push(n.eye);
    nmeBox.push(n.box);
    if (s.theta) {
      const e = poseError(preds[i].theta, s.theta);
      yaw.push(e.yaw);
      pitch.push(e.pitch);
      roll.push(e.roll);
      shape.push(shapeError(preds[i].theta.subarray(6), s.theta.subarray(6), grid));
    }
  });
  const uvDiff: number[] = [];
  const uvOverlap: number[] = [];
  const P = options.pairs ?? 0;
  for (let i = 0; i < P; i++) {
    const a = preds[i];
    const b = preds[P + i];
    const c = uvConsistency(a.uv, a.mask, b.uv, b.mask);
    uvDiff.push(c.meanAbsDiff);
    uvOverlap.push(c.overlap);
  }
  return {
    metrics: {
      nme: finiteMean(nme),
      nmeBox: finiteMean(nmeBox),
      yaw: finiteMean(yaw),
      pitch: finiteMean(pitch),
      roll: finiteMean(roll),
      shape: finiteMean(shape),
      uvDiff: finiteMean(uvDiff),
      uvOverlap: finiteMean(uvOverlap),
      samples: samples.length,
    },
    predictions: preds,
  };
}

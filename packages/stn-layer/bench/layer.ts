/**
 * Layer benchmarks: MorphableModelSTN forward, and forward+backward of a sum over all outputs
 * w.r.t. theta and the image, at B = 8, 224² × 3 input, 112² grid, D = 10 (5 identity + 5
 * expression modes of the package's generated default model). Public API only; fixed seeds.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import { defaultModel, resampleToGrid } from '@3dmm-stn/morphable-model';
import { morphableModelSTN } from '../src/index';
import { type BenchOptions, type BenchRow, timeIt } from './ops';

export async function benchLayer(options: BenchOptions = {}): Promise<BenchRow[]> {
  const runs = Math.max(5, options.runs ?? 7);
  const model = defaultModel();
  if (!model.texCoords) throw new Error('default model without texCoords');
  const grid = resampleToGrid(model, model.texCoords, 112, { shapeModes: 5, expressionModes: 5 });
  const rows: BenchRow[] = [];
  const B = 8;
  const D = grid.numModes;
  for (const backend of options.backends ?? ['wasm', 'cpu']) {
    await selectBackend({ backend });
    const image = tf.randomUniform([B, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    // Poses around frontal: yaw ±0.5 rad, the face (~180 mm tall) at 0.9 px/mm in the image.
    const theta = tf.tidy(() =>
      tf.concat(
        [
          tf.randomUniform([B, 3], -0.5, 0.5, 'float32', 2),
          tf.add(tf.randomUniform([B, 2], -5, 5, 'float32', 3), 112),
          tf.fill([B, 1], Math.log(0.9)),
          tf.randomNormal([B, D], 0, 1, 'float32', 4),
        ],
        1,
      ),
    ) as tf.Tensor2D;
    for (const visibility of ['normals', 'zbuffer'] as const) {
      const layer = morphableModelSTN({ gridModel: grid, visibility });
      const outs = () => layer.apply([image, theta]) as tf.Tensor[];
      const name = `B=${B} 224²×3 → 112², D=${D}, ${visibility}`;
      const row = (what: string, f: () => void) => {
        rows.push({
          bench: 'MorphableModelSTN',
          backend,
          case: `${what} ${name}`,
          runs,
          ...timeIt(f, runs),
        });
        console.error(
          `  ${backend} layer ${what} ${name}: ${rows[rows.length - 1].medianMs.toFixed(1)} ms`,
        );
      };
      row('forward', () =>
        tf.tidy(() => {
          for (const o of outs()) o.dataSync();
        }),
      );
      const grads = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
        tf.addN((layer.apply([a, t]) as tf.Tensor[]).map((o) => tf.sum(o))),
      );
      row('forward+backward (image, theta)', () =>
        tf.tidy(() => {
          for (const g of grads([image, theta])) g.dataSync();
        }),
      );
      if (process.env.LAYER_PROFILE) {
        const p = await tf.profile(() => grads([image, theta]));
        const top = [...p.kernels]
          .sort((x, y) => Number(y.kernelTimeMs) - Number(x.kernelTimeMs))
          .slice(0, 10);
        console.error(
          top
            .map((k) => `    ${k.name} ${Number(k.kernelTimeMs).toFixed(1)} ms [${k.inputShapes}]`)
            .join('\n'),
        );
        tf.dispose(p.result as tf.Tensor[]);
      }
      layer.dispose();
    }
    tf.dispose([image, theta]);
  }
  return rows;
}

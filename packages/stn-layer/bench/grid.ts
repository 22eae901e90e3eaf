/**
 * The benchmark grid (section 5): MorphableModelSTN forward, and forward+backward of
 * Σ over all outputs (maskedUv, mask, landmarks) w.r.t. θ and the image, for B ∈ {1, 8, 32},
 * 224² × 3 input, 112² grid, D ∈ {10, 63}, on wasm and cpu. The real SFM fixture (3448
 * vertices, 63 identity modes, 6 expression blendshapes) resampled at 112²: D = 10 is 5 + 5,
 * D = 63 is 57 identity + 6 expression modes. Wall and process CPU time per batch, load average
 * at each row. cpu at B = 32 runs 5 timed runs (the minimum), everything else `runs` (≥ 5).
 *
 *   npx tsx --tsconfig tsconfig.json bench/grid.ts [--runs N] [--backend wasm|cpu] [--json]
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import {
  computeSymmetry,
  type GridModel,
  type MorphableModel,
  readEosBlendshapes,
  readEosModel,
  readLandmarkMapping,
  resampleToGrid,
  tutteEmbedding,
} from '@3dmm-stn/morphable-model';
import { fixturePath } from '../../../testing/fixtures';
import { morphableModelSTN } from '../src/index';
import { timeIt } from './ops';

const N = 3448;

function loadSfm(): MorphableModel {
  const sfm = readEosModel(
    readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')),
    'sfm_shape_3448.bin',
  );
  return {
    ...sfm,
    expression: readEosBlendshapes(
      readFileSync(fixturePath('sfm', 'expression_blendshapes_3448.bin')),
      'expression_blendshapes_3448.bin',
      N,
    ),
    landmarks: readLandmarkMapping(
      readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
      'ibug_to_sfm.txt',
      N,
    ),
  };
}

export interface GridRow {
  backend: string;
  B: number;
  D: number;
  case: 'forward' | 'forward+backward';
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  medianCpuMs: number;
  load1: number;
}

export async function benchGrid(
  options: { runs?: number; backends?: ('wasm' | 'cpu')[] } = {},
): Promise<GridRow[]> {
  const runs = Math.max(5, options.runs ?? 7);
  const model = loadSfm();
  const emb = tutteEmbedding(
    { positions: model.mean, triangles: model.triangles },
    { symmetric: true, symmetry: computeSymmetry(model) },
  );
  const grids: GridModel[] = [
    resampleToGrid(model, emb.uv, 112, { shapeModes: 5, expressionModes: 5 }),
    resampleToGrid(model, emb.uv, 112, { shapeModes: 57, expressionModes: 6 }),
  ];
  const rows: GridRow[] = [];
  for (const backend of options.backends ?? ['wasm', 'cpu']) {
    await selectBackend({ backend });
    for (const grid of grids) {
      const D = grid.numModes;
      const layer = morphableModelSTN({ gridModel: grid });
      for (const B of [1, 8, 32]) {
        const n = backend === 'cpu' && B === 32 ? 5 : runs;
        const image = tf.randomUniform([B, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
        // Poses around frontal (yaw/pitch/roll ±0.5 rad), the face (~180 mm) at 0.9 px/mm.
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
        const grads = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
          tf.addN((layer.apply([a, t]) as tf.Tensor[]).map((o) => tf.sum(o))),
        );
        const cases = {
          forward: () =>
            tf.tidy(() => {
              for (const o of layer.apply([image, theta]) as tf.Tensor[]) o.dataSync();
            }),
          'forward+backward': () =>
            tf.tidy(() => {
              for (const g of grads([image, theta])) g.dataSync();
            }),
        } as const;
        for (const [name, f] of Object.entries(cases)) {
          const t = timeIt(f, n);
          const row: GridRow = {
            backend,
            B,
            D,
            case: name as GridRow['case'],
            runs: n,
            ...t,
            load1: os.loadavg()[0],
          };
          rows.push(row);
          console.error(
            `  ${backend} B=${B} D=${D} ${name}: wall ${t.medianMs.toFixed(1)} CPU ${t.medianCpuMs.toFixed(1)} ms (load ${row.load1.toFixed(1)})`,
          );
        }
        tf.dispose([image, theta]);
      }
      layer.dispose();
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const rows = await benchGrid({
    runs: flag('--runs') ? Number(flag('--runs')) : undefined,
    backends: flag('--backend') ? [flag('--backend') as 'wasm' | 'cpu'] : undefined,
  });
  const machine = `${os.cpus()[0]?.model}, ${os.cpus().length} cores, node ${process.version}, tfjs ${tf.version.tfjs}, ${new Date().toISOString()}`;
  if (args.includes('--json')) {
    console.log(JSON.stringify({ machine, rows }, null, 2));
  } else {
    console.log(machine);
    console.log('other work was running on the same 2 cores; load1 = os.loadavg()[0] at each row');
    console.log('| backend | B | D | case | wall median ms (min–max) | CPU ms | runs | load1 |');
    console.log('|---|---:|---:|---|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(
        `| ${r.backend} | ${r.B} | ${r.D} | ${r.case} | ${r.medianMs.toFixed(1)} (${r.minMs.toFixed(1)}–${r.maxMs.toFixed(1)}) | ${r.medianCpuMs.toFixed(1)} | ${r.runs} | ${r.load1.toFixed(1)} |`,
      );
    }
  }
}

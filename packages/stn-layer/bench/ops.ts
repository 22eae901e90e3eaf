/**
 * Op benchmarks: gridSample forward and forward+backward at the 3DMM-STN size (B = 8,
 * 224² × 3 image → 112² samples), and the grid generator (morphShape + projectVertices at
 * N = 12,544, D = 10, B = 8). Public API only; fixed seeds; warm-up, then median/min/max.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend';
import { gridSample, morphShape, projectVertices } from '../src/index';

export interface BenchRow {
  bench: string;
  backend: string;
  case: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface BenchOptions {
  /** Backends to run on, in order. Default ['wasm', 'cpu']. */
  backends?: ('wasm' | 'cpu')[];
  /** Timed runs per case after 2 warm-up runs. Default 7 (≥ 5). */
  runs?: number;
}

/** Runs `f` twice to warm up, then `runs` times; wall-clock ms stats. `f` must read its result. */
export function timeIt(
  f: () => void,
  runs: number,
): { medianMs: number; minMs: number; maxMs: number } {
  f();
  f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    medianMs: times[Math.floor(times.length / 2)],
    minMs: times[0],
    maxMs: times[times.length - 1],
  };
}

function seeded(shape: number[], seed: number, lo: number, hi: number): tf.Tensor {
  return tf.randomUniform(shape, lo, hi, 'float32', seed);
}

export async function benchOps(options: BenchOptions = {}): Promise<BenchRow[]> {
  const runs = Math.max(5, options.runs ?? 7);
  const rows: BenchRow[] = [];
  for (const backend of options.backends ?? ['wasm', 'cpu']) {
    await selectBackend({ backend });
    const row = (bench: string, name: string, f: () => void) => {
      rows.push({ bench, backend, case: name, runs, ...timeIt(f, runs) });
      console.error(
        `  ${backend} ${bench} ${name}: ${rows[rows.length - 1].medianMs.toFixed(2)} ms`,
      );
    };

    // gridSample: B = 8, 224² × 3 → 112² × 3, coords spread over and slightly beyond the image.
    const B = 8;
    const image = seeded([B, 224, 224, 3], 1, 0, 1) as tf.Tensor4D;
    const coords = seeded([B, 112, 112, 2], 2, -4, 228) as tf.Tensor4D;
    const w = seeded([B, 112, 112, 3], 3, -1, 1);
    const shape = 'B=8 224²×3 → 112²';
    row('gridSample', `forward ${shape}`, () =>
      tf.tidy(() => {
        gridSample(image, coords).dataSync();
      }),
    );
    const gradBoth = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(gridSample(a as tf.Tensor4D, b as tf.Tensor4D), w)),
    );
    row('gridSample', `forward+backward (image, coords) ${shape}`, () =>
      tf.tidy(() => {
        for (const g of gradBoth([image, coords])) g.dataSync();
      }),
    );
    const gradCoords = tf.grad((b: tf.Tensor) =>
      tf.sum(tf.mul(gridSample(image, b as tf.Tensor4D), w)),
    );
    row('gridSample', `forward+backward (coords only) ${shape}`, () =>
      tf.tidy(() => {
        gradCoords(coords).dataSync();
      }),
    );

    // Grid generator: N = 12,544 (112²), D = 10, B = 8.
    const N = 112 * 112;
    const D = 10;
    const alpha = seeded([B, D], 4, -1, 1) as tf.Tensor2D;
    const mean = seeded([N, 3], 5, -80, 80) as tf.Tensor2D;
    const basis = seeded([D, 3 * N], 6, -5, 5) as tf.Tensor2D;
    const r = seeded([B, 3], 7, -0.5, 0.5) as tf.Tensor2D;
    const t = seeded([B, 2], 8, 100, 124) as tf.Tensor2D;
    const logS = seeded([B, 1], 9, -0.5, 0) as tf.Tensor2D;
    const wp = seeded([B, N, 2], 10, -1, 1);
    const gen = 'N=12,544 D=10 B=8';
    row('morphShape+projectVertices', `forward ${gen}`, () =>
      tf.tidy(() => {
        projectVertices(morphShape(alpha, mean, basis), r, t, logS).dataSync();
      }),
    );
    const gradGen = tf.grads((a: tf.Tensor, rr: tf.Tensor, tt: tf.Tensor, ls: tf.Tensor) =>
      tf.sum(
        tf.mul(
          projectVertices(
            morphShape(a as tf.Tensor2D, mean, basis),
            rr as tf.Tensor2D,
            tt as tf.Tensor2D,
            ls as tf.Tensor2D,
          ),
          wp,
        ),
      ),
    );
    row('morphShape+projectVertices', `forward+backward (α, r, t, log s) ${gen}`, () =>
      tf.tidy(() => {
        for (const g of gradGen([alpha, r, t, logS])) g.dataSync();
      }),
    );
    tf.dispose([image, coords, w, alpha, mean, basis, r, t, logS, wp]);
  }
  return rows;
}

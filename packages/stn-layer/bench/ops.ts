/**
 * Op benchmarks: gridSample forward and forward+backward at the 3DMM-STN size (B = 8,
 * 224² × 3 image → 112² samples), and the grid generator (morphShape + projectVertices at
 * N = 12,544, D = 10, B = 8). Public API only; fixed seeds; warm-up, then median/min/max.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@3dmm-stn/backend/node';
import {
  affineGrid,
  axisAngleToRotation,
  gridSample,
  morphShape,
  projectVertices,
  rotateVertices,
} from '../src/index';
import { gridSampleComposed } from '../src/ops/grid_sample_composed';
import { projectVerticesComposed } from '../src/ops/project_vertices';

export interface BenchRow {
  bench: string;
  backend: string;
  case: string;
  runs: number;
  /** Wall-clock ms per call. */
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Process CPU time (user + system) per call, ms: less sensitive to other load on the cores. */
  medianCpuMs: number;
}

export interface BenchOptions {
  /** Backends to run on, in order. Default ['wasm', 'cpu']. */
  backends?: ('wasm' | 'cpu')[];
  /** Timed runs per case after 2 warm-up runs. Default 7 (≥ 5). */
  runs?: number;
  /**
   * Also time the composed-of-tfjs-ops fallbacks that other backends use (slow: seconds per
   * call on cpu). Internal functions, timed to justify the kernels. Default false.
   */
  composed?: boolean;
}

/**
 * Runs `f` twice to warm up, then `runs` times: wall-clock median/min/max and the median of the
 * process CPU time. `f` must read its result (`dataSync`) so that the work is done.
 */
export function timeIt(
  f: () => void,
  runs: number,
): { medianMs: number; minMs: number; maxMs: number; medianCpuMs: number } {
  f();
  f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  wall.sort((x, y) => x - y);
  cpu.sort((x, y) => x - y);
  const mid = Math.floor(runs / 2);
  return { medianMs: wall[mid], minMs: wall[0], maxMs: wall[runs - 1], medianCpuMs: cpu[mid] };
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

    // gridSample: B = 8, 224² × 3 → 112² × 3. Coordinates as an STN produces them: a smooth
    // grid (rotated by 0.3 rad, 1.9 px per output pixel, partly outside the image), and as a
    // worst case for memory access, uniformly random over and beyond the image.
    const B = 8;
    const image = seeded([B, 224, 224, 3], 1, 0, 1) as tf.Tensor4D;
    const coords = tf.tidy(() => {
      const a = 0.3;
      const s = (1.9 * 111) / 223; // normalised scale giving 1.9 input px per output px
      const theta = tf.tile(
        tf.tensor3d(
          [s * Math.cos(a), -s * Math.sin(a), 0.01, s * Math.sin(a), s * Math.cos(a), -0.02],
          [1, 2, 3],
        ),
        [B, 1, 1],
      );
      return affineGrid(theta as tf.Tensor3D, [B, 112, 112], { inputSize: [224, 224] });
    });
    const randomCoords = seeded([B, 112, 112, 2], 2, -4, 228) as tf.Tensor4D;
    const w = seeded([B, 112, 112, 3], 3, -1, 1);
    const shape = 'B=8 224²×3 → 112²';
    row('gridSample', `forward ${shape}`, () =>
      tf.tidy(() => {
        gridSample(image, coords).dataSync();
      }),
    );
    row('gridSample', `forward, random coords ${shape}`, () =>
      tf.tidy(() => {
        gridSample(image, randomCoords).dataSync();
      }),
    );
    if (options.composed) {
      row('gridSample (composed fallback)', `forward ${shape}`, () =>
        tf.tidy(() => {
          gridSampleComposed(image, coords, 'zeros').dataSync();
        }),
      );
    }
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
    const X = morphShape(alpha, mean, basis);
    row('axisAngleToRotation+rotateVertices', `forward ${gen}`, () =>
      tf.tidy(() => {
        rotateVertices(X, axisAngleToRotation(r)).dataSync();
      }),
    );
    if (options.composed) {
      row('morphShape+projectVertices (composed fallback)', `forward ${gen}`, () =>
        tf.tidy(() => {
          projectVerticesComposed(morphShape(alpha, mean, basis), r, t, logS).dataSync();
        }),
      );
    }
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
    tf.dispose([X, image, coords, randomCoords, w, alpha, mean, basis, r, t, logS, wp]);
  }
  return rows;
}

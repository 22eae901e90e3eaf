/**
 * UnsortedSegmentSum on wasm at the size of the STN sampler's gather gradient (run from
 * packages/backend): `npx tsx --tsconfig tsconfig.json bench/segment_sum.ts`.
 * B = 8, a 224² image read at a 112² grid (4 bilinear corners per grid point, 3 channels): the
 * gradient scatters 401,408 rows of 3 into 401,408 pixels. Two id patterns: the sampler's
 * (spatially coherent: the corners of a regular grid) and uniformly random (worst case for
 * caches). Median (min–max) of 7 runs after a warm-up.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/index';

await selectBackend({ backend: 'wasm' });
const [B, H, Ho, C] = [8, 224, 112, 3];
const reads = B * Ho * Ho * 4;
const segments = B * H * H;
console.log(
  `machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, ` +
    `load ${os.loadavg()[0].toFixed(1)} (other work shares these cores)`,
);

const coherent = new Int32Array(reads);
let k = 0;
for (let b = 0; b < B; b++) {
  for (let i = 0; i < Ho; i++) {
    for (let j = 0; j < Ho; j++) {
      const y0 = Math.floor(i * (H / Ho) + 0.5);
      const x0 = Math.floor(j * (H / Ho) + 0.5);
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ]) {
        coherent[k++] = b * H * H + Math.min(H - 1, y0 + dy) * H + Math.min(H - 1, x0 + dx);
      }
    }
  }
}
const values = tf.randomUniform([reads, C], -1, 1, 'float32', 1);
const patterns: [string, tf.Tensor1D][] = [
  ['sampler (coherent)', tf.tensor1d(coherent, 'int32')],
  ['random', tf.randomUniform([reads], 0, segments, 'int32', 2) as tf.Tensor1D],
];
for (const [name, ids] of patterns) {
  const ts: number[] = [];
  for (let r = 0; r < 8; r++) {
    const t0 = performance.now();
    tf.tidy(() => {
      tf.unsortedSegmentSum(values, ids, segments).dataSync();
    });
    if (r > 0) ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  console.log(
    `UnsortedSegmentSum [${reads}, ${C}] → ${segments}, ${name} ids: ` +
      `${ts[3].toFixed(1)} ms (${ts[0].toFixed(1)}–${ts[6].toFixed(1)}, n=7)`,
  );
}
tf.dispose([values, ...patterns.map(([, t]) => t)]);

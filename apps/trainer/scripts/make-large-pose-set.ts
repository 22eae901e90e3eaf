/**
 * `npm run large-pose-set -- --out .tmp/large-pose --count 60 --seed 1 [--textures DIR]`
 *
 * Writes a large-pose test set (see src/large_pose_set.ts): NNNN.jpg + AFLW2000-3D-style NNNN.mat
 * (pt3d_68, Pose_Para) and faces.json. `--textures DIR`: a `3dmm-stn pseudo-label --textures`
 * output folder (or its manifest.json) — fit textures and photo backgrounds; without it,
 * procedural textures and backgrounds.
 */
import { Command } from 'commander';
import { loadLargePoseAssets, writeLargePoseSet } from '../src/large_pose_set';

const program = new Command('large-pose-set')
  .description('Render a large-pose test set with AFLW2000-3D-style .mat labels')
  .requiredOption('--out <dir>', 'output folder')
  .option('--count <n>', 'number of faces', '60')
  .option('--seed <n>', 'random seed', '1')
  .option('--size <px>', 'image side', '288')
  .option('--face-fill <f>', 'landmark span of the mean face / image side', '0.5')
  .option('--max-yaw <deg>', 'largest |yaw|', '90')
  .option('--textures <dir>', 'pseudo-label --textures folder (fit textures + photo backgrounds)')
  .parse();

const o = program.opts<{
  out: string;
  count: string;
  seed: string;
  size: string;
  faceFill: string;
  maxYaw: string;
  textures?: string;
}>();
const size = Number(o.size);
const seed = Number(o.seed);
const t0 = Date.now();
const assets = o.textures ? await loadLargePoseAssets(o.textures, { size, seed }) : null;
if (assets)
  console.log(
    `${assets.textures.length} fit textures, ${assets.backgrounds.length} background squares from ${o.textures}`,
  );
const set = await writeLargePoseSet({
  out: o.out,
  count: Number(o.count),
  seed,
  size,
  faceFill: Number(o.faceFill),
  maxYaw: Number(o.maxYaw),
  assets,
});
const buckets = [0, 0, 0];
for (const f of set.faces) buckets[Math.min(2, Math.floor(Math.abs(f.pose.yaw) / 30))]++;
console.log(
  `${set.faces.length} faces (${set.appearance} appearance, ${size}² px) → ${set.dir} in ${((Date.now() - t0) / 1000).toFixed(1)} s; |yaw| 0–30 / 30–60 / 60–90: ${buckets.join(' / ')}`,
);
console.log(`score it: npm run cli -- eval ${o.out} --labels ${o.out} --method fit`);

/**
 * Default model and rasteriser benchmarks (public API only): `defaultModel()` generation, and
 * `render` at 224 × 224 (the trainer's synthetic faces) of the default model and of the SFM,
 * plus the mesh utilities it uses. Fixed seeds; warm-up, then median (min–max) of RUNS runs.
 *
 * `--preview=<dir>` also writes the PNG previews described in the README (frontal, yaw 45°,
 * profile) with sharp (a root dev dependency; the package itself never imports it).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '../../../testing/fixtures';
import {
  defaultModel,
  type MorphableModel,
  type RenderImage,
  readEosModel,
  readLandmarkMapping,
  render,
  vertexNormals,
  visibleByZBuffer,
} from '../src/index';
import { type BenchRow, time as timeRuns } from './timing';

const RUNS = 40;

export type { BenchRow };

/** Timing with this bench's default run count. */
const time = (name: string, f: () => unknown, note?: string, runs = RUNS): Promise<BenchRow> =>
  timeRuns(name, f, note, runs);

/** Seeded uniform [0, 1) (LCG): before/after runs see the same inputs. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Standard normal from two uniforms (Box–Muller). */
function gauss(r: () => number) {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** A skin-toned 256 × 256 texture with a faint 16 × 16 UV grid and smooth colour noise. */
function skinTexture(size = 256): RenderImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const line = i % 16 === 0 || j % 16 === 0 ? 0.9 : 1;
      const wob = 1 + 0.04 * Math.sin(i / 9) * Math.cos(j / 13);
      const o = 3 * (i * size + j);
      data[o] = Math.round(224 * line * wob);
      data[o + 1] = Math.round(176 * line * wob);
      data[o + 2] = Math.round(150 * line * wob);
    }
  }
  return { data, width: size, height: size, channels: 3 };
}

function numModes(m: MorphableModel) {
  return m.shape.numModes + (m.expression?.numModes ?? 0);
}

/** Random θ as the trainer draws them: α ~ N(0, I), yaw ±60°, pitch/roll ±20°, scale ± 15 %. */
function randomInputs(m: MorphableModel, count: number, seed: number, pxPerMm: number) {
  const r = rng(seed);
  const D = numModes(m);
  return Array.from({ length: count }, () => ({
    alpha: Float32Array.from({ length: D }, () => gauss(r)),
    pose: {
      r: [(r() - 0.5) * 0.7, (r() - 0.5) * 2.1, (r() - 0.5) * 0.7],
      t: [112 + (r() - 0.5) * 20, 112 + (r() - 0.5) * 20],
      logS: Math.log(pxPerMm * (0.85 + 0.3 * r())),
    },
  }));
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(
    await time('defaultModel() generation', () => defaultModel(), 'incl. symmetric Tutte UV', 7),
  );
  const model = defaultModel();
  const sfm = readEosModel(readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')), 'sfm', {
    landmarks: readLandmarkMapping(
      readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
      'ibug_to_sfm.txt',
    ),
  });
  const tex = skinTexture();
  const texF: RenderImage = { ...tex, data: Float32Array.from(tex.data, (v) => v / 255) };
  const light = { direction: [0.3, 0.4, 1] as [number, number, number], ambient: 0.3 };

  for (const [label, m, pxPerMm] of [
    ['default model', model, 0.95],
    ['SFM 3448', sfm, 1.0],
  ] as const) {
    const inputs = randomInputs(m, 16, 7, pxPerMm);
    let k = 0;
    const next = () => inputs[k++ % inputs.length];
    const F = m.triangles.length / 3;
    const info = `${m.numVertices} v, ${F} tri, D = ${numModes(m)}`;
    rows.push(
      await time(
        `render 224² ${label}: uint8 texture, random θ`,
        () => {
          const { alpha, pose } = next();
          render(m, alpha, pose, tex, 224, 224);
        },
        info,
      ),
    );
    rows.push(
      await time(`render 224² ${label}: + Lambert`, () => {
        const { alpha, pose } = next();
        render(m, alpha, pose, tex, 224, 224, { light });
      }),
    );
    rows.push(
      await time(`render 224² ${label}: float32 texture + Lambert`, () => {
        const { alpha, pose } = next();
        render(m, alpha, pose, texF, 224, 224, { light });
      }),
    );
    rows.push(await time(`vertexNormals ${label}`, () => vertexNormals(m.mean, m.triangles), info));
    const pts = new Float32Array(3 * m.numVertices);
    for (let i = 0; i < m.numVertices; i++) {
      pts[3 * i] = 112 + pxPerMm * m.mean[3 * i];
      pts[3 * i + 1] = 112 - pxPerMm * m.mean[3 * i + 1];
      pts[3 * i + 2] = m.mean[3 * i + 2];
    }
    rows.push(
      await time(`visibleByZBuffer ${label}, all vertices, 224²`, () =>
        visibleByZBuffer(pts, m.triangles, 224, 224),
      ),
    );
  }

  console.log('\n## @3dmm-stn/morphable-model — default model and rasteriser (ms)\n');
  console.log('| benchmark | median | min | max | runs | note |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.median.toFixed(2)} | ${r.min.toFixed(2)} | ${r.max.toFixed(2)} | ${r.runs} | ${r.note ?? ''} |`,
    );
  }
  console.log(`\n${JSON.stringify({ bench: 'render', rows })}`);

  const preview = process.argv.find((a) => a.startsWith('--preview='));
  if (preview) await writePreviews(preview.slice('--preview='.length), model, tex);
  return rows;
}

/** Frontal, yaw 45° and profile renders (Lambert, landmarks dotted) side by side as one PNG. */
async function writePreviews(dir: string, model: MorphableModel, tex: RenderImage) {
  const { default: sharp } = await import('sharp');
  mkdirSync(dir, { recursive: true });
  const S = 224;
  const views: [string, number[]][] = [
    ['frontal', [0, 0, 0]],
    ['yaw 45°', [0, Math.PI / 4, 0]],
    ['profile', [0, -Math.PI / 2, 0]],
  ];
  // Fit the model's height into 85 % of the panel.
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 1; i < model.mean.length; i += 3) {
    y0 = Math.min(y0, model.mean[i]);
    y1 = Math.max(y1, model.mean[i]);
  }
  const logS = Math.log((0.85 * S) / (y1 - y0));
  const cy = S / 2 - (Math.exp(logS) * (y1 + y0)) / 2;
  const panel = new Uint8Array(3 * S * S * views.length);
  views.forEach(([, r], v) => {
    const out = render(
      model,
      new Float32Array(numModes(model)),
      { r, t: [S / 2, S / 2 + (S / 2 - cy)], logS },
      tex,
      S,
      S,
      { light: { direction: [0.3, 0.4, 1], ambient: 0.3 }, background: [38, 40, 58] },
    );
    const img = out.image as Uint8Array;
    for (let k = 0; k < 68 && v < 2; k++) {
      const x = Math.round(out.landmarks[2 * k]);
      const y = Math.round(out.landmarks[2 * k + 1]);
      if (!out.landmarkVisible[k] || x < 1 || y < 1 || x >= S - 1 || y >= S - 1) continue;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [-1, 0],
        [0, 1],
        [0, -1],
      ]) {
        img.set([255, 40, 40], 3 * ((y + dy) * S + x + dx));
      }
    }
    for (let y = 0; y < S; y++) {
      panel.set(img.subarray(3 * y * S, 3 * (y + 1) * S), 3 * (y * S * views.length + v * S));
    }
  });
  const file = join(dir, 'default-model.png');
  await sharp(Buffer.from(panel.buffer), {
    raw: { width: S * views.length, height: S, channels: 3 },
  })
    .png({ compressionLevel: 9, palette: true, colours: 128 })
    .toFile(file);
  console.log(`\npreview: ${file} (${views.map((v) => v[0]).join(', ')})`);
}

import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type GridModel, morphRows, projectScaledOrthographic } from '@3dmm-stn/morphable-model';
import type * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { type EvalMetrics, evaluate, type Prediction } from './evaluate';
import { writeFileAtomic } from './fs_atomic';
import type { FaceSample } from './sample';
import type { EvalLog, StepLog } from './train';

/**
 * The run report: PNGs rendered by sharp (librsvg) from SVG generated here, and an HTML page
 * embedding them.
 *
 *   report/loss.png      loss terms per step (log scale; raw and smoothed)
 *   report/metrics.png   validation NME (eye, box), pose errors, UV consistency per evaluation
 *   report/montage.png   validation samples: input + landmarks (truth green, fit red),
 *                        fitted mesh overlay, UV image, mask
 *   report/mean_uv.png   mean UV image per identity over several views (the paper's figure)
 *   report/index.html
 */

export interface ReportInput {
  runDir: string;
  logPath: string;
  grid: GridModel;
  valSamples: FaceSample[];
  predictions: Prediction[];
  model: tf.LayersModel;
  /** Views per identity for the mean-UV figure (synthetic), or null to group validation samples by identity. */
  meanUvSamples: FaceSample[][] | null;
  count: number;
  initial: EvalMetrics | null;
  final: EvalMetrics | null;
  best: { step: number; nme: number } | null;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

async function rgbPng(
  data: ArrayLike<number>,
  w: number,
  h: number,
  channels = 3,
  scale = 1,
): Promise<Buffer> {
  const buf = Buffer.alloc(w * h * channels);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.max(0, Math.min(255, Math.round(data[i])));
  let img = sharp(buf, { raw: { width: w, height: h, channels: channels as 1 | 3 } });
  if (scale !== 1) img = img.resize(w * scale, h * scale, { kernel: 'nearest' });
  return img.png().toBuffer();
}

const dataUri = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

interface Series {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
}

/** A line chart as SVG: x linear, y linear or log10, axes with ticks and a legend. */
export function lineChartSvg(
  title: string,
  series: Series[],
  options: {
    width?: number;
    height?: number;
    logY?: boolean;
    xLabel?: string;
    yLabel?: string;
  } = {},
): string {
  const W = options.width ?? 720;
  const H = options.height ?? 360;
  const m = { l: 70, r: 170, t: 36, b: 46 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const ty = (v: number) => (options.logY ? Math.log10(v) : v);
  const pts = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(ty(y)));
  let x0 = Math.min(...pts.map((p) => p[0]));
  let x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(...pts.map((p) => ty(p[1])));
  let y1 = Math.max(...pts.map((p) => ty(p[1])));
  if (!pts.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  if (!options.logY) y0 = Math.min(0, y0);
  const pad = (y1 - y0) * 0.05;
  y0 -= options.logY ? pad : 0;
  y1 += pad;
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number) => m.t + ph - ((ty(y) - y0) / (y1 - y0)) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const xv = x0 + ((x1 - x0) * i) / 5;
    out.push(
      `<line x1="${X(xv)}" y1="${m.t + ph}" x2="${X(xv)}" y2="${m.t + ph + 4}" stroke="#888"/>`,
    );
    out.push(
      `<text x="${X(xv)}" y="${m.t + ph + 17}" text-anchor="middle">${Math.round(xv)}</text>`,
    );
    const yv = y0 + ((y1 - y0) * i) / 5;
    const label = options.logY
      ? (10 ** yv).toPrecision(2)
      : Math.abs(yv) >= 100
        ? yv.toFixed(0)
        : yv.toPrecision(2);
    const yy = m.t + ph - (ph * i) / 5;
    out.push(`<line x1="${m.l}" y1="${yy}" x2="${m.l + pw}" y2="${yy}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${yy + 4}" text-anchor="end">${label}</text>`);
  }
  if (options.xLabel)
    out.push(
      `<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(options.xLabel)}</text>`,
    );
  if (options.yLabel)
    out.push(
      `<text x="16" y="${m.t + ph / 2}" transform="rotate(-90 16 ${m.t + ph / 2})" text-anchor="middle">${esc(options.yLabel)}</text>`,
    );
  series.forEach((s, k) => {
    const p = s.points.filter(([, y]) => Number.isFinite(ty(y)));
    if (p.length) {
      const d = p
        .map(([x, y], i) => `${i ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`)
        .join('');
      out.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.dashed ? 1 : 1.8}"${s.dashed ? ' stroke-opacity="0.35"' : ''}/>`,
      );
      if (p.length < 40)
        for (const [x, y] of p)
          out.push(`<circle cx="${X(x)}" cy="${Y(y)}" r="2.5" fill="${s.color}"/>`);
    }
    const ly = m.t + 10 + 18 * k;
    out.push(
      `<line x1="${m.l + pw + 12}" y1="${ly}" x2="${m.l + pw + 32}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
    );
    out.push(`<text x="${m.l + pw + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function ema(points: [number, number][], a = 0.1): [number, number][] {
  let v = Number.NaN;
  return points.map(([x, y]) => {
    if (Number.isFinite(y)) v = Number.isFinite(v) ? (1 - a) * v + a * y : y;
    return [x, v];
  });
}

/** Projected grid vertices `[res², 2]` (pixels) for θ, in float64 (independent of the STN op). */
export function projectGrid(grid: GridModel, theta: ArrayLike<number>): Float64Array {
  const X = morphRows(grid.mean, grid.basis, theta, { offset: 6, modes: grid.numModes });
  return projectScaledOrthographic(
    X,
    [theta[0], theta[1], theta[2]],
    [theta[3], theta[4]],
    theta[5],
  );
}

/** Montage of validation samples: input+landmarks | mesh overlay | UV image | mask. */
async function montageSvg(input: ReportInput): Promise<string> {
  const n = Math.min(input.count, input.valSamples.length);
  const S = input.valSamples[0].size;
  const R = input.grid.res;
  const tile = 160;
  const k = tile / S;
  const kr = tile / R;
  const gap = 8;
  const top = 30;
  const W = 4 * (tile + gap) + gap;
  const H = top + n * (tile + gap) + gap;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  ['input + landmarks', 'fitted mesh', 'UV image', 'mask'].forEach((t, c) => {
    out.push(
      `<text x="${gap + c * (tile + gap) + tile / 2}" y="20" text-anchor="middle">${t}</text>`,
    );
  });
  const ids = input.grid.landmarkIds;
  for (let i = 0; i < n; i++) {
    const s = input.valSamples[i];
    const p = input.predictions[i];
    const y = top + i * (tile + gap);
    const img = dataUri(await rgbPng(s.image, S, S, 3, Math.max(1, Math.round(k))));
    const x0 = gap;
    const x1 = gap + tile + gap;
    out.push(`<image x="${x0}" y="${y}" width="${tile}" height="${tile}" href="${img}"/>`);
    out.push(
      `<image x="${x1}" y="${y}" width="${tile}" height="${tile}" href="${img}" opacity="0.8"/>`,
    );
    const px = (v: number) => (v + 0.5) * k;
    for (let j = 0; j < ids.length; j++) {
      const ti = ids[j] - 1;
      const tx = s.landmarks[2 * ti];
      const ty = s.landmarks[2 * ti + 1];
      if (Number.isFinite(tx))
        out.push(`<circle cx="${x0 + px(tx)}" cy="${y + px(ty)}" r="1.8" fill="#00e000"/>`);
      out.push(
        `<circle cx="${x0 + px(p.landmarks[2 * j])}" cy="${y + px(p.landmarks[2 * j + 1])}" r="1.8" fill="#ff2020"/>`,
      );
    }
    // Mesh: grid lines (every 2nd row/column) between valid points; visible green, hidden grey.
    const P = projectGrid(input.grid, p.theta);
    const step = Math.max(1, Math.round(R / 16));
    const segs: { d: string[]; color: string }[] = [
      { d: [], color: '#30ff60' },
      { d: [], color: '#808080' },
    ];
    const valid = input.grid.valid;
    const seg = (a: number, b: number) => {
      if (!valid[a] || !valid[b]) return;
      const vis = p.mask[a] > 0.5 && p.mask[b] > 0.5 ? 0 : 1;
      segs[vis].d.push(
        `M${(x1 + px(P[2 * a])).toFixed(1)},${(y + px(P[2 * a + 1])).toFixed(1)}L${(x1 + px(P[2 * b])).toFixed(1)},${(y + px(P[2 * b + 1])).toFixed(1)}`,
      );
    };
    for (let r = 0; r < R; r += step) for (let c = 0; c + 1 < R; c++) seg(r * R + c, r * R + c + 1);
    for (let c = 0; c < R; c += step)
      for (let r = 0; r + 1 < R; r++) seg(r * R + c, (r + 1) * R + c);
    out.push(
      `<svg x="${x1}" y="${y}" width="${tile}" height="${tile}" overflow="hidden"><g transform="translate(${-x1},${-y})">`,
    );
    for (const sg of segs.reverse())
      out.push(`<path d="${sg.d.join('')}" stroke="${sg.color}" stroke-width="0.7" fill="none"/>`);
    out.push('</g></svg>');
    const uv = dataUri(await rgbPng(p.uv, R, R, 3, Math.max(1, Math.round(kr))));
    const mask = dataUri(
      await rgbPng(
        p.mask.map((m) => m * 255),
        R,
        R,
        1,
        Math.max(1, Math.round(kr)),
      ),
    );
    out.push(
      `<image x="${gap + 2 * (tile + gap)}" y="${y}" width="${tile}" height="${tile}" href="${uv}"/>`,
    );
    out.push(
      `<image x="${gap + 3 * (tile + gap)}" y="${y}" width="${tile}" height="${tile}" href="${mask}"/>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Mask-weighted mean of UV images: `[R, R, 3]` (0 where no view saw the pixel). */
export function meanUv(preds: Prediction[], R: number): Float32Array {
  const sum = new Float64Array(R * R * 3);
  const w = new Float64Array(R * R);
  for (const p of preds) {
    for (let q = 0; q < R * R; q++) {
      const m = p.mask[q];
      if (m <= 0) continue;
      w[q] += m;
      for (let c = 0; c < 3; c++) sum[3 * q + c] += p.uv[3 * q + c]; // maskedUv is already × mask
    }
  }
  const out = new Float32Array(R * R * 3);
  for (let q = 0; q < R * R; q++)
    if (w[q] > 0) for (let c = 0; c < 3; c++) out[3 * q + c] = sum[3 * q + c] / w[q];
  return out;
}

async function meanUvSvg(input: ReportInput): Promise<string | null> {
  let groups: { samples: FaceSample[]; preds: Prediction[] }[] = [];
  if (input.meanUvSamples) {
    for (const views of input.meanUvSamples) {
      const r = await evaluate(input.model, input.grid, views);
      groups.push({ samples: views, preds: r.predictions });
    }
  } else {
    const by = new Map<string, { samples: FaceSample[]; preds: Prediction[] }>();
    input.valSamples.forEach((s, i) => {
      if (s.identity === null) return;
      const g = by.get(s.identity) ?? { samples: [], preds: [] };
      g.samples.push(s);
      g.preds.push(input.predictions[i]);
      by.set(s.identity, g);
    });
    groups = [...by.values()].filter((g) => g.samples.length >= 2).slice(0, 6);
  }
  if (!groups.length) return null;
  const R = input.grid.res;
  const S = input.valSamples[0].size;
  const tile = 128;
  const gap = 8;
  const views = Math.min(6, Math.max(...groups.map((g) => g.samples.length)));
  const W = gap + (views + 1) * (tile + gap);
  const H = 30 + groups.length * (tile + gap) + gap;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${gap}" y="20">mean UV image of each identity (left), over ${groups[0].samples.length} views (some shown right)</text>`,
  ];
  for (let g = 0; g < groups.length; g++) {
    const y = 30 + g * (tile + gap);
    const m = await rgbPng(meanUv(groups[g].preds, R), R, R, 3, Math.max(1, Math.round(tile / R)));
    out.push(`<image x="${gap}" y="${y}" width="${tile}" height="${tile}" href="${dataUri(m)}"/>`);
    out.push(
      `<rect x="${gap}" y="${y}" width="${tile}" height="${tile}" fill="none" stroke="#000"/>`,
    );
    for (let v = 0; v < Math.min(views, groups[g].samples.length); v++) {
      const s = groups[g].samples[v];
      const im = await rgbPng(s.image, S, S, 3, Math.max(1, Math.round(tile / S)));
      out.push(
        `<image x="${gap + (v + 1) * (tile + gap)}" y="${y}" width="${tile}" height="${tile}" href="${dataUri(im)}"/>`,
      );
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

async function svgToPng(svg: string, file: string): Promise<void> {
  await writeFileAtomic(file, await sharp(Buffer.from(svg)).png().toBuffer());
}

/** Write report/{loss,metrics,montage,mean_uv}.png and report/index.html. Returns the folder. */
export async function writeReport(input: ReportInput): Promise<string> {
  const dir = join(input.runDir, 'report');
  await mkdir(dir, { recursive: true });
  const steps: StepLog[] = [];
  const evals: EvalLog[] = [];
  for (const l of (await readFile(input.logPath, 'utf8')).split('\n')) {
    if (!l.trim()) continue;
    const j = JSON.parse(l) as StepLog | EvalLog;
    if (j.type === 'step') steps.push(j);
    else evals.push(j);
  }
  const terms = ['total', 'landmark', 'symmetry', 'multiview', 'prior'] as const;
  const lossSeries: Series[] = [];
  terms.forEach((t, k) => {
    const pts = steps.map((s) => [s.step, s.loss[t]] as [number, number]).filter(([, y]) => y > 0);
    if (!pts.length) return;
    lossSeries.push({ name: `${t} (raw)`, points: pts, color: COLORS[k], dashed: true });
    lossSeries.push({ name: t, points: ema(pts), color: COLORS[k] });
  });
  await svgToPng(
    lineChartSvg(
      'Training loss terms (unweighted; smoothed)',
      lossSeries.filter((s) => !s.dashed || s.name.startsWith('total')),
      {
        logY: true,
        xLabel: 'step',
        yLabel: 'loss',
        width: 820,
      },
    ),
    join(dir, 'loss.png'),
  );
  const ev = (f: (m: EvalMetrics) => number) =>
    evals.map((e) => [e.step, f(e.metrics)] as [number, number]);
  const nmeSvg = lineChartSvg(
    'Validation landmark NME',
    [
      { name: 'NME (eye corners)', points: ev((m) => m.nme), color: COLORS[0] },
      { name: 'NME (box)', points: ev((m) => m.nmeBox), color: COLORS[1] },
    ],
    { xLabel: 'step', yLabel: 'NME', width: 640, height: 300 },
  );
  const poseSvg = lineChartSvg(
    'Validation pose / shape / UV',
    [
      { name: 'yaw error (°)', points: ev((m) => m.yaw), color: COLORS[0] },
      { name: 'pitch error (°)', points: ev((m) => m.pitch), color: COLORS[1] },
      { name: 'roll error (°)', points: ev((m) => m.roll), color: COLORS[2] },
      { name: 'shape RMS (mm)', points: ev((m) => m.shape), color: COLORS[3] },
      { name: 'UV |Δ| pairs (0-255)', points: ev((m) => m.uvDiff), color: COLORS[4] },
    ],
    { xLabel: 'step', width: 640, height: 300 },
  );
  const strip = (svg: string) => svg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>$/, '');
  await svgToPng(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="300" font-family="DejaVu Sans, sans-serif" font-size="12"><g>${strip(nmeSvg)}</g><g transform="translate(640,0)">${strip(poseSvg)}</g></svg>`,
    join(dir, 'metrics.png'),
  );
  if (input.valSamples.length) await svgToPng(await montageSvg(input), join(dir, 'montage.png'));
  const mean = await meanUvSvg(input);
  if (mean) await svgToPng(mean, join(dir, 'mean_uv.png'));
  const row = (name: string, f: (m: EvalMetrics) => number, d = 4) =>
    `<tr><td>${name}</td><td>${input.initial ? f(input.initial).toFixed(d) : 'n/a'}</td><td>${input.final ? f(input.final).toFixed(d) : 'n/a'}</td></tr>`;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>3DMM-STN training report</title>
<style>body{font-family:sans-serif;margin:24px}td,th{padding:2px 10px;text-align:right}td:first-child{text-align:left}img{max-width:100%}</style></head><body>
<h1>3DMM-STN training report</h1>
<p>Run folder: <code>${esc(input.runDir)}</code>. ${steps.length} logged steps; best validation NME ${input.best ? `${input.best.nme.toFixed(4)} at step ${input.best.step}` : 'n/a'}.</p>
<table><tr><th>validation metric</th><th>step 0</th><th>end</th></tr>
${row('landmark NME (outer-eye-corner distance)', (m) => m.nme)}
${row('landmark NME (√(w·h) of the landmark box)', (m) => m.nmeBox)}
${row('yaw error (°)', (m) => m.yaw, 2)}${row('pitch error (°)', (m) => m.pitch, 2)}${row('roll error (°)', (m) => m.roll, 2)}
${row('shape RMS error (mm)', (m) => m.shape, 2)}
${row('multi-view UV |Δ| (0–255)', (m) => m.uvDiff, 2)}${row('multi-view UV overlap', (m) => m.uvOverlap, 3)}
</table>
<h2>Loss</h2><img src="loss.png"><h2>Validation metrics</h2><img src="metrics.png">
<h2>Validation samples</h2><p>Truth landmarks green, fitted red; mesh grid lines green where visible.</p><img src="montage.png">
${mean ? '<h2>Mean UV image per identity</h2><img src="mean_uv.png">' : ''}
</body></html>`;
  await writeFileAtomic(join(dir, 'index.html'), html);
  return dir;
}

import type { MorphableModel } from '@3dmm-stn/morphable-model';
import type { Rng } from './rng';

/**
 * Procedural face textures in the model's UV space, so that the STN's UV images are meaningful:
 * skin tone with soft symmetric shading, eyebrows, eyes (sclera + iris), lips and nostrils drawn
 * at the UV positions of the model's landmark vertices.
 *
 * Convention (the renderer's): texture row 0 at v = 1, texel (row i, col j) centred at
 * u = (j + ½)/W, v = 1 − (i + ½)/H; values RGB in [0, 255] (Float32Array).
 */

export interface Texture {
  data: Float32Array; // [T, T, 3]
  width: number;
  height: number;
  channels: 3;
}

/** UV → texel coordinates (x right, y down) of each ibug landmark (NaN where the model has none). */
export function landmarkTexels(model: MorphableModel, size: number): Float32Array {
  const out = new Float32Array(136).fill(Number.NaN);
  const tc = model.texCoords;
  if (!tc) return out;
  for (let k = 0; k < 68; k++) {
    const v = model.landmarks[k];
    if (v < 0) continue;
    out[2 * k] = tc[2 * v] * size - 0.5;
    out[2 * k + 1] = (1 - tc[2 * v + 1]) * size - 0.5;
  }
  return out;
}

const SKIN: [number, number, number][] = [
  [241, 194, 167],
  [224, 172, 138],
  [198, 134, 96],
  [161, 102, 66],
  [112, 72, 48],
  [236, 188, 150],
  [186, 128, 92],
];
const HAIR: [number, number, number][] = [
  [40, 28, 20],
  [70, 48, 30],
  [20, 18, 18],
  [120, 84, 50],
  [160, 130, 90],
];
const IRIS: [number, number, number][] = [
  [60, 40, 25],
  [40, 80, 120],
  [70, 100, 60],
  [30, 25, 20],
];

function pick<T>(rng: Rng, a: T[]): T {
  return a[rng.int(a.length)];
}

function pointInPolygon(x: number, y: number, poly: number[]): boolean {
  let inside = false;
  const n = poly.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = poly[2 * i];
    const yi = poly[2 * i + 1];
    const xj = poly[2 * j];
    const yj = poly[2 * j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function distToSegment(
  px: number,
  py: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
): number {
  const dx = bx - ax;
  const dy = by - ay;
  const l2 = dx * dx + dy * dy;
  const t = l2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / l2)) : 0;
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** Indices (0-based ibug) → polygon of texel points, skipping undefined ones. */
function poly(lm: Float32Array, ids: number[]): number[] {
  const out: number[] = [];
  for (const i of ids) if (Number.isFinite(lm[2 * i])) out.push(lm[2 * i], lm[2 * i + 1]);
  return out;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, k) => a + k - 1); // 1-based inclusive → 0-based
}

/** A random face texture of side `size` for `model`, drawn from `rng`. */
export function proceduralTexture(model: MorphableModel, size: number, rng: Rng): Texture {
  const T = size;
  const data = new Float32Array(T * T * 3);
  const lm = landmarkTexels(model, T);
  const skin = pick(rng, SKIN).map((c) => c * rng.range(0.9, 1.1));
  const hair = pick(rng, HAIR);
  const iris = pick(rng, IRIS);
  const lip = [
    skin[0] * rng.range(0.75, 0.95),
    skin[1] * rng.range(0.45, 0.6),
    skin[2] * rng.range(0.5, 0.65),
  ];
  // Soft shading blobs, mirrored left-right so the texture is bilaterally symmetric.
  const blobs = Array.from({ length: 4 }, () => ({
    x: rng.range(0, T),
    y: rng.range(0, T),
    r: rng.range(0.1, 0.35) * T,
    a: rng.range(-0.12, 0.12),
  }));
  const browW = rng.range(0.012, 0.025) * T;
  const irisR = rng.range(0.35, 0.5);
  const eyeL = poly(lm, range(37, 42));
  const eyeR = poly(lm, range(43, 48));
  const lipsOuter = poly(lm, range(49, 60));
  const lipsInner = poly(lm, range(61, 68));
  const browL = poly(lm, range(18, 22));
  const browR = poly(lm, range(23, 27));
  const nostrils = poly(lm, [31, 35]); // ibug 32, 36
  const eyes = [eyeL, eyeR].map((p) => {
    let cx = 0;
    let cy = 0;
    let w = 0;
    for (let i = 0; i < p.length / 2; i++) {
      cx += p[2 * i];
      cy += p[2 * i + 1];
    }
    cx /= Math.max(1, p.length / 2);
    cy /= Math.max(1, p.length / 2);
    for (let i = 0; i < p.length / 2; i++) w = Math.max(w, Math.abs(p[2 * i] - cx));
    return { p, cx, cy, r: w * irisR };
  });
  const nostrilR = Math.max(0.8, 0.012 * T);
  // Skin with mirrored shading blobs.
  for (let y = 0; y < T; y++) {
    for (let x = 0; x < T; x++) {
      let shade = 1;
      for (const b of blobs) {
        const dy2 = (y - b.y) ** 2;
        shade +=
          b.a *
          (Math.exp(-((x - b.x) ** 2 + dy2) / (b.r * b.r)) +
            Math.exp(-((x - (T - 1 - b.x)) ** 2 + dy2) / (b.r * b.r)));
      }
      const o = (y * T + x) * 3;
      for (let k = 0; k < 3; k++) data[o + k] = skin[k] * shade;
    }
  }
  // Features, each drawn over its own bounding box only.
  const paint = (pts: number[], grow: number, f: (x: number, y: number, o: number) => void) => {
    if (pts.length < 2) return;
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < pts.length; i += 2) {
      x0 = Math.min(x0, pts[i]);
      x1 = Math.max(x1, pts[i]);
      y0 = Math.min(y0, pts[i + 1]);
      y1 = Math.max(y1, pts[i + 1]);
    }
    for (
      let y = Math.max(0, Math.floor(y0 - grow));
      y <= Math.min(T - 1, Math.ceil(y1 + grow));
      y++
    ) {
      for (
        let x = Math.max(0, Math.floor(x0 - grow));
        x <= Math.min(T - 1, Math.ceil(x1 + grow));
        x++
      )
        f(x, y, (y * T + x) * 3);
    }
  };
  const set = (o: number, c: ArrayLike<number>) => {
    data[o] = c[0];
    data[o + 1] = c[1];
    data[o + 2] = c[2];
  };
  for (const brow of [browL, browR]) {
    paint(brow, browW + 1, (x, y, o) => {
      let d = Infinity;
      for (let i = 0; i + 3 < brow.length; i += 2)
        d = Math.min(d, distToSegment(x, y, brow[i], brow[i + 1], brow[i + 2], brow[i + 3]));
      if (d < browW) set(o, hair);
    });
  }
  for (const e of eyes) {
    if (e.p.length < 6) continue;
    paint(e.p, 1, (x, y, o) => {
      if (pointInPolygon(x, y, e.p))
        set(o, Math.hypot(x - e.cx, y - e.cy) < e.r ? iris : [235, 232, 225]);
    });
  }
  if (lipsOuter.length >= 6)
    paint(lipsOuter, 1, (x, y, o) => pointInPolygon(x, y, lipsOuter) && set(o, lip));
  if (lipsInner.length >= 6)
    paint(
      lipsInner,
      1,
      (x, y, o) =>
        pointInPolygon(x, y, lipsInner) &&
        set(
          o,
          lip.map((v) => v * 0.45),
        ),
    );
  for (let i = 0; i + 1 < nostrils.length; i += 2) {
    paint([nostrils[i], nostrils[i + 1]], nostrilR + 1, (x, y, o) => {
      if (Math.hypot(x - nostrils[i], y - nostrils[i + 1]) < nostrilR)
        for (let k = 0; k < 3; k++) data[o + k] *= 0.5;
    });
  }
  for (let i = 0; i < data.length; i += 3) {
    const n = rng.range(-4, 4);
    for (let k = 0; k < 3; k++) data[i + k] = Math.max(0, Math.min(255, data[i + k] + n));
  }
  return { data, width: T, height: T, channels: 3 };
}

/** A random background of side `size`: a colour gradient with a few shapes and noise. */
export function proceduralBackground(size: number, rng: Rng): Float32Array {
  const S = size;
  const out = new Float32Array(S * S * 3);
  const c0 = [rng.range(0, 255), rng.range(0, 255), rng.range(0, 255)];
  const c1 = [rng.range(0, 255), rng.range(0, 255), rng.range(0, 255)];
  const ang = rng.range(0, 2 * Math.PI);
  const [gx, gy] = [Math.cos(ang), Math.sin(ang)];
  const shapes = Array.from({ length: rng.int(5) }, () => ({
    x: rng.range(0, S),
    y: rng.range(0, S),
    r: rng.range(0.05, 0.3) * S,
    box: rng.uniform() < 0.5,
    c: [rng.range(0, 255), rng.range(0, 255), rng.range(0, 255)],
  }));
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const t = Math.max(0, Math.min(1, 0.5 + ((x / S - 0.5) * gx + (y / S - 0.5) * gy)));
      let r = c0[0] * (1 - t) + c1[0] * t;
      let g = c0[1] * (1 - t) + c1[1] * t;
      let b = c0[2] * (1 - t) + c1[2] * t;
      for (const s of shapes) {
        const dx = x - s.x;
        const dy = y - s.y;
        const inside = s.box
          ? Math.abs(dx) < s.r && Math.abs(dy) < s.r * 0.6
          : dx * dx + dy * dy < s.r * s.r;
        if (inside) [r, g, b] = s.c;
      }
      const o = (y * S + x) * 3;
      const n = rng.range(-6, 6);
      out[o] = Math.max(0, Math.min(255, r + n));
      out[o + 1] = Math.max(0, Math.min(255, g + n));
      out[o + 2] = Math.max(0, Math.min(255, b + n));
    }
  }
  return out;
}

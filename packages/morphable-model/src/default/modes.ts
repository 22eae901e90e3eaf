import { FACE } from './anthropometry';
import { bump, bumpPair, kernel, plateau, smoothstep } from './profile';
import { browDepth, chinDepth, EYE_CENTRE, eyeDepth, noseDepth } from './surface';

/**
 * The generated face's modes: smooth offset fields over the mesh, each at one standard
 * deviation, in mm. Identity modes follow the spread of the anthropometric norms (Farkas:
 * SDs of about 6–7 mm for face width and height, 3–4 mm for nose and intercanthal sizes);
 * expression modes are typical 1-SD excursions of facial actions. Every field is a function
 * of the vertex's frontal base position (x, y) (and of its mean position and normal), built
 * from the same compact bumps as the shape, so it is smooth and exactly left-right symmetric
 * (x-component odd in x, y and z even).
 */
export interface ModeInput {
  N: number;
  /** [N, 2] frontal base (x, y). */
  base: Float64Array;
  /** [N, 3] mean positions, mm (before re-centring). */
  positions: Float64Array;
  /** [N, 3] unit normals of the mean. */
  normals: Float32Array;
}

export interface ModeDefinition {
  name: string;
  /** Offset (dx, dy, dz) at vertex i, mm at 1 SD. */
  offset(i: number, m: ModeInput): [number, number, number];
}

const signOf = (x: number) => (x < 0 ? -1 : x > 0 ? 1 : 0);
/** Smooth max(u, 0) with a 2 mm rounding. */
const softPlus = (u: number) => (Math.sqrt(u * u + 4) + u) / 2;

/** Identity modes, in decreasing order of their variance. */
export const IDENTITY_MODES: readonly ModeDefinition[] = Object.freeze([
  {
    // lower face height (n–gn SD ≈ 6 mm): stretch below the eyes, a little above
    name: 'face height',
    offset(i, m) {
      const y = m.base[2 * i + 1] - FACE.endocanthionY;
      return [0, y * (0.035 - 0.015 * Math.tanh(y / 15)), 0];
    },
  },
  {
    // bizygomatic width (zy–zy SD ≈ 7 mm): ±3.5 mm each side
    name: 'face width',
    offset(i, m) {
      return [(3.5 / FACE.zygionX) * m.base[2 * i], 0, 0];
    },
  },
  {
    // mandible width (go–go SD ≈ 8 mm) below the mouth, fading out above the nose
    name: 'jaw width',
    offset(i, m) {
      const x = m.base[2 * i];
      const y = m.base[2 * i + 1];
      return [(4 / FACE.gonionX) * x * (1 - smoothstep((y + 25) / 40)), 0, 0];
    },
  },
  {
    // cheek fullness: the cheeks swell along the surface normal
    name: 'cheek fullness',
    offset(i, m) {
      const a = 3.5 * bumpPair(m.base[2 * i], m.base[2 * i + 1], 42, -8, 32, 30);
      return [a * m.normals[3 * i], a * m.normals[3 * i + 1], a * m.normals[3 * i + 2]];
    },
  },
  {
    // chin: forward and down
    name: 'chin protrusion',
    offset(i, m) {
      const x = m.base[2 * i];
      const y = m.base[2 * i + 1];
      const b = bump(x, y, 0, -75, 30, 24);
      return [0, -1.5 * b, 0.35 * chinDepth(x, y) + 2 * b];
    },
  },
  {
    // nose size: 20 % more protrusion, longer (tip 3 mm down) and wider
    name: 'nose size',
    offset(i, m) {
      const x = m.base[2 * i];
      const y = m.base[2 * i + 1];
      const nose = noseDepth(x, y);
      const w = nose / 20; // 0 … ~1 over the nose
      const along = smoothstep((FACE.nasionY - y) / (FACE.nasionY - FACE.pronasaleY));
      return [0.1 * x * w, -3 * w * along, 0.2 * nose];
    },
  },
  {
    // intercanthal width (en–en SD ≈ 3 mm): each eye region shifts 1.5 mm sideways, rigidly
    // (the plateau covers both canthi; its support stops short of the midline)
    name: 'eye spacing',
    offset(i, m) {
      const x = m.base[2 * i];
      const y = m.base[2 * i + 1];
      const [ex, ey] = EYE_CENTRE;
      const b = plateau(x, y, ex, ey, ex - 0.5, 22) + plateau(x, y, -ex, ey, ex - 0.5, 22);
      return [1.5 * signOf(x) * b, 0, 0];
    },
  },
  {
    // brow ridge prominence with deeper eye sockets
    name: 'brow depth',
    offset(i, m) {
      const x = m.base[2 * i];
      const y = m.base[2 * i + 1];
      return [0, 0, 0.7 * browDepth(x, y) + 0.15 * eyeDepth(x, y)];
    },
  },
]);

/** Expression modes, in decreasing order of their variance. */
export const EXPRESSION_MODES: readonly ModeDefinition[] = Object.freeze([
  {
    // jaw drop: the lower face turns about a hinge in front of the ears (4.5° at 1 SD); the
    // lips part at the mouth line, the cheeks stretch over a band widening to the sides.
    name: 'mouth open',
    offset(i, m) {
      const x = Math.abs(m.base[2 * i]);
      const y = m.base[2 * i + 1];
      const over = softPlus(x - (FACE.cheilionX - 4));
      const lineY = FACE.stomionY - 0.015 * over * over;
      const width = 3 + 0.8 * over;
      const w = smoothstep((lineY - y) / width + 0.5);
      const theta = (4.5 * Math.PI) / 180;
      const hingeY = 5;
      const hingeZ = -85;
      const py = m.positions[3 * i + 1] - hingeY;
      const pz = m.positions[3 * i + 2] - hingeZ;
      return [0, -theta * pz * w, theta * py * w];
    },
  },
  {
    // brow raise: brows and forehead up, fading towards the eyes, the hairline and the temples
    name: 'brow raise',
    offset(i, m) {
      const x = Math.abs(m.base[2 * i]);
      const y = m.base[2 * i + 1] - (FACE.browY + 2);
      const b = kernel((y * y) / (22 * 22)) * (1 - smoothstep((x - 40) / 35));
      return [0, 5 * b, 0];
    },
  },
  {
    // smile: mouth corners up, out and back, cheeks up
    name: 'smile',
    offset(i, m) {
      const x = m.base[2 * i];
      const y = m.base[2 * i + 1];
      const c = bumpPair(x, y, FACE.cheilionX, FACE.stomionY, 20, 16);
      const k = bumpPair(x, y, 38, -8, 20, 18);
      return [3.5 * signOf(x) * c, 4 * c + 2 * k, -2 * c + 1.5 * k];
    },
  },
  {
    // pucker: lips forward, mouth corners towards the midline
    name: 'pucker',
    offset(i, m) {
      const x = m.base[2 * i];
      const y = m.base[2 * i + 1];
      const b = bump(x, y, 0, FACE.stomionY, 34, 16);
      return [(-4 / FACE.cheilionX) * x * b, 0, 4 * b];
    },
  },
  {
    // frown (brow lowerer): inner brows down, together and forward
    name: 'frown',
    offset(i, m) {
      const x = m.base[2 * i];
      const y = m.base[2 * i + 1];
      const b = bumpPair(x, y, 17, FACE.browY - 3, 17, 13);
      return [-2 * signOf(x) * b, -3 * b, 1 * b];
    },
  },
]);

/**
 * Evaluates mode definitions into a mode-major [D, N, 3] basis (1-SD offsets, mm) and the
 * variances Σ offset² of each mode (so basis / √variance has unit norm, as a PCA basis would).
 */
export function evaluateModes(
  defs: readonly ModeDefinition[],
  m: ModeInput,
): { basis: Float32Array; variance: Float32Array; names: string[] } {
  const N = m.N;
  const basis = new Float32Array(defs.length * 3 * N);
  const variance = new Float32Array(defs.length);
  defs.forEach((def, k) => {
    let ss = 0;
    const off = k * 3 * N;
    for (let i = 0; i < N; i++) {
      const d = def.offset(i, m);
      basis[off + 3 * i] = d[0];
      basis[off + 3 * i + 1] = d[1];
      basis[off + 3 * i + 2] = d[2];
      ss += d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    }
    variance[k] = ss;
  });
  return { basis, variance, names: defs.map((d) => d.name) };
}

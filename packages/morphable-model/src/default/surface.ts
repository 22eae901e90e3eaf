import { FACE } from './anthropometry';
import { bump, bumpPair, kernel, monotoneCubic, smoothstep } from './profile';

/**
 * The generated face's mean surface over the (rows × cols) parameter grid of `gridTopology`.
 *
 * Base: a generalised cylinder of horizontal elliptic sections, x = A(y)·sin φ,
 * z = Z(y) − C(y)·(1 − cos φ), longitude φ ∈ [−80°, 80°] (column), the height y running from
 * the hairline down to the jaw line, whose height rises from the chin (φ = 0) to the gonial
 * angles (φ = ±80°); the last rows curl under the jaw towards the neck. Features (brow ridge,
 * eye sockets and eyes, nose, cheekbones, lips, chin) are smooth compact bumps in depth at
 * frontal positions from `FACE`.
 */
export interface FaceSurface {
  /** [N, 3] positions, mm (not yet re-centred). */
  positions: Float64Array;
  /** [N, 2] frontal base coordinates (x, y) before the features: the modes' domain. */
  base: Float64Array;
  /** [N] longitude φ of each vertex, radians. */
  phi: Float64Array;
  /** [N] 0 on the face, rising to 1 at the bottom boundary under the jaw. */
  underJaw: Float64Array;
}

export const PHI_MAX = (80 * Math.PI) / 180;
/** Fraction of the rows (from the bottom) that curl under the jaw. */
const UNDER_JAW = 0.08;

// Half-width of the head section at height y (zygion at the cheekbones, narrowing to the jaw).
const halfWidth = monotoneCubic([
  [-110, 36],
  [-90, 42],
  [-70, 50],
  [FACE.gonionY, FACE.gonionX + 4],
  [-40, 60],
  [-20, 66],
  [0, 68.5],
  [20, FACE.zygionX],
  [40, 68],
  [60, 65],
  [80, 62],
  [110, 57],
]);
// Depth of the section from the front to its side (sets how quickly the face turns away).
const sectionDepth = monotoneCubic([
  [-100, 100],
  [-40, 112],
  [0, 100],
  [30, 84],
  [60, 84],
  [110, 90],
]);
// Midline depth of the base before features: the forehead slopes back above the brow.
const frontZ = monotoneCubic([
  [-100, -11],
  [-80, -7],
  [-40, -2],
  [0, 0],
  [30, 0],
  [50, -2],
  [70, -7],
  [110, -22],
]);
// Nose: ridge height over the base and half-width along the midline.
const noseHeight = monotoneCubic([
  [52, 0],
  [FACE.nasionY + 4, 5],
  [FACE.nasionY, 7],
  [20, 11],
  [5, 15],
  [FACE.pronasaleY + 2, 20],
  [FACE.pronasaleY - 3, 18.5],
  [FACE.pronasaleY - 8, 12],
  [FACE.subnasaleY, 4],
  [FACE.subnasaleY - 4, 0],
]);
const noseWidth = monotoneCubic([
  [52, 16],
  [FACE.nasionY, 15],
  [20, 16],
  [5, 17],
  [FACE.pronasaleY, 18],
  [FACE.pronasaleY - 7, 21],
  [FACE.subnasaleY, 19],
  [FACE.subnasaleY - 4, 16],
]);

/** Height of the jaw line at longitude φ: the menton at φ = 0, the gonial angle at the side. */
export function jawLineY(phi: number): number {
  return FACE.gnathionY + (-50 - FACE.gnathionY) * smoothstep(Math.abs(phi) / PHI_MAX);
}

/** Height of the top boundary at longitude φ (the hairline falls towards the temples). */
function topY(phi: number): number {
  const t = phi / PHI_MAX;
  return FACE.trichionY - 25 * t * t;
}

/** The base (featureless) surface point at height y and longitude φ. */
export function basePoint(y: number, phi: number): [number, number, number] {
  return [halfWidth(y) * Math.sin(phi), y, frontZ(y) - sectionDepth(y) * (1 - Math.cos(phi))];
}

/** The nose (ridge, tip, alae) in depth at frontal position (x, y), mm. */
export function noseDepth(x: number, y: number): number {
  let dz = 0;
  const h = noseHeight(y);
  if (h > 0) {
    const w = noseWidth(y);
    dz += h * kernel((x * x) / (w * w));
  }
  return dz + 5 * bumpPair(x, y, FACE.alareX - 2, FACE.subnasaleY + 6, 7, 6);
}

/** The brow ridge and glabella in depth, mm. */
export function browDepth(x: number, y: number): number {
  return (
    4 * bump(x, y, 0, FACE.glabellaY - 1, 58, 11) + 2 * bump(x, y, 0, FACE.glabellaY - 2, 15, 10)
  );
}

/** Eye centre (between the canthi) on the subject's left; the right one is its mirror. */
export const EYE_CENTRE: readonly [number, number] = Object.freeze([
  (FACE.endocanthionX + FACE.exocanthionX) / 2,
  (FACE.endocanthionY + FACE.exocanthionY) / 2,
] as const);

/** The eye sockets (negative) with the eyes in them, mm. */
export function eyeDepth(x: number, y: number): number {
  const [ex, ey] = EYE_CENTRE;
  return -11 * bumpPair(x, y, ex, ey + 1, 24, 17) + 8 * bumpPair(x, y, ex, ey + 0.5, 14.5, 9);
}

/** The chin: pogonion bump and labiomental fold, mm. */
export function chinDepth(x: number, y: number): number {
  return 12 * bump(x, y, 0, -76, 24, 18) - 3 * bump(x, y, 0, -58, 22, 6);
}

/** Depth offset of all facial features at frontal base position (x, y), mm. */
export function featureDepth(x: number, y: number): number {
  let dz = noseDepth(x, y) + browDepth(x, y) + eyeDepth(x, y) + chinDepth(x, y);
  // forehead, cheekbones and cheeks, temples
  dz += 3 * bump(x, y, 0, 72, 55, 32);
  dz += 5 * bumpPair(x, y, 48, 12, 22, 16);
  dz += 3 * bumpPair(x, y, 36, -12, 20, 18);
  dz -= 3 * bumpPair(x, y, 58, 55, 14, 18);
  // the dental arch under the lips, lips, the mouth line and its corners
  dz += 5 * bump(x, y, 0, FACE.stomionY + 1, 36, 26);
  dz += 3 * bump(x, y, 0, FACE.labraleSuperiusY - 2, FACE.cheilionX - 1, 6);
  dz += 4 * bump(x, y, 0, FACE.labraleInferiusY + 3, FACE.cheilionX - 4, 7);
  dz -= 2.5 * bump(x, y, 0, FACE.stomionY, FACE.cheilionX + 1, 2.8);
  dz -= 1 * bumpPair(x, y, FACE.cheilionX + 1, FACE.stomionY, 8, 6);
  return dz;
}

/** Builds the mean surface on a rows × cols grid (cols odd). */
export function faceSurface(rows: number, cols: number): FaceSurface {
  const N = rows * cols;
  const positions = new Float64Array(3 * N);
  const base = new Float64Array(2 * N);
  const phiOut = new Float64Array(N);
  const underJaw = new Float64Array(N);
  const faceRows = Math.round((rows - 1) * (1 - UNDER_JAW)); // rows 0 … faceRows on the face
  const mid = (cols - 1) / 2;
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const v = j * cols + i;
      // Exact mirror symmetry: compute with |column offset| and flip x.
      const side = i < mid ? -1 : 1;
      const phi = (Math.abs(i - mid) / mid) * PHI_MAX;
      const ye = jawLineY(phi);
      let x: number;
      let y: number;
      let z: number;
      let s = 0;
      if (j <= faceRows) {
        const t = 1 - j / faceRows; // 1 at the top row, 0 at the jaw line
        y = ye + t * (topY(phi) - ye);
        [x, , z] = basePoint(y, phi);
      } else {
        // Under the jaw: from the jaw line, first down, then back towards the neck.
        s = (j - faceRows) / (rows - 1 - faceRows);
        const [xe, , ze] = basePoint(ye, phi);
        const zAxis = -75;
        const dx = -xe;
        const dzA = zAxis - ze;
        const l = Math.hypot(dx, dzA);
        const inward = 22 * s * s;
        x = xe + (dx / l) * inward;
        z = ze + (dzA / l) * inward;
        y = ye - 6 * (1 - (1 - s) * (1 - s));
      }
      base[2 * v] = side * x;
      base[2 * v + 1] = y;
      const fade = (1 - s) * (1 - s);
      positions[3 * v] = side * x;
      positions[3 * v + 1] = y;
      positions[3 * v + 2] = z + fade * featureDepth(x, j <= faceRows ? y : ye);
      phiOut[v] = side * phi;
      underJaw[v] = s;
    }
  }
  return { positions, base, phi: phiOut, underJaw };
}

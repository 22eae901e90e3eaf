import { IBUG_FLIP } from '../ibug';
import { FACE } from './anthropometry';
import { PHI_MAX, jawLineY } from './surface';

/**
 * Where the generated face's ibug-68 points are: frontal targets (x, y) on the subject's right
 * (x ≤ 0) and the midline; the left side is their mirror (ibug flip pairs, FORMATS.md).
 */

/** ibug id (1-based) → its mirror id (index 0 unused). */
export const IBUG_MIRROR: readonly number[] = Object.freeze([0, ...IBUG_FLIP.map((j) => j + 1)]);

/**
 * Contour points 1–9 (the right jaw outline down to the menton) as (longitude φ, height y):
 * 1–4 on the side of the face in front of the ear, 5–9 along the jaw line.
 */
export function contourTargets(): Map<number, [number, number]> {
  const deg = Math.PI / 180;
  const t = new Map<number, [number, number]>();
  const side = -76 * deg;
  t.set(1, [side, 26]);
  t.set(2, [side, 8]);
  t.set(3, [side, -10]);
  t.set(4, [-74 * deg, -28]);
  const jaw = [-64, -50, -35, -18, 0];
  jaw.forEach((d, k) => {
    const phi = Math.max(-PHI_MAX, d * deg);
    t.set(5 + k, [phi, jawLineY(phi)]);
  });
  return t;
}

/** Frontal targets (x, y) of the inner points on the right side and the midline. */
export function innerTargets(): Map<number, [number, number]> {
  const F = FACE;
  const eyeMidX = (F.endocanthionX + F.exocanthionX) / 2;
  const eyeY = (F.endocanthionY + F.exocanthionY) / 2;
  const lid = F.fissureHeight / 2;
  const t = new Map<number, [number, number]>([
    // right eyebrow, outer (18) to inner (22)
    [18, [-57, F.browY - 5]],
    [19, [-47, F.browY]],
    [20, [-36, F.browY + 2]],
    [21, [-24, F.browY + 1]],
    [22, [-13, F.browY - 2]],
    // nose bridge to tip, nostrils and subnasale
    [28, [0, F.nasionY - 2]],
    [29, [0, 21]],
    [30, [0, 8]],
    [31, [0, F.pronasaleY + 1]],
    [32, [-(F.alareX - 4), F.subnasaleY + 3]],
    [33, [-7, F.subnasaleY + 1]],
    [34, [0, F.subnasaleY]],
    // right eye: outer corner, upper lid, inner corner, lower lid
    [37, [-F.exocanthionX, F.exocanthionY]],
    [38, [-(eyeMidX + 6), eyeY + lid]],
    [39, [-(eyeMidX - 6), eyeY + lid]],
    [40, [-F.endocanthionX, F.endocanthionY]],
    [41, [-(eyeMidX - 6), eyeY - lid]],
    [42, [-(eyeMidX + 6), eyeY - lid]],
    // outer lips
    [49, [-F.cheilionX, F.stomionY]],
    [50, [-15, F.labraleSuperiusY - 2]],
    [51, [-5, F.labraleSuperiusY + 0.5]],
    [52, [0, F.labraleSuperiusY]],
    [58, [0, F.labraleInferiusY]],
    [59, [-7, F.labraleInferiusY + 0.5]],
    [60, [-16, F.labraleInferiusY + 3]],
    // inner lips: 61 corner, 62–63 upper, 67–68 lower
    [61, [-(F.cheilionX - 4), F.stomionY]],
    [62, [-9, F.stomionY + 1.2]],
    [63, [0, F.stomionY + 1.2]],
    [67, [0, F.stomionY - 1.2]],
    [68, [-9, F.stomionY - 1.2]],
  ]);
  return t;
}

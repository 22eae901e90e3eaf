/**
 * The ibug 68-point left-right mirror (FORMATS.md): a horizontal flip of a face moves point i to
 * `IBUG_FLIP[i]` (0-based; 1↔17, 37↔46, …; 9, 28–31, 34, 52, 58, 63, 67 map to themselves).
 */
const PAIRS_1_BASED: readonly (readonly [number, number])[] = [
  [1, 17],
  [2, 16],
  [3, 15],
  [4, 14],
  [5, 13],
  [6, 12],
  [7, 11],
  [8, 10],
  [18, 27],
  [19, 26],
  [20, 25],
  [21, 24],
  [22, 23],
  [32, 36],
  [33, 35],
  [37, 46],
  [38, 45],
  [39, 44],
  [40, 43],
  [41, 48],
  [42, 47],
  [49, 55],
  [50, 54],
  [51, 53],
  [56, 60],
  [57, 59],
  [61, 65],
  [62, 64],
  [66, 68],
];

/** `[68]` 0-based: the ibug index that point i becomes after a horizontal flip (an involution). */
export const IBUG_FLIP: readonly number[] = (() => {
  const p = Array.from({ length: 68 }, (_, i) => i);
  for (const [a, b] of PAIRS_1_BASED) {
    p[a - 1] = b - 1;
    p[b - 1] = a - 1;
  }
  return Object.freeze(p);
})();

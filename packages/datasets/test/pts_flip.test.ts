import { describe, expect, it } from 'vitest';
import { LandmarkFormatError } from '../src/errors';
import { flipImage, flipLandmarks, flipPerLandmark, IBUG_FLIP } from '../src/flip';
import { formatPts, parsePts } from '../src/pts';

const ptsText = (n = 68, rows?: string[]) =>
  `version: 1\nn_points: ${n}\n{\n${(rows ?? Array.from({ length: n }, (_, i) => `${i + 1} ${2 * i + 1.5}`)).join('\n')}\n}\n`;

describe('ibug .pts', () => {
  it('parses and converts 1-based to 0-based', () => {
    const p = parsePts(ptsText());
    expect(p.length).toBe(136);
    expect(p[0]).toBe(0);
    expect(p[1]).toBeCloseTo(0.5);
    expect(p[2 * 67]).toBe(67);
    expect(p[2 * 67 + 1]).toBeCloseTo(2 * 67 + 0.5);
  });
  it('round-trips through formatPts', () => {
    const p = parsePts(ptsText());
    expect(parsePts(formatPts(p))).toEqual(p);
  });
  it('accepts CRLF and blank lines', () => {
    expect(parsePts(ptsText().replace(/\n/g, '\r\n\r\n')).length).toBe(136);
  });
  const bad: [string, string, RegExp, number][] = [
    ['wrong count', ptsText(5), /expected n_points: 68, got 5/, 3],
    ['too few points', ptsText(68, ['1 2', '3 4']), /expected 68 points, got 2/, 6],
    ['non-numeric', ptsText(68, ['1 2', 'a 4']), /non-numeric/, 5],
    ['three columns', ptsText(68, ['1 2 3']), /expected "x y"/, 4],
    ['no brace', 'version: 1\nn_points: 68\n1 2\n', /header line/, 3],
    ['no n_points', 'version: 1\n{\n1 2\n}\n', /missing "n_points:"/, 2],
    ['no closing brace', 'version: 1\nn_points: 68\n{\n1 2\n', /missing closing/, 5],
  ];
  for (const [name, text, msg, line] of bad) {
    it(`rejects ${name} with file and line`, () => {
      try {
        parsePts(text, '/data/x.pts');
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(LandmarkFormatError);
        const err = e as LandmarkFormatError;
        expect(err.message).toMatch(msg);
        expect(err.file).toBe('/data/x.pts');
        expect(err.line).toBe(line);
        expect(err.message.startsWith(`/data/x.pts:${line}:`)).toBe(true);
      }
    });
  }
});

describe('flip permutation', () => {
  it('is an involution with the fixed points of FORMATS.md', () => {
    for (let i = 0; i < 68; i++) expect(IBUG_FLIP[IBUG_FLIP[i]]).toBe(i);
    const fixed = [...IBUG_FLIP].map((j, i) => (j === i ? i + 1 : 0)).filter(Boolean);
    expect(fixed).toEqual([9, 28, 29, 30, 31, 34, 52, 58, 63, 67]);
    expect(IBUG_FLIP[36]).toBe(45); // outer eye corners 37 ↔ 46
    expect(IBUG_FLIP[0]).toBe(16);
  });
  it('flipping landmarks twice is the identity and moves the eye corners across', () => {
    const p = new Float32Array(136).map((_, k) => (k * 7.3) % 50);
    p[4] = Number.NaN;
    const f = flipLandmarks(p, 64);
    expect(f[2 * 45]).toBeCloseTo(63 - p[2 * 36]);
    expect(f[2 * 45 + 1]).toBeCloseTo(p[2 * 36 + 1]);
    expect(Number.isNaN(f[2 * IBUG_FLIP[2]])).toBe(true);
    const ff = flipLandmarks(f, 64);
    for (let k = 0; k < 136; k++) if (k !== 4) expect(ff[k]).toBeCloseTo(p[k], 5);
  });
  it('flips the image so a pixel and its landmark stay together', () => {
    const W = 5;
    const H = 3;
    const img = new Float32Array(W * H * 3).map((_, k) => k);
    const f = flipImage(img, W, H, 3);
    // pixel (x=1, y=2) goes to x = W-1-1 = 3
    for (let c = 0; c < 3; c++) expect(f[(2 * W + 3) * 3 + c]).toBe(img[(2 * W + 1) * 3 + c]);
    expect(flipImage(f, W, H, 3)).toEqual(img);
    const conf = new Float32Array(68).map((_, i) => i);
    expect(flipPerLandmark(conf)[45]).toBe(36);
  });
});

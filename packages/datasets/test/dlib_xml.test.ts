import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDlibXml, readDlibXml } from '../src/dlib_xml';
import { LandmarkFormatError } from '../src/errors';
import { realFacesDir } from '../../../testing/fixtures';

const parts = (n: number, f: (k: number) => [number, number]) =>
  Array.from({ length: n }, (_, k) => {
    const [x, y] = f(k);
    return `      <part name='${String(k).padStart(2, '0')}' x='${x}' y='${y}'/>`;
  }).join('\n');

const xml = (body: string) =>
  `<?xml version='1.0' encoding='ISO-8859-1'?>\n<?xml-stylesheet type='text/xsl' href='x.xsl'?>\n<dataset>\n<name>t</name>\n<!-- <image file='commented.jpg'> -->\n<images>\n${body}\n</images>\n</dataset>\n`;

describe('dlib XML landmarks', () => {
  it('reads images, boxes and the 68 parts ("00" = ibug point 1), 0-based as written', () => {
    const text = xml(
      `  <image file='a.jpg' width='500' height='375'>\n    <box top='181' left='274' width='52' height='53'>\n${parts(68, (k) => [100 + k, 200 + 2 * k])}\n    </box>\n    <box top='1' left='2' width='3' height='4' ignore='1'/>\n  </image>\n  <image file="sub/b.png">\n  </image>`,
    );
    const images = parseDlibXml(text, 'x.xml', '/data');
    expect(images.map((i) => i.path)).toEqual(['/data/a.jpg', '/data/sub/b.png']);
    const [f, g] = images[0].faces;
    expect(f.box).toEqual([274, 181, 52, 53]);
    expect(f.ignore).toBe(false);
    // ibug point 1 (part "00") → row 0; point 68 → row 67; dlib pixels are already 0-based
    expect([f.landmarks?.[0], f.landmarks?.[1]]).toEqual([100, 200]);
    expect([f.landmarks?.[134], f.landmarks?.[135]]).toEqual([167, 334]);
    expect(f.line).toBe(8);
    expect(g.landmarks).toBeNull();
    expect(g.ignore).toBe(true);
    expect(images[1].faces).toEqual([]);
  });

  it('marks missing parts NaN', () => {
    const images = parseDlibXml(
      xml(
        `<image file='a.jpg'><box top='0' left='0' width='9' height='9'>\n${parts(3, (k) => [k, k])}\n</box></image>`,
      ),
    );
    const lm = images[0].faces[0].landmarks as Float32Array;
    expect(lm[4]).toBe(2);
    expect(Number.isNaN(lm[6])).toBe(true);
  });

  const bad: [string, string, RegExp, number][] = [
    [
      'a box without left',
      `<image file='a.jpg'>\n<box top='1' width='2' height='3'/>\n</image>`,
      /<box> needs a "left" attribute/,
      8,
    ],
    [
      'a non-numeric x',
      `<image file='a.jpg'>\n<box top='1' left='1' width='2' height='3'>\n<part name='00' x='a' y='2'/>\n</box></image>`,
      /x='a' must be a finite number/,
      9,
    ],
    [
      'a part index too large',
      `<image file='a.jpg'>\n<box top='1' left='1' width='2' height='3'>\n<part name='68' x='1' y='2'/>\n</box></image>`,
      /part index below 68/,
      9,
    ],
    [
      'a repeated part',
      `<image file='a.jpg'>\n<box top='1' left='1' width='2' height='3'>\n<part name='01' x='1' y='2'/>\n<part name='01' x='1' y='2'/>\n</box></image>`,
      /appears twice/,
      10,
    ],
    [
      'an unclosed image',
      `<image file='a.jpg'>\n<box top='1' left='1' width='2' height='3'/>\n`,
      /missing <\/image>/,
      7,
    ],
    [
      'a part outside a box',
      `<image file='a.jpg'>\n<part name='01' x='1' y='2'/>\n</image>`,
      /<part> outside a <box>/,
      8,
    ],
    ['an image without file', `<image>\n</image>`, /"file" attribute/, 7],
  ];
  for (const [what, body, re, line] of bad) {
    it(`names the line and what was expected: ${what}`, () => {
      let err: unknown;
      try {
        parseDlibXml(xml(body), 'bad.xml');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LandmarkFormatError);
      expect((err as LandmarkFormatError).message).toMatch(re);
      expect((err as LandmarkFormatError).line).toBe(line);
      expect((err as LandmarkFormatError).file).toBe('bad.xml');
    });
  }

  it('rejects a file that is not a dlib dataset', () => {
    expect(() => parseDlibXml('version: 1\nn_points: 68\n', 'x.pts')).toThrow(/<images>/);
  });

  it('reads a file from disk, resolving images against its folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dlib-xml-'));
    await writeFile(join(dir, 'l.xml'), xml(`<image file='p.jpg'></image>`));
    expect((await readDlibXml(join(dir, 'l.xml')))[0].path).toBe(join(dir, 'p.jpg'));
    await expect(readDlibXml(join(dir, 'missing.xml'))).rejects.toBeInstanceOf(LandmarkFormatError);
  });

  it.runIf(realFacesDir())('reads the 43 labelled faces of the shared dlib XMLs', async () => {
    const dir = join(realFacesDir() as string, 'dlib');
    const a = await readDlibXml(join(dir, 'training_with_face_landmarks.xml'));
    const b = await readDlibXml(join(dir, 'testing_with_face_landmarks.xml'));
    const faces = [...a, ...b].flatMap((i) => i.faces);
    expect(faces.length).toBe(43);
    for (const f of faces) {
      expect(f.landmarks?.every(Number.isFinite)).toBe(true);
      // the points lie in (or next to) their box
      const [x, y, w, h] = f.box;
      const lm = f.landmarks as Float32Array;
      let inside = 0;
      for (let k = 0; k < 68; k++)
        if (
          lm[2 * k] >= x - 0.2 * w &&
          lm[2 * k] <= x + 1.2 * w &&
          lm[2 * k + 1] >= y - 0.2 * h &&
          lm[2 * k + 1] <= y + 1.2 * h
        )
          inside++;
      expect(inside).toBe(68);
    }
  });
});

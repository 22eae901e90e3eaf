import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LandmarkFormatError } from './errors';

/**
 * dlib / ibug "imglab" XML landmark files (dlib's `training_with_face_landmarks.xml`):
 *
 *   <images>
 *     <image file='a.jpg' width='500' height='375'>
 *       <box top='181' left='274' width='52' height='53'>
 *         <part name='00' x='277' y='194'/>
 *         …
 *       </box>
 *     </image>
 *   </images>
 *
 * Convention: dlib's pixel coordinates are 0-based (`dlib::point` indexes pixels, the centre of
 * pixel (row i, col j) at (j, i)), the project's convention, so points are taken as they are.
 * Part "00" is ibug point 1 (part names are the 0-based ibug index, "00"…"67"). A box without
 * parts (the boxes-only `training.xml`) gives a face with `landmarks: null`. Boxes marked
 * `ignore='1'` are kept with `ignore: true` (dlib's "don't care" regions).
 */

export interface DlibFace {
  /** `[left, top, width, height]`, image pixels. */
  box: [number, number, number, number];
  /** `[68, 2]` 0-based pixels, NaN where a part is missing; null when the box has no parts. */
  landmarks: Float32Array | null;
  ignore: boolean;
  /** 1-based line of the `<box>` element in the file. */
  line: number;
}

export interface DlibImage {
  /** The `file` attribute as written. */
  file: string;
  /** Absolute path (relative paths resolve against the XML's folder). */
  path: string;
  faces: DlibFace[];
  line: number;
}

const TAG = /<(\/?)([A-Za-z_][\w-]*)((?:\s+[\w-]+\s*=\s*(?:'[^']*'|"[^"]*"))*)\s*(\/?)>/g;
const ATTR = /([\w-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g;

function attrs(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of text.matchAll(ATTR)) m.set(a[1], a[2] ?? a[3]);
  return m;
}

/**
 * Parse dlib XML text. `file` names the source in errors; `baseDir` resolves image paths.
 * Throws `LandmarkFormatError(file, line, what was expected)`.
 */
export function parseDlibXml(
  text: string,
  file = '<xml>',
  baseDir = '.',
  points = 68,
): DlibImage[] {
  // Line of a character offset (1-based), for error messages.
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (off: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const fail = (off: number, what: string): never => {
    throw new LandmarkFormatError(file, lineOf(off), what);
  };
  const num = (a: Map<string, string>, key: string, off: number, tag: string): number => {
    const v = a.get(key);
    if (v === undefined) fail(off, `<${tag}> needs a "${key}" attribute`);
    const x = Number(v);
    if (v === '' || !Number.isFinite(x))
      fail(off, `<${tag}> attribute ${key}='${v}' must be a finite number`);
    return x;
  };
  // Drop comments and processing instructions (keeping offsets: blank them out).
  const body = text.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>/g, (s) =>
    s.replace(/[^\n]/g, ' '),
  );
  const images: DlibImage[] = [];
  let image: DlibImage | null = null;
  let face: DlibFace | null = null;
  let sawImages = false;
  for (const m of body.matchAll(TAG)) {
    const off = m.index ?? 0;
    const closing = m[1] === '/';
    const tag = m[2];
    const selfClosing = m[4] === '/';
    const a = attrs(m[3]);
    if (tag === 'images') sawImages = true;
    if (tag === 'image') {
      if (closing) {
        if (!image) fail(off, '</image> without an open <image>');
        if (face) fail(off, 'expected </box> before </image>');
        image = null;
        continue;
      }
      if (image) fail(off, 'expected </image> before a new <image>');
      const f = a.get('file');
      if (!f) fail(off, `<image> needs a non-empty "file" attribute`);
      const img: DlibImage = {
        file: f as string,
        path: isAbsolute(f as string) ? (f as string) : resolve(baseDir, f as string),
        faces: [],
        line: lineOf(off),
      };
      images.push(img);
      image = selfClosing ? null : img;
    } else if (tag === 'box') {
      if (closing) {
        if (!face) fail(off, '</box> without an open <box>');
        face = null;
        continue;
      }
      if (!image) fail(off, '<box> outside an <image>');
      if (face) fail(off, 'expected </box> before a new <box>');
      const f: DlibFace = {
        box: [
          num(a, 'left', off, 'box'),
          num(a, 'top', off, 'box'),
          num(a, 'width', off, 'box'),
          num(a, 'height', off, 'box'),
        ],
        landmarks: null,
        ignore: a.get('ignore') === '1',
        line: lineOf(off),
      };
      (image as DlibImage).faces.push(f);
      face = selfClosing ? null : f;
    } else if (tag === 'part') {
      if (closing) continue;
      if (!face) fail(off, '<part> outside a <box>');
      const name = a.get('name');
      if (name === undefined || !/^\d+$/.test(name))
        fail(off, `<part> needs a numeric "name" ("00".."${points - 1}"), got ${name ?? 'none'}`);
      const k = Number(name);
      if (k >= points)
        fail(off, `<part name='${name}'>: expected a part index below ${points} (ibug-${points})`);
      const x = num(a, 'x', off, 'part');
      const y = num(a, 'y', off, 'part');
      const f = face as DlibFace;
      if (!f.landmarks) f.landmarks = new Float32Array(points * 2).fill(Number.NaN);
      if (!Number.isNaN(f.landmarks[2 * k]))
        fail(off, `<part name='${name}'> appears twice in this <box>`);
      f.landmarks[2 * k] = x;
      f.landmarks[2 * k + 1] = y;
    }
  }
  // An element left open: name the line where it was opened.
  if (face) throw new LandmarkFormatError(file, face.line, 'this <box> has no closing </box>');
  if (image)
    throw new LandmarkFormatError(
      file,
      image.line,
      `missing </image> for <image file='${image.file}'>`,
    );
  if (!sawImages && images.length === 0)
    fail(0, 'expected a dlib XML dataset with <images> and <image file=…> elements');
  return images;
}

/** Read and parse a dlib XML file; image paths resolve against its folder. */
export async function readDlibXml(file: string, points = 68): Promise<DlibImage[]> {
  let text: string;
  try {
    text = await readFile(file, 'latin1');
  } catch (e) {
    throw new LandmarkFormatError(file, 0, `cannot read: ${(e as Error).message}`);
  }
  return parseDlibXml(text, file, dirname(resolve(file)), points);
}

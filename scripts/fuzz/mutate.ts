/**
 * Mutations of seed files, as fast-check arbitraries: byte-level (truncate, bit flips, integers
 * written over header fields, insertions, deletions, duplicated runs), text-level (lines deleted,
 * duplicated, swapped or replaced by junk; tokens replaced by edge-case values) and, for images,
 * width and height written into the format's header (huge, zero, off by one).
 */
import fc from 'fast-check';

export type ByteOp =
  | { k: 'trunc'; at: number }
  | { k: 'flip'; at: number; head: boolean; bit: number }
  | { k: 'set'; at: number; head: boolean; width: 1 | 2 | 4; be: boolean; value: number }
  | { k: 'insert'; at: number; bytes: number[] }
  | { k: 'delete'; at: number; len: number }
  | { k: 'dup'; at: number; len: number };

export type TextOp =
  | { k: 'line'; at: number; action: 'delete' | 'dup' | 'swap' | 'junk'; junk: string }
  | { k: 'token'; at: number; value: string };

export type DimsOp = { k: 'dims'; w: number; h: number };

export type Op = ByteOp | TextOp | DimsOp;

/** One input: which seed (and which of its files) and what to do to it. */
export interface Mutation {
  seed: number;
  file: number;
  ops: Op[];
}

const frac = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

const INTERESTING = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
  0xffffffff,
];

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('trunc' as const), at: frac }) },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('flip' as const),
      at: frac,
      head: fc.boolean(),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('set' as const),
      at: frac,
      head: fc.boolean(),
      width: fc.constantFrom(1 as const, 2 as const, 4 as const),
      be: fc.boolean(),
      value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({ max: 0xffffffff })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('insert' as const),
      at: frac,
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('delete' as const),
      at: frac,
      len: fc.integer({ min: 1, max: 64 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('dup' as const),
      at: frac,
      len: fc.integer({ min: 1, max: 64 }),
    }),
  },
);

const TOKENS = [
  '',
  '0',
  '-0',
  '-1',
  '1',
  '1.5',
  '1e309',
  '-1e309',
  'NaN',
  'nan',
  'inf',
  '-inf',
  '.inf',
  '.nan',
  'Infinity',
  '99999999999',
  '4294967296',
  '2147483648',
  '9007199254740993',
  '0x10',
  '1e-320',
  'null',
  'true',
  '~',
  '"x"',
  "'",
  '"',
  '[]',
  '{}',
  '[',
  '{',
  '<',
  '>',
  '&',
  '&a',
  '*a',
  '!!binary',
  '#',
  ':',
  '- ',
  '\t',
  '\u0000',
  '\ufeff',
  'é',
  '__proto__',
  'constructor',
];

/** Lines that mean something in one of the formats (OBJ, pts, XML, YAML, JSON). */
const JUNK_LINES = [
  'v 1 2',
  'v nan 1 2',
  'f 0 1 2',
  'f 99999 1 2',
  'f -99999 1 2',
  'f 1/2/3/4 1 1',
  'vt x',
  'version: 2',
  'n_points: 99999999',
  'n_points: -1',
  '{',
  '}',
  '1e309 1e309',
  '<part name="00" x="1e309" y="-1"/>',
  '<box top="0" left="0" width="-5" height="nan">',
  '</box>',
  '</images>',
  '<image file="/etc/passwd">',
  '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
  '&a;&a;&a;',
  'a: &x [*x, *x, *x, *x]',
  'train: {steps: 1e309}',
  'train:',
  '  steps: -1',
  '  batchSize: 0',
  'model: {name: ../../../../etc/passwd}',
  '__proto__: {polluted: true}',
  '"weightsManifest": []',
  '"shape": [-1, 3]',
  '"dtype": "complex64"',
  '"format": "3dmm-stn-trainer-checkpoint"',
  '"shape": [1e9, 1e9]',
];

const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('line' as const),
      at: frac,
      action: fc.constantFrom('delete' as const, 'dup' as const, 'swap' as const, 'junk' as const),
      junk: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...JUNK_LINES) },
        { weight: 1, arbitrary: fc.string({ maxLength: 24, unit: 'binary' }) },
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('token' as const),
      at: frac,
      value: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...TOKENS) },
        { weight: 1, arbitrary: fc.double().map(String) },
        { weight: 1, arbitrary: fc.integer().map(String) },
        { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
      ),
    }),
  },
);

const DIMS = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 255, 256, 4096, 16383, 16384, 32767, 65535];
const dimsOp: fc.Arbitrary<DimsOp> = fc.record({
  k: fc.constant('dims' as const),
  w: fc.oneof(fc.constantFrom(...DIMS), fc.integer({ min: 0, max: 65535 })),
  h: fc.oneof(fc.constantFrom(...DIMS), fc.integer({ min: 0, max: 65535 })),
});

/** What a format's files are: text (line and token edits too) or binary; images get header dims. */
export interface MutationProfile {
  text: boolean;
  image: boolean;
}

/** The arbitrary of one input's mutation for a format with `seeds` seeds of `files` files each. */
export function mutationArb(profile: MutationProfile): fc.Arbitrary<Mutation> {
  const choices: fc.WeightedArbitrary<Op>[] = [{ weight: 3, arbitrary: byteOp }];
  if (profile.text) choices.push({ weight: 5, arbitrary: textOp });
  if (profile.image) choices.push({ weight: 1, arbitrary: dimsOp });
  return fc.record({
    seed: fc.nat(),
    file: fc.nat(),
    ops: fc.array(fc.oneof(...choices), { minLength: 1, maxLength: 4 }),
  });
}

/** Offset of `at` ∈ [0, 1) in `n` bytes; `head` keeps it in the first 512 (sizes, magic, headers). */
const pos = (at: number, n: number, head = false) =>
  Math.min(n, Math.floor(at * (head ? Math.min(n, 512) : n)));

function applyByteOp(b: Uint8Array, op: ByteOp): Uint8Array {
  const n = b.length;
  switch (op.k) {
    case 'trunc':
      return b.slice(0, pos(op.at, n));
    case 'flip': {
      if (n === 0) return b;
      const out = b.slice();
      out[Math.min(n - 1, pos(op.at, n, op.head))] ^= 1 << op.bit;
      return out;
    }
    case 'set': {
      if (n < op.width) return b;
      const out = b.slice();
      const at = Math.min(n - op.width, pos(op.at, n, op.head));
      const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
      if (op.width === 1) dv.setUint8(at, op.value & 0xff);
      else if (op.width === 2) dv.setUint16(at, op.value & 0xffff, !op.be);
      else dv.setUint32(at, op.value >>> 0, !op.be);
      return out;
    }
    case 'insert': {
      const at = pos(op.at, n);
      const out = new Uint8Array(n + op.bytes.length);
      out.set(b.subarray(0, at));
      out.set(op.bytes, at);
      out.set(b.subarray(at), at + op.bytes.length);
      return out;
    }
    case 'delete': {
      const at = pos(op.at, n);
      const out = new Uint8Array(n - Math.min(op.len, n - at));
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + op.len), at);
      return out;
    }
    case 'dup': {
      const at = pos(op.at, n);
      const run = b.subarray(at, at + op.len);
      const out = new Uint8Array(n + run.length);
      out.set(b.subarray(0, at + run.length));
      out.set(run, at + run.length);
      out.set(b.subarray(at + run.length), at + 2 * run.length);
      return out;
    }
  }
}

const TOKEN_RE = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z_0-9]*/g;

function applyTextOp(text: string, op: TextOp): string {
  if (op.k === 'line') {
    const lines = text.split('\n');
    const i = Math.min(lines.length - 1, Math.floor(op.at * lines.length));
    if (op.action === 'delete') lines.splice(i, 1);
    else if (op.action === 'dup') lines.splice(i, 0, lines[i]);
    else if (op.action === 'swap') {
      const j = Math.min(lines.length - 1, i + 1);
      [lines[i], lines[j]] = [lines[j], lines[i]];
    } else lines.splice(i, 0, op.junk);
    return lines.join('\n');
  }
  const matches = [...text.matchAll(TOKEN_RE)];
  if (matches.length === 0) return text + op.value;
  const m = matches[Math.min(matches.length - 1, Math.floor(op.at * matches.length))];
  const at = m.index ?? 0;
  return text.slice(0, at) + op.value + text.slice(at + m[0].length);
}

/** Writes width and height into an image header (JPEG SOFn, PNG IHDR, WebP VP8/VP8L/VP8X). */
export function setImageDims(b: Uint8Array, w: number, h: number): Uint8Array {
  const out = b.slice();
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (out[0] === 0x89 && out[1] === 0x50 && out.length >= 24) {
    dv.setUint32(16, w >>> 0);
    dv.setUint32(20, h >>> 0);
    return out;
  }
  if (out[0] === 0xff && out[1] === 0xd8) {
    for (let i = 2; i + 9 < out.length; ) {
      if (out[i] !== 0xff) break;
      const marker = out[i + 1];
      const len = dv.getUint16(i + 2);
      if (
        marker >= 0xc0 &&
        marker <= 0xcf &&
        marker !== 0xc4 &&
        marker !== 0xc8 &&
        marker !== 0xcc
      ) {
        dv.setUint16(i + 5, h & 0xffff);
        dv.setUint16(i + 7, w & 0xffff);
        return out;
      }
      i += 2 + len;
    }
    return out;
  }
  const fourcc = String.fromCharCode(...out.subarray(12, 16));
  if (String.fromCharCode(...out.subarray(0, 4)) === 'RIFF' && out.length >= 30) {
    if (fourcc === 'VP8 ') {
      dv.setUint16(26, w & 0x3fff, true);
      dv.setUint16(28, h & 0x3fff, true);
    } else if (fourcc === 'VP8L') {
      const wm = (w - 1) & 0x3fff;
      const hm = (h - 1) & 0x3fff;
      const bits = dv.getUint32(21, true) & 0xf0000000;
      dv.setUint32(21, (bits | wm | (hm << 14)) >>> 0, true);
    } else if (fourcc === 'VP8X') {
      const wm = Math.max(0, w - 1) & 0xffffff;
      const hm = Math.max(0, h - 1) & 0xffffff;
      out.set([wm & 0xff, (wm >> 8) & 0xff, wm >> 16, hm & 0xff, (hm >> 8) & 0xff, hm >> 16], 24);
    }
  }
  return out;
}

/** Applies the ops in order; text ops only act on text files (`text`). */
export function applyMutation(bytes: Uint8Array, ops: readonly Op[], text: boolean): Uint8Array {
  let b = bytes;
  for (const op of ops) {
    if (op.k === 'line' || op.k === 'token') {
      if (!text) continue;
      b = new TextEncoder().encode(applyTextOp(new TextDecoder().decode(b), op));
    } else if (op.k === 'dims') b = setImageDims(b, op.w, op.h);
    else b = applyByteOp(b, op);
  }
  return b;
}

/** The `count` inputs of one format, the same for the same `seed` on every machine. */
export function sampleMutations(profile: MutationProfile, count: number, seed: number): Mutation[] {
  return fc.sample(mutationArb(profile), { seed, numRuns: count });
}

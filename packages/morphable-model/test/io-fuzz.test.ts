/**
 * Corrupt input: truncations at many points and random byte flips must give a typed
 * ModelFormatError or a valid model — never another kind of error, a hang, or a huge allocation
 * (every count is checked against the bytes left before allocating).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import { checkMorphableModel } from '../src/io/validate';
import type { MorphableModel } from '../src/index';
import {
  ModelFormatError,
  loadModel,
  readEosBlendshapes,
  readEosModel,
  readModel,
  readObj,
  writeModel,
} from '../src/index';
import { rng } from './io-h5';
import { face, frontVars } from './mat-models';
import { writeMat } from './mat-writer';

const sfm = new Uint8Array(readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')));
const bs = new Uint8Array(readFileSync(fixturePath('sfm', 'expression_blendshapes_3448.bin')));

function outcome(read: () => unknown): 'ok' | 'typed' {
  try {
    const m = read();
    if (m && typeof m === 'object' && 'numVertices' in m)
      checkMorphableModel(m as MorphableModel, 'fuzz');
    return 'ok';
  } catch (e) {
    if (e instanceof ModelFormatError) return 'typed';
    throw e;
  }
}

/** Cut points: every byte of the first 64, the field boundaries' neighbourhoods, and a spread. */
function cuts(n: number, r: () => number, count: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < 64; i++) out.add(i);
  for (let k = 0; k < count; k++) out.add(Math.floor(r() * n));
  out.add(n - 1);
  return [...out];
}

describe('corrupt input never crashes', () => {
  it('eos model: every truncation is a typed error', () => {
    const r = rng(7);
    // Field boundaries of SFM 3448: after mean, basis, eigenvalues, triangles, colour model, texcoords.
    const R = 3 * 3448;
    const b1 = 4 + 8 + 4 * R;
    const b2 = b1 + 8 + 4 * R * 63;
    const b3 = b2 + 8 + 4 * 63;
    const b4 = b3 + 8 + 12 * 6736;
    const b5 = b4 + 3 * 8 + 8;
    const special = [b1, b2, b3, b4, b5].flatMap((b) => [b - 1, b, b + 1, b + 4, b + 8]);
    expect(b5 + 8 + 16 * 3448).toBe(sfm.length); // the boundaries above are the real ones
    for (const cut of [...cuts(sfm.length, r, 150), ...special]) {
      expect(outcome(() => readEosModel(sfm.subarray(0, cut), 'cut.bin'))).toBe('typed');
    }
  });

  it('eos model and blendshapes: random byte flips give a typed error or a valid model', () => {
    const r = rng(11);
    const counts = { ok: 0, typed: 0 };
    for (let trial = 0; trial < 120; trial++) {
      const bytes = Uint8Array.from(trial % 2 ? sfm : bs);
      const flips = 1 + Math.floor(r() * 4);
      for (let k = 0; k < flips; k++) {
        // Half the flips land in the first 64 bytes, where the sizes are.
        const at = r() < 0.5 ? Math.floor(r() * 64) : Math.floor(r() * bytes.length);
        bytes[at] ^= 1 << Math.floor(r() * 8);
      }
      counts[
        outcome(() =>
          trial % 2 ? readEosModel(bytes, 'f.bin') : readEosBlendshapes(bytes, 'f.bin'),
        )
      ]++;
    }
    expect(counts.ok + counts.typed).toBe(120);
    expect(counts.typed).toBeGreaterThan(20); // the corruption really reaches the checks
  });

  it('huge sizes are rejected before allocating', () => {
    for (const [at, v] of [
      [4, 0x7fffffff], // mean rows
      [8, 0x7fffffff], // mean cols
      [4 + 8 + 4 * 10344 + 4, 0x7fffffff], // basis cols
    ] as const) {
      const b = Uint8Array.from(sfm);
      new DataView(b.buffer).setInt32(at, v, true);
      expect(() => readEosModel(b, 'big.bin')).toThrow(ModelFormatError);
    }
    const b = Uint8Array.from(bs);
    new DataView(b.buffer).setUint32(4, 0xffffffff, true); // uint64 count's high word
    expect(() => readEosBlendshapes(b, 'big.bin')).toThrow(
      /blendshapes\.size: count \d+ × 16 bytes exceeds/,
    );
  });

  it('.3dmm: truncations and flips give a typed error or a valid model', () => {
    const m = readEosModel(sfm, 'sfm.bin');
    const own = writeModel(m);
    const r = rng(5);
    for (const cut of cuts(own.length, r, 100)) {
      expect(outcome(() => readModel(own.subarray(0, cut), 'cut.3dmm'))).toBe('typed');
    }
    const hlen = new DataView(own.buffer).getUint32(12, true);
    let typed = 0;
    for (let trial = 0; trial < 120; trial++) {
      const bytes = Uint8Array.from(own);
      const at = r() < 0.8 ? Math.floor(r() * (16 + hlen)) : Math.floor(r() * bytes.length);
      bytes[at] ^= 1 << Math.floor(r() * 8);
      const o = outcome(() => readModel(bytes, 'f.3dmm'));
      if (o === 'typed') typed++;
    }
    expect(typed).toBeGreaterThan(10);
  });

  it('OBJ: a bad line anywhere gives a typed error', () => {
    const text = readFileSync(fixturePath('sfm', 'sfm_reference.obj'), 'utf8').split('\n');
    const r = rng(3);
    const junk = [
      'f 0 1 2',
      'v 1 2',
      'f 1/2/3/4 1 1',
      'f 99999 1 2',
      'vt x',
      'v nan 1 2',
      'f -99999 1 2',
      'vn 1 2',
      'f 1',
    ];
    for (let trial = 0; trial < 60; trial++) {
      const lines = text.slice();
      lines.splice(Math.floor(r() * lines.length), 0, junk[trial % junk.length]);
      expect(outcome(() => readObj(lines.join('\n'), 'f.obj'))).toBe('typed');
    }
  });

  it('MAT-file (Deep3DFaceRecon layout, compressed LE and raw BE): truncations and flips give a typed error or a valid model', async () => {
    const r = rng(31);
    for (const compress of [false, true]) {
      const bytes = writeMat(frontVars(face(6, 8)), { compress, littleEndian: !compress });
      let typed = 0;
      for (let k = 0; k < 80; k++) {
        const cut = k < 20 ? 128 + k * 5 : Math.floor(r() * bytes.length);
        // Cut between two variables, the file is a valid shorter one: then the unused last
        // variable (point_buf) may be all that is missing.
        try {
          await loadModel(bytes.subarray(0, cut));
        } catch (e) {
          if (!(e instanceof ModelFormatError)) throw e;
          typed++;
        }
      }
      expect(typed).toBeGreaterThan(70);
      typed = 0;
      for (let k = 0; k < 150; k++) {
        const b = Uint8Array.from(bytes);
        for (let j = 0; j < 2; j++)
          b[128 + Math.floor(r() * (b.length - 128))] ^= 1 << Math.floor(r() * 8);
        try {
          await loadModel(b);
        } catch (e) {
          if (!(e instanceof ModelFormatError)) throw e;
          typed++;
        }
      }
      expect(typed).toBeGreaterThan(10);
    }
  });
});

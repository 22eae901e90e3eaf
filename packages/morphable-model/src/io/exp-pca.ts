/**
 * 3DDFA / Guo et al.'s expression basis `Exp_Pca.bin` (used by Deep3DFaceRecon with BFM 2009),
 * and the expression-file dispatch of `loadModel`. Browser-safe.
 *
 * Layout (Deep3DFaceRecon `util/load_mats.py` `LoadExpBasis`): int32 LE E (79), float32 expMU
 * [3n], float32 expPC [E, 3n] (mode-major: `reshape([E, -1])` then transposed to [3n, E]), with
 * n = 53,215 (BFM 2009 without the neck: 3DDFA's trimmed mesh). Units as BFM 2009 (µm); the
 * standard deviations live in a separate text file (`std_exp.txt`, E values).
 */
import { ModelFormatError } from '../errors';
import type { LinearBasis } from '../types';
import { readEosBlendshapes } from './eos';

export interface ExpPca {
  /** [n, 3] the file's expression mean (Deep3DFaceRecon does not use it), in the file's units. */
  mean: Float32Array;
  /** The basis in mm: × `std` (when given) × `unitScale`. */
  basis: LinearBasis;
}

/** Whether `bytes` have the Exp_Pca.bin layout for n vertices: 4 + 4·3n·(1 + E) bytes. */
export function isExpPcaBin(bytes: Uint8Array, numVertices: number): boolean {
  if (bytes.length < 4) return false;
  const e = new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true);
  return e > 0 && e < 10_000 && bytes.length === 4 + 12 * numVertices * (1 + e);
}

/**
 * Reads `Exp_Pca.bin`. `numVertices` defaults to what the size implies; `std` ([E] standard
 * deviations, `std_exp.txt`) scales mode k so that coefficients are ~ N(0, 1) (variance kept);
 * without it the basis is as stored. `unitScale` converts the file's units (default 1e-3: µm → mm).
 * @throws ModelFormatError naming the field and what was expected.
 */
export function readExpPcaBin(
  bytes: Uint8Array,
  file = '<bytes>',
  options: { numVertices?: number; std?: ArrayLike<number>; unitScale?: number } = {},
): ExpPca {
  if (bytes.length < 4) throw new ModelFormatError(file, 'E', 'needs a 4-byte int32 mode count');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const E = view.getInt32(0, true);
  if (!(E > 0 && E < 10_000))
    throw new ModelFormatError(file, 'E', `mode count ${E}, expected 1…9999`);
  const floats = (bytes.length - 4) / 4;
  const n = options.numVertices ?? floats / (3 * (1 + E));
  if (!Number.isInteger(n) || n <= 0 || 4 + 12 * n * (1 + E) !== bytes.length) {
    throw new ModelFormatError(
      file,
      'size',
      `${bytes.length} bytes; expected 4 + 4·3n·(1 + E) with E = ${E}${options.numVertices ? ` and n = ${options.numVertices}` : ''}`,
    );
  }
  const R = 3 * n;
  const unit = options.unitScale ?? 1e-3;
  const std = options.std;
  if (std !== undefined && std.length !== E) {
    throw new ModelFormatError(file, 'std', `${std.length} standard deviations, expected E = ${E}`);
  }
  const mean = new Float32Array(R);
  for (let i = 0; i < R; i++) mean[i] = view.getFloat32(4 + 4 * i, true);
  const basis = new Float32Array(E * R);
  const base = 4 + 4 * R;
  for (let k = 0; k < E; k++) {
    const s = (std ? Number(std[k]) : 1) * unit;
    if (!Number.isFinite(s) || s < 0)
      throw new ModelFormatError(
        file,
        'std',
        `standard deviation ${k} is ${std?.[k]}, expected ≥ 0`,
      );
    for (let i = 0; i < R; i++) {
      const x = view.getFloat32(base + 4 * (k * R + i), true);
      if (!Number.isFinite(x))
        throw new ModelFormatError(
          file,
          'expPC',
          `value ${k * R + i} is ${x}, expected a finite number`,
        );
      basis[k * R + i] = x * s;
    }
  }
  const lb: LinearBasis = { numModes: E, basis };
  if (std) lb.variance = Float32Array.from({ length: E }, (_, k) => (Number(std[k]) * unit) ** 2);
  return { mean, basis: lb };
}

/** Standard deviations from a text file of numbers (`std_exp.txt`). */
export function readStdText(text: string, file = '<text>'): Float64Array {
  const parts = text.split(/\s+/).filter((t) => t !== '');
  const out = Float64Array.from(parts, Number);
  const bad = out.findIndex((x) => !Number.isFinite(x) || x < 0);
  if (bad >= 0)
    throw new ModelFormatError(file, `value ${bad}`, `"${parts[bad]}" is not a number ≥ 0`);
  return out;
}

/**
 * The expression basis of an expression file for a model of `numVertices`: `Exp_Pca.bin` when the
 * size fits its layout (scaled by the model's `unitScale` and `std` when given), else an eos
 * blendshapes file.
 */
export function readExpressionFile(
  bytes: Uint8Array,
  file: string,
  numVertices: number,
  unitScale: number,
  std?: ArrayLike<number>,
): { basis: LinearBasis; kind: 'exp-pca' | 'eos-blendshapes' } {
  if (isExpPcaBin(bytes, numVertices)) {
    return {
      basis: readExpPcaBin(bytes, file, { numVertices, std, unitScale }).basis,
      kind: 'exp-pca',
    };
  }
  return { basis: readEosBlendshapes(bytes, file, numVertices), kind: 'eos-blendshapes' };
}

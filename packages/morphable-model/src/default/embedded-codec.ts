/**
 * The container of the embedded default model: a JSON header and typed sections, deflated and
 * base64-encoded into a TypeScript module (`ict-face-data.ts`), so that `defaultModel()` stays
 * synchronous and browser-safe (no file to fetch, no Node built-in).
 *
 * Before deflate: `uint32 LE` header length H, H bytes of UTF-8 JSON (`EmbeddedHeader`), then
 * each section's bytes in header order, each starting at a multiple of 4.
 * Mode bases are quantised per mode: int8 value q ↦ q · scale[mode] (mm); the quantisation error
 * is at most scale/2 = max|offset|/254 of that mode (measured by the build script, README).
 */
import { unzlibSync, zlibSync } from 'fflate';

export type SectionDtype = 'float32' | 'uint16' | 'int8' | 'int32';

export interface SectionSpec {
  name: string;
  dtype: SectionDtype;
  length: number;
}

export interface EmbeddedHeader {
  format: '3dmm-stn-embedded-model';
  version: 1;
  /** Everything that is not a typed section (names, landmark ids, metadata). */
  info: Record<string, unknown>;
  sections: SectionSpec[];
}

type Section = Float32Array | Uint16Array | Int8Array | Int32Array;
const CTORS = { float32: Float32Array, uint16: Uint16Array, int8: Int8Array, int32: Int32Array };
const dtypeOf = (a: Section): SectionDtype =>
  a instanceof Float32Array
    ? 'float32'
    : a instanceof Uint16Array
      ? 'uint16'
      : a instanceof Int8Array
        ? 'int8'
        : 'int32';
const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** Quantises a [D, M] mode-major basis to int8 with one scale per mode. */
export function quantiseModes(basis: Float32Array, numModes: number) {
  const m = numModes > 0 ? basis.length / numModes : 0;
  const q = new Int8Array(basis.length);
  const scale = new Float32Array(numModes);
  for (let d = 0; d < numModes; d++) {
    let max = 0;
    for (let i = 0; i < m; i++) max = Math.max(max, Math.abs(basis[d * m + i]));
    const s = max > 0 ? max / 127 : 1;
    scale[d] = s;
    for (let i = 0; i < m; i++) q[d * m + i] = Math.round(basis[d * m + i] / s);
  }
  return { q, scale };
}

/** The inverse of `quantiseModes`. */
export function dequantiseModes(q: Int8Array, scale: Float32Array): Float32Array {
  const D = scale.length;
  const out = new Float32Array(q.length);
  const m = D > 0 ? q.length / D : 0;
  for (let d = 0; d < D; d++) {
    const s = scale[d];
    for (let i = 0; i < m; i++) out[d * m + i] = q[d * m + i] * s;
  }
  return out;
}

/** Packs the header and sections and deflates them (level 9). */
export function encodeEmbedded(info: Record<string, unknown>, sections: Record<string, Section>) {
  const specs: SectionSpec[] = Object.entries(sections).map(([name, a]) => ({
    name,
    dtype: dtypeOf(a),
    length: a.length,
  }));
  const header: EmbeddedHeader = {
    format: '3dmm-stn-embedded-model',
    version: 1,
    info,
    sections: specs,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  let size = align4(4 + json.length);
  for (const a of Object.values(sections)) size = align4(size + a.byteLength);
  const raw = new Uint8Array(size);
  new DataView(raw.buffer).setUint32(0, json.length, true);
  raw.set(json, 4);
  let o = align4(4 + json.length);
  for (const a of Object.values(sections)) {
    raw.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o = align4(o + a.byteLength);
  }
  return zlibSync(raw, { level: 9 });
}

/** Inflates and unpacks what `encodeEmbedded` wrote. Little-endian hosts only (every JS engine in use). */
export function decodeEmbedded(deflated: Uint8Array): {
  info: Record<string, unknown>;
  sections: Record<string, Section>;
} {
  const raw = unzlibSync(deflated);
  const hlen = new DataView(raw.buffer, raw.byteOffset).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(raw.subarray(4, 4 + hlen))) as EmbeddedHeader;
  if (header.format !== '3dmm-stn-embedded-model' || header.version !== 1) {
    throw new Error(`embedded model: unexpected container ${header.format} v${header.version}`);
  }
  const sections: Record<string, Section> = {};
  let o = align4(4 + hlen);
  for (const s of header.sections) {
    const Ctor = CTORS[s.dtype];
    const bytes = raw.slice(o, o + s.length * Ctor.BYTES_PER_ELEMENT);
    sections[s.name] = new Ctor(bytes.buffer, 0, s.length);
    o = align4(o + bytes.byteLength);
  }
  return { info: header.info, sections };
}

/** base64 → bytes without Node's Buffer (browser-safe). */
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * A minimal MATLAB level-5 MAT-file writer: real double matrices only, uncompressed,
 * little-endian — what an AFLW2000-3D-style label (`pt3d_68`, `Pose_Para`) needs, readable by
 * MATLAB, scipy's `loadmat` and this package's `readMat`. Browser-safe (no zlib). The test
 * helpers keep their own, fuller writer as an independent oracle for the reader.
 */

/** A real matrix: `dims` (at least 2) and its values in MATLAB's column-major order. */
export interface MatMatrix {
  dims: number[];
  data: ArrayLike<number>;
}

const MI_INT8 = 1;
const MI_INT32 = 5;
const MI_UINT32 = 6;
const MI_DOUBLE = 9;
const MI_MATRIX = 14;
const MX_DOUBLE_CLASS = 6;

/** Tag + data, padded to 8 bytes. */
function element(type: number, data: Uint8Array): Uint8Array {
  const pad = (8 - (data.length % 8)) % 8;
  const out = new Uint8Array(8 + data.length + pad);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function int32s(values: number[], type = MI_INT32): Uint8Array {
  const b = new Uint8Array(4 * values.length);
  const v = new DataView(b.buffer);
  for (const [i, x] of values.entries()) v.setInt32(4 * i, x, true);
  return element(type, b);
}

function matrix(name: string, m: MatMatrix): Uint8Array {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(name))
    throw new RangeError(`encodeMat: "${name}" is not a MATLAB variable name`);
  if (m.dims.length < 2 || !m.dims.every((d) => Number.isInteger(d) && d >= 0))
    throw new RangeError(`encodeMat: ${name} needs at least 2 non-negative integer dims`);
  const n = m.dims.reduce((a, b) => a * b, 1);
  if (m.data.length !== n)
    throw new RangeError(
      `encodeMat: ${name} is ${m.dims.join(' × ')} (${n} values), got ${m.data.length}`,
    );
  const flags = new Uint8Array(8);
  new DataView(flags.buffer).setUint32(0, MX_DOUBLE_CLASS, true);
  const values = new Uint8Array(8 * n);
  const dv = new DataView(values.buffer);
  for (let i = 0; i < n; i++) dv.setFloat64(8 * i, m.data[i], true);
  const body = concat([
    element(MI_UINT32, flags),
    int32s(m.dims),
    element(MI_INT8, new TextEncoder().encode(name)),
    element(MI_DOUBLE, values),
  ]);
  const out = new Uint8Array(8 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, MI_MATRIX, true);
  v.setUint32(4, body.length, true);
  out.set(body, 8);
  return out;
}

/**
 * A level-5 MAT-file holding `vars` (in insertion order) as real double matrices.
 *
 * @example encodeMat({ Pose_Para: { dims: [1, 7], data: [pitch, yaw, roll, tx, ty, tz, s] } })
 */
export function encodeMat(vars: Record<string, MatMatrix>, description = '3dmm-stn'): Uint8Array {
  const header = new Uint8Array(128).fill(0x20);
  header.set(
    new TextEncoder().encode(`MATLAB 5.0 MAT-file, Created by: ${description}`.slice(0, 116)),
  );
  header.fill(0, 116, 124);
  new DataView(header.buffer).setUint16(124, 0x0100, true);
  header.set([0x49, 0x4d], 126); // 'IM': little-endian
  return concat([header, ...Object.entries(vars).map(([k, m]) => matrix(k, m))]);
}

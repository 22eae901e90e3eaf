/**
 * Writes MATLAB v7.3-style MAT-files for tests: an HDF5 file written by h5wasm, each variable a
 * root dataset of the reversed (row-major) shape with a `MATLAB_class` attribute, structs as
 * groups, behind the 512-byte MATLAB header (HDF5 user block).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import type { WValue } from './mat-writer';

type Group = InstanceType<typeof h5wasm.Group>;

const TYPED = {
  double: Float64Array,
  single: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
} as const;

function put(g: Group, name: string, v: WValue): void {
  switch (v.kind) {
    case 'numeric': {
      const cls = v.class as keyof typeof TYPED;
      const data = TYPED[cls].from(v.data);
      g.create_dataset({ name, data, shape: v.dims.slice().reverse() });
      (g.get(name) as Group).create_attribute('MATLAB_class', v.logical ? 'logical' : cls);
      break;
    }
    case 'char': {
      const data = Uint16Array.from(v.text, (c) => c.charCodeAt(0));
      g.create_dataset({ name, data, shape: [v.text.length, 1] });
      (g.get(name) as Group).create_attribute('MATLAB_class', 'char');
      break;
    }
    case 'struct': {
      const sub = g.create_group(name);
      sub.create_attribute('MATLAB_class', 'struct');
      for (const [k, fv] of Object.entries(v.fields[0])) put(sub, k, fv);
      break;
    }
    default:
      throw new Error(`test writer: ${v.kind} not supported in v7.3`);
  }
}

/** The bytes of a v7.3 MAT-file holding `vars`. */
export async function writeMatV73(vars: Record<string, WValue>): Promise<Uint8Array> {
  await h5wasm.ready;
  const dir = mkdtempSync(join(tmpdir(), 'mat-v73-'));
  try {
    const path = join(dir, 'x.h5');
    const f = new h5wasm.File(path, 'w');
    for (const [name, v] of Object.entries(vars)) put(f as unknown as Group, name, v);
    f.close();
    const h5 = readFileSync(path);
    const out = new Uint8Array(512 + h5.length);
    const text = 'MATLAB 7.3 MAT-file, Platform: test, Created on: test HDF5 schema 1.00 .';
    out.fill(0x20, 0, 116);
    out.set(new TextEncoder().encode(text), 0);
    new DataView(out.buffer).setUint16(124, 0x0200, true);
    out.set(new TextEncoder().encode('IM'), 126);
    out.set(h5, 512);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

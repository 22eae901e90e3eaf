import { ModelFormatError } from '@3dmm-stn/checks';

/** One weight array of a Keras layer as stored in the `.h5`. */
export interface KerasWeight {
  /** As in the layer's `weight_names` attribute, e.g. `conv1_1/kernel:0`. */
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The weights of a Keras 2 `.h5` by layer name, in the file's `layer_names` order. */
export type KerasWeights = Map<string, KerasWeight[]>;

/** h5wasm's module object: its ESM build (`h5wasm`, in-memory files) or its Node build (`h5wasm/node`, real files). */
export type H5Lib = typeof import('h5wasm')['default'];
type H5Group = InstanceType<H5Lib['Group']>;
type H5Dataset = InstanceType<H5Lib['Dataset']>;

/**
 * Reads Keras's `load_attributes_from_hdf5_group`: an attribute of strings, split into
 * `name0`, `name1`, … when it exceeded the 64 KB HDF5 object-header limit.
 */
function stringListAttribute(group: H5Group, name: string, file: string): string[] | null {
  const attrs = group.attrs;
  const decode = (v: unknown, field: string): string[] => {
    if (Array.isArray(v)) return v.map(String);
    if (typeof v === 'string') return [v];
    if (ArrayBuffer.isView(v) && (v as unknown as ArrayLike<number>).length === 0) return [];
    throw new ModelFormatError(file, `${group.path} @${field}`, 'expected a list of strings');
  };
  if (name in attrs) return decode(group.get_attribute(name, false), name);
  if (!(`${name}0` in attrs)) return null;
  const out: string[] = [];
  for (let k = 0; `${name}${k}` in attrs; k++) {
    out.push(...decode(group.get_attribute(`${name}${k}`, false), `${name}${k}`));
  }
  return out;
}

/**
 * Reads every layer's weights from the bytes of a Keras 2 HDF5 file written by `model.save`
 * (weights under `model_weights/`) or `model.save_weights` (weights at the root), following
 * Keras's `load_weights_from_hdf5_group_by_name`: the group's `layer_names` attribute lists the
 * layers; each layer group `<layer>` has a `weight_names` attribute whose entries are dataset
 * paths relative to it (`<layer>/kernel:0`, `<layer>/bias:0`).
 *
 * Browser-safe: the bytes go into the in-memory file system of h5wasm's ESM build (imported
 * dynamically: it is ESM-only, and 4 MB that a page loads only when it reads such a file). In
 * Node, `@3dmm-stn/localiser/node` reads a path in place.
 */
export async function readKerasWeightsH5(
  source: Uint8Array | ArrayBuffer,
  label = '<bytes>',
): Promise<KerasWeights> {
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  checkSignature(bytes, label);
  const mod = (await import('h5wasm')) as unknown as { default: H5Lib };
  const h5wasm = mod.default;
  const { FS } = (await h5wasm.ready) as unknown as {
    FS: { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void };
  };
  const path = `/3dmm-stn-weights-${++memfsCounter}.h5`;
  FS.writeFile(path, bytes);
  try {
    return readKerasWeightsOpenedBy(h5wasm, path, label);
  } finally {
    FS.unlink(path);
  }
}

let memfsCounter = 0;

/** Opens `path` in `h5wasm`'s file system and reads the weights. Shared by both entries. */
export function readKerasWeightsOpenedBy(h5wasm: H5Lib, path: string, label: string): KerasWeights {
  let file: InstanceType<H5Lib['File']>;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (e) {
    throw new ModelFormatError(label, '(file)', `cannot open as HDF5: ${(e as Error).message}`);
  }
  try {
    return readGroup(file, label);
  } finally {
    file.close();
  }
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Offsets where HDF5's superblock signature may sit: 0, 512, 1024, 2048, … (after a user block). */
export function* signatureOffsets(size: number): Generator<number> {
  for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) yield offset;
}

/** Whether `at` holds HDF5's signature. */
export function isHdf5Signature(at: ArrayLike<number>): boolean {
  return HDF5_SIGNATURE.every((b, k) => at[k] === b);
}

/**
 * Checked up front because h5wasm does not throw on opening a non-HDF5 file: it fails later
 * with an unhelpful message.
 */
function checkSignature(bytes: Uint8Array, label: string): void {
  for (const offset of signatureOffsets(bytes.length)) {
    if (isHdf5Signature(bytes.subarray(offset, offset + 8))) return;
  }
  throw new ModelFormatError(label, '(file)', 'cannot open as HDF5: no HDF5 signature');
}

function readGroup(file: H5Group, label: string): KerasWeights {
  let root: H5Group = file;
  if (!('layer_names' in file.attrs) && file.keys().includes('model_weights')) {
    root = file.get('model_weights') as H5Group;
  }
  const layerNames = stringListAttribute(root, 'layer_names', label);
  if (layerNames === null) {
    throw new ModelFormatError(
      label,
      `${root.path} @layer_names`,
      'missing: not a Keras weights file (neither the root nor model_weights/ has layer_names)',
    );
  }
  const out: KerasWeights = new Map();
  for (const layer of layerNames) {
    const g = root.get(layer) as H5Group | null;
    if (!g || !('keys' in g)) {
      throw new ModelFormatError(
        label,
        `${root.path}/${layer}`,
        'listed in layer_names but not a group',
      );
    }
    const names = stringListAttribute(g, 'weight_names', label) ?? [];
    out.set(
      layer,
      names.map((name) => {
        const d = g.get(name) as H5Dataset | null;
        const field = `${g.path}/${name}`;
        if (!d || !('shape' in d))
          throw new ModelFormatError(label, field, 'weight listed in weight_names but missing');
        const value = d.value;
        let values: Float32Array;
        if (value instanceof Float32Array) values = value;
        else if (value instanceof Float64Array) values = Float32Array.from(value);
        else
          throw new ModelFormatError(
            label,
            field,
            `expected float32 or float64 data, got ${JSON.stringify(d.dtype)}`,
          );
        return { name, shape: d.shape ?? [], values };
      }),
    );
  }
  return out;
}

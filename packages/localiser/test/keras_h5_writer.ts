import h5wasm from 'h5wasm/node';

/** A layer as Keras writes it: its name and its weights in `weight_names` order. */
export interface KerasLayerData {
  name: string;
  weights: { name: string; shape: number[]; values: Float32Array }[];
}

type Group = InstanceType<typeof h5wasm.Group>;

function fixedStrings(group: Group, name: string, values: string[]): void {
  // h5py stores Keras's lists of bytes as fixed-length ASCII strings ('S<n>')
  const n = Math.max(1, ...values.map((v) => v.length));
  if (values.length === 0) group.create_attribute(name, new Float64Array(0), [0]);
  else group.create_attribute(name, values, [values.length], `S${n}`);
}

function ensureGroup(parent: Group, path: string): Group {
  let g = parent;
  for (const part of path.split('/')) {
    g = (g.keys().includes(part) ? g.get(part) : g.create_group(part)) as Group;
  }
  return g;
}

/**
 * Writes the Keras 2 HDF5 weights layout (keras/saving/hdf5_format.py
 * `save_weights_to_hdf5_group`): `layer_names`, `backend`, `keras_version` attributes on
 * the weights group; a group per layer (a '/' in a layer name nests groups, as h5py does)
 * with a `weight_names` attribute and one dataset per weight at the path of its name.
 * `modelWeights` puts all of it under `model_weights/` as `model.save` does; `chunks`
 * splits `layer_names` into `layer_names0`, `layer_names1`, … as Keras does past 64 KB.
 */
export async function writeKerasH5(
  path: string,
  layers: KerasLayerData[],
  options: { modelWeights?: boolean; chunks?: number } = {},
): Promise<void> {
  await h5wasm.ready;
  const file = new h5wasm.File(path, 'w');
  try {
    const root = options.modelWeights ? file.create_group('model_weights') : file;
    const names = layers.map((l) => l.name);
    if (options.chunks && options.chunks > 1) {
      const per = Math.ceil(names.length / options.chunks);
      for (let k = 0; k * per < names.length; k++) {
        fixedStrings(root, `layer_names${k}`, names.slice(k * per, (k + 1) * per));
      }
    } else {
      fixedStrings(root, 'layer_names', names);
    }
    root.create_attribute('backend', 'tensorflow', null, 'S10');
    root.create_attribute('keras_version', '2.2.4', null, 'S5');
    for (const layer of [...layers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const g = ensureGroup(root, layer.name);
      fixedStrings(
        g,
        'weight_names',
        layer.weights.map((w) => w.name),
      );
      for (const w of layer.weights) {
        const slash = w.name.lastIndexOf('/');
        const parent = slash < 0 ? g : ensureGroup(g, w.name.slice(0, slash));
        parent.create_dataset({ name: w.name.slice(slash + 1), data: w.values, shape: w.shape });
      }
    }
  } finally {
    file.close();
  }
}

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { WeightImportError } from './errors';
import { type KerasWeight, type KerasWeights, readKerasWeightsH5 } from './keras_h5';

/** Options of the weight importers. */
export interface LoadWeightsOptions {
  /**
   * Layers of the target model to leave as they are. {@link loadVggFaceWeightsH5} always
   * leaves `theta` (VGG-Face has no θ head; its classifier fc8 is dropped).
   */
  exclude?: readonly string[];
}

/** What an import did. */
export interface WeightImportReport {
  /** Target layers whose weights were replaced. */
  loaded: string[];
  /** Source layers with weights that were not used (e.g. VGG-Face's `fc8`). */
  ignored: string[];
}

interface Source {
  name: string;
  shape: number[];
}

function shapeString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Plans the import: for every target layer with weights (and not excluded), the source
 * layer's weights in order. Collects every problem before anything is written.
 */
function plan<S extends Source>(
  model: tfl.LayersModel,
  source: Map<string, S[]>,
  exclude: ReadonlySet<string>,
): { pairs: [tfl.LayerVariable, S][]; loaded: string[]; problems: string[] } {
  const problems: string[] = [];
  const pairs: [tfl.LayerVariable, S][] = [];
  const loaded: string[] = [];
  for (const layer of model.layers) {
    const targets = layer.weights;
    if (targets.length === 0 || exclude.has(layer.name)) continue;
    const weights = source.get(layer.name);
    if (!weights) {
      problems.push(`layer '${layer.name}' missing from the source`);
      continue;
    }
    if (weights.length !== targets.length) {
      problems.push(
        `layer '${layer.name}': source has ${weights.length} weights (${weights.map((w) => w.name).join(', ')}), model expects ${targets.length} (${targets.map((t) => t.originalName).join(', ')})`,
      );
      continue;
    }
    let ok = true;
    targets.forEach((t, k) => {
      const s = weights[k];
      const expected = t.shape as number[]; // weights have fully known shapes
      if (!tf.util.arraysEqual(expected, s.shape)) {
        problems.push(
          `layer '${layer.name}' weight '${s.name}': source shape ${shapeString(s.shape)}, model expects ${shapeString(expected)} (${t.originalName})`,
        );
        ok = false;
      }
    });
    if (ok) {
      targets.forEach((t, k) => {
        pairs.push([t, weights[k]]);
      });
      loaded.push(layer.name);
    }
  }
  return { pairs, loaded, problems };
}

function unknownExcludes(model: tfl.LayersModel, exclude: readonly string[]): string[] {
  const names = new Set(model.layers.map((l) => l.name));
  return exclude.filter((n) => !names.has(n)).map((n) => `exclude: no layer '${n}' in the model`);
}

/**
 * Imports VGG-Face weights from a Keras VGGFace `VGG16` `.h5` (rcmalli
 * `rcmalli_vggface_tf_vgg16.h5` / `_notop_` or any Keras 2 file in that layout) into a
 * localiser, by layer name: conv1_1 … conv5_3, fc6, fc7. The θ head is left as
 * initialised and the file's classifier (`fc8`) is dropped. Takes the file's bytes
 * (browser-safe); `@3dmm-stn/localiser/node`'s version also takes a path.
 *
 * Kernels are imported unchanged (Keras and tfjs share the layouts [kh, kw, Cin, Cout] and
 * [in, out], and Keras VGGFace's Flatten is channels-last like tfjs's); the file's conv1_1
 * expects BGR input, which is what {@link preprocess} produces.
 *
 * Nothing is written unless every layer fits: otherwise a {@link WeightImportError} lists
 * every missing layer and every shape mismatch (fc6 only fits a `vgg16` at 224×224 —
 * exclude it to import the convolutions into another input size).
 *
 * @param bytes the `.h5` file's bytes.
 */
export async function loadVggFaceWeightsH5(
  model: tfl.LayersModel,
  bytes: Uint8Array | ArrayBuffer,
  options: LoadWeightsOptions = {},
): Promise<WeightImportReport> {
  return applyKerasWeights(model, await readKerasWeightsH5(bytes), '<bytes>', options);
}

/** Writes weights read from a Keras `.h5` into `model` (see {@link loadVggFaceWeightsH5}). Internal. */
export function applyKerasWeights(
  model: tfl.LayersModel,
  file: KerasWeights,
  label: string,
  options: LoadWeightsOptions,
): WeightImportReport {
  const exclude = new Set(['theta', ...(options.exclude ?? [])]);
  const { pairs, loaded, problems } = plan<KerasWeight>(model, file, exclude);
  problems.unshift(...unknownExcludes(model, options.exclude ?? []));
  if (problems.length > 0) throw new WeightImportError(label, problems);
  for (const [target, w] of pairs) {
    const t = tf.tensor(w.values, w.shape, 'float32');
    target.write(t);
    t.dispose();
  }
  return { loaded, ignored: ignoredLayers(file, loaded) };
}

function ignoredLayers(source: Map<string, Source[]>, loaded: readonly string[]): string[] {
  const used = new Set(loaded);
  return [...source].filter(([n, ws]) => ws.length > 0 && !used.has(n)).map(([n]) => n);
}

/**
 * Copies weights from another tfjs layers model by layer name (e.g. a saved checkpoint, or
 * a localiser with another D: exclude `theta`). Every weighted layer of `model` not in
 * `exclude` must exist in `source` with the same weight shapes; otherwise a
 * {@link WeightImportError} lists every problem and nothing is written. The target gets
 * its own copies: training either model afterwards leaves the other unchanged.
 */
export function loadLocaliserWeights(
  model: tfl.LayersModel,
  source: tfl.LayersModel,
  options: LoadWeightsOptions = {},
): WeightImportReport {
  const exclude = new Set(options.exclude ?? []);
  const byName = new Map<string, (Source & { variable: tfl.LayerVariable })[]>();
  for (const layer of source.layers) {
    byName.set(
      layer.name,
      layer.weights.map((v) => ({ name: v.originalName, shape: v.shape as number[], variable: v })),
    );
  }
  const { pairs, loaded, problems } = plan(model, byName, exclude);
  problems.unshift(...unknownExcludes(model, options.exclude ?? []));
  if (problems.length > 0) throw new WeightImportError(source.name, problems);
  for (const [target, s] of pairs) {
    const copy = tf.clone(s.variable.read());
    target.write(copy);
    copy.dispose();
  }
  return { loaded, ignored: ignoredLayers(byName, loaded) };
}

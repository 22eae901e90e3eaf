import type * as tfl from '@tensorflow/tfjs-layers';
import { readKerasWeightsH5 } from './keras_h5_node';
import {
  applyKerasWeights,
  type LoadWeightsOptions,
  type WeightImportReport,
} from './load_weights';

/**
 * `loadVggFaceWeightsH5` of the browser-safe entry, also taking the `.h5` file's path (read in
 * place by h5wasm's Node build).
 *
 * @param bytesOrPath the `.h5` file's path, or its bytes.
 */
export async function loadVggFaceWeightsH5(
  model: tfl.LayersModel,
  bytesOrPath: string | Uint8Array | ArrayBuffer,
  options: LoadWeightsOptions = {},
): Promise<WeightImportReport> {
  const label = typeof bytesOrPath === 'string' ? bytesOrPath : '<bytes>';
  return applyKerasWeights(model, await readKerasWeightsH5(bytesOrPath), label, options);
}

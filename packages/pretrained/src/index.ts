/**
 * @3dmm-stn/pretrained (browser-safe entry): the pretrained 3DMM-STN network — localiser +
 * `MorphableModelSTN` for the embedded default model — loaded from the package's own `weights/`
 * folder (no download from anywhere else). Node: `@3dmm-stn/pretrained/node`.
 */
import { PretrainedFileError } from './errors';
import { loadPretrainedFromFiles, type PretrainedNetwork } from './load';

export { PretrainedFileError } from './errors';
export { encodeFloat16, fromFloat16Bits, toFloat16Bits } from './float16';
export type { PretrainedFiles, PretrainedNetwork } from './load';
export { loadPretrainedFromFiles, topologyProblem } from './load';
export type { PretrainedMeta } from './meta';
export { parsePretrainedMeta } from './meta';

/** The shipped files, relative to the weights folder. */
export const PRETRAINED_FILES = {
  modelJson: 'model.json',
  weights: 'weights.bin',
  meta: 'pretrained.json',
} as const;

export interface LoadPretrainedOptions {
  /**
   * Folder URL of the three files. Default: the package's `weights/` folder, found from this
   * module's URL (bundlers that understand `new URL(…, import.meta.url)` — Vite, webpack 5,
   * esbuild with a file loader — copy it with the app).
   */
  baseUrl?: string | URL;
  /** `fetch` to use (default the global one). */
  fetch?: typeof fetch;
}

/** The package's weights folder as a URL. */
export function defaultWeightsUrl(): URL {
  return new URL('../weights/', import.meta.url);
}

/** Load the pretrained network in a browser (or any runtime with `fetch`). */
export async function loadPretrained(
  options: LoadPretrainedOptions = {},
): Promise<PretrainedNetwork> {
  const base = new URL(String(options.baseUrl ?? defaultWeightsUrl()));
  const get = options.fetch ?? fetch;
  const read = async (name: string): Promise<[Uint8Array, string]> => {
    const url = new URL(name, base).href;
    let res: Response;
    try {
      res = await get(url);
    } catch (e) {
      throw new PretrainedFileError(url, `cannot fetch: ${(e as Error).message}`);
    }
    if (!res.ok) throw new PretrainedFileError(url, `missing (HTTP ${res.status})`);
    return [new Uint8Array(await res.arrayBuffer()), url];
  };
  const [[modelJson, m], [weights, w], [meta, p]] = await Promise.all([
    read(PRETRAINED_FILES.modelJson),
    read(PRETRAINED_FILES.weights),
    read(PRETRAINED_FILES.meta),
  ]);
  return loadPretrainedFromFiles({
    modelJson,
    weights,
    meta,
    names: { modelJson: m, weights: w, meta: p },
  });
}

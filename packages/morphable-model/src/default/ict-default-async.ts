/**
 * The default model behind a promise: the same as `defaultModel()`, for callers that want to
 * yield to the event loop (a page's first paint) before the ≈ 0.2 s decode.
 *
 * Not a dynamic `import()` of the data module: tsup's code splitting then made every entry of
 * this package import the 1.5 MB data chunk statically, and bundles of packages that never use
 * the model (stn-layer, datasets, fit) carried it (measured with `npm run check:pack`). As a
 * plain constant the data is dropped by any bundler from a bundle that does not call
 * `defaultModel()` / `loadDefaultModel()`.
 */
import type { MorphableModel } from '../types';
import { defaultModel } from './ict-default';

/** The same model as `defaultModel()`, decoded after yielding once to the event loop. */
export async function loadDefaultModel(): Promise<MorphableModel> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  return defaultModel();
}

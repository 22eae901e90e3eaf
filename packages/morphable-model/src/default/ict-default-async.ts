/**
 * The default model with its data loaded on demand. Kept apart from `ict-default.ts`, which
 * imports the 1.5 MB data module statically: a bundler puts that module in a chunk of its own
 * that only `loadDefaultModel()` fetches, so a page's first paint does not wait for it.
 */
import type { MorphableModel } from '../types';
import { ictModelFromData } from './ict-decode';

/** The same model as `defaultModel()`, its data imported on demand. */
export async function loadDefaultModel(): Promise<MorphableModel> {
  const { ICT_FACE_DATA } = await import('./ict-face-data');
  return ictModelFromData(ICT_FACE_DATA);
}

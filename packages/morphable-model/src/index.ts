export type { GridModel, LandmarkMap, LinearBasis, ModelMetadata, MorphableModel } from './types';
export { assertShape, ModelFormatError, ShapeError } from './errors';

// --- io (readers, writers, loadModel) ---
export type { ReadEosOptions } from './io/eos';
export { readEosBlendshapes, readEosModel } from './io/eos';
export type { ContourLandmarks, LandmarkMappingFile } from './io/landmarks';
export { readLandmarkMapping, readLandmarkMappingFile } from './io/landmarks';

// --- geometry (symmetry, Tutte embedding, UV-grid resampling) ---

// --- default model and CPU mesh utilities (normals, visibility, rasteriser) ---

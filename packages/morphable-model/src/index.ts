export type { GridModel, LandmarkMap, LinearBasis, ModelMetadata, MorphableModel } from './types';
export { assertShape, ModelFormatError, ShapeError } from './errors';

// --- io (readers, writers, loadModel) ---

// --- geometry (symmetry, Tutte embedding, UV-grid resampling) ---

// --- default model and CPU mesh utilities (normals, visibility, rasteriser) ---

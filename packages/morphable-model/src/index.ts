export type { GridModel, LandmarkMap, LinearBasis, ModelMetadata, MorphableModel } from './types';
export { assertShape, ModelFormatError, ShapeError } from './errors';

export type { GridModel, LandmarkMap, LinearBasis, ModelMetadata, MorphableModel } from './types';
export { assertShape, ModelFormatError, ShapeError } from './errors';

// --- io (readers, writers, loadModel) ---
export { writeFileAtomic } from './io/atomic';
export type { ReadBfmOptions } from './io/bfm';
export { readBfmH5 } from './io/bfm';
export type { ReadEosOptions } from './io/eos';
export { readEosBlendshapes, readEosModel } from './io/eos';
export { FORMAT_VERSION_3DMM, isGridModel, readModel, writeModel } from './io/format3dmm';
export type { ContourLandmarks, LandmarkMappingFile } from './io/landmarks';
export { readLandmarkMapping, readLandmarkMappingFile } from './io/landmarks';
export type { LoadModelOptions, ModelFormat } from './io/load';
export { detectModelFormat, loadModel, saveModel } from './io/load';
export type { ObjMesh, ObjWriteMesh, ObjWriteOptions } from './io/obj';
export { perVertexTexCoords, readObj, writeMtl, writeObj } from './io/obj';

// --- geometry (symmetry, Tutte embedding, UV-grid resampling) ---

// --- default model and CPU mesh utilities (normals, visibility, rasteriser) ---
export { vertexNormals } from './mesh/normals';
export type { RenderImage, RenderOptions, RenderPose, RenderResult } from './mesh/render';
export { render } from './mesh/render';
export { rotationFromAxisAngle } from './mesh/rotation';
export type { ZBufferVisibilityOptions } from './mesh/visibility';
export { visibleByNormals, visibleByZBuffer } from './mesh/visibility';

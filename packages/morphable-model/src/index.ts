// Browser-safe entry: no Node built-ins. Node-only parts (paths, atomic writes): `./node`.
export type {
  ContourCandidates,
  GridModel,
  LandmarkMap,
  LinearBasis,
  ModelMetadata,
  MorphableModel,
} from './types';
export { assertShape, ModelFormatError, ShapeError } from './errors';
export { IBUG_FLIP } from './ibug';

// --- io (readers and writers of bytes; paths and atomic writes: `@3dmm-stn/morphable-model/node`) ---
export type { ReadBfmOptions } from './io/bfm';
export { readBfmH5 } from './io/bfm';
export type { ReadEosOptions } from './io/eos';
export { readEosBlendshapes, readEosModel } from './io/eos';
export { FORMAT_VERSION_3DMM, isGridModel, readModel, writeModel } from './io/format3dmm';
export type { ContourLandmarks, LandmarkMappingFile } from './io/landmarks';
export { readLandmarkMapping, readLandmarkMappingFile } from './io/landmarks';
export type { LoadModelBytesOptions, ModelFormat } from './io/load';
export { detectModelFormat, loadModel } from './io/load';
export type {
  MatCell,
  MatChar,
  MatInflate,
  MatNumeric,
  MatNumericClass,
  MatNumericData,
  MatStruct,
  MatValue,
  MatVariableInfo,
  ReadMatOptions,
} from './io/mat';
export {
  inflateDefault,
  inflateFflate,
  inflateStream,
  listMatVariables,
  matFileVersion,
  readMat,
} from './io/mat';
export type { MatMatrix } from './io/mat-write';
export { encodeMat } from './io/mat-write';
export type { MatModelLayout, ReadMatModelOptions } from './io/mat-model';
export { detectMatLayout, readMatModel } from './io/mat-model';
export { listMatV73, readMatV73 } from './io/mat-v73';
export type { ExpPca } from './io/exp-pca';
export { readExpPcaBin, readStdText } from './io/exp-pca';
export type { ObjMesh, ObjWriteMesh, ObjWriteOptions } from './io/obj';
export { perVertexTexCoords, readObj, writeMtl, writeObj } from './io/obj';

// --- geometry (symmetry, Tutte embedding, UV-grid resampling) ---
export { GeometryError } from './geometry/errors';
export {
  boundaryLoops,
  checkOrientation,
  countFlippedTriangles,
  meshEdges,
  signedAreas2D,
  subdivideMesh,
  triangleAdjacency,
  vertexAdjacency,
} from './geometry/mesh';
export type { OrientationReport, VertexAdjacency } from './geometry/mesh';
export { biCgStab, conjugateGradient, csrFromTriplets, csrMultiply } from './geometry/sparse';
export type { CsrMatrix, SolveResult, SolverOptions } from './geometry/sparse';
export { computeSymmetry, estimateSymmetryPlane, symmetryReport } from './geometry/symmetry';
export type { SymmetryOptions, SymmetryReport } from './geometry/symmetry';
export { tutteWeights } from './geometry/weights';
export type { TutteWeights } from './geometry/weights';
export { tutteEmbedding } from './geometry/tutte';
export type { TutteBoundary, TutteMesh, TutteOptions, TutteResult } from './geometry/tutte';
export { locateGridPoints, resampleToGrid } from './geometry/resample';
export type { GridLocation, ResampleOptions } from './geometry/resample';
export { symmetricGrid, symmetricTutte } from './geometry/symmetric_grid';
export type { SymmetricGrid, SymmetricGridOptions } from './geometry/symmetric_grid';

// --- default model and CPU mesh utilities (normals, visibility, rasteriser) ---
export { standInModel } from './default/default-model';
export { defaultModel, ICT_LICENCE } from './default/ict-default';
export { loadDefaultModel } from './default/ict-default-async';
export {
  ARKIT_COMPACT_EXPRESSIONS,
  ARKIT_FIT_EXPRESSIONS,
  ARKIT_FIT_SHAPE_MODES,
  fittingModes,
  selectExpressions,
} from './default/fitting-modes';
export type { IctFiles, IctRegion, ReadIctOptions } from './io/ict';
export {
  ICT_CONTOUR,
  ICT_EXPRESSIONS,
  ICT_IBUG68,
  ICT_REGIONS,
  isIctFolder,
  readIctModel,
} from './io/ict';
export { morphRows } from './mesh/morph';
export { vertexNormals } from './mesh/normals';
export type { RenderImage, RenderOptions, RenderPose, RenderResult } from './mesh/render';
export { render } from './mesh/render';
export {
  axisAngleFromRotation,
  eulerDegreesFromAxisAngle,
  eulerFromMatrix,
  headPoseFromAxisAngle,
  matrixFromEuler,
  matrixFromPosePara,
  poseParaFromAxisAngle,
  poseParaFromMatrix,
  projectScaledOrthographic,
  ROTATION_TAYLOR_THETA_SQ,
  rodrigues,
  rotationFromAxisAngle,
} from './mesh/rotation';
export type { HeadPose, PosePara } from './mesh/rotation';
export type { ZBufferVisibilityOptions } from './mesh/visibility';
export {
  facingCameraData,
  unoccludedByMesh,
  vertexNormalZData,
  visibleByNormals,
  visibleByZBuffer,
} from './mesh/visibility';

// --- fitting θ to 2D landmarks (closed-form initial pose, then Adam through the STN layer) ---
export { fitLandmarks } from './fit_landmarks';
export type { FitLandmarksOptions } from './fit_landmarks';
export { optimiseTheta } from './optimise';
export type { OptimiseOptions, OptimiseResult } from './optimise';
export { initialPose, weightedRms } from './init';
export {
  closedFormFit,
  EXPRESSION_L1,
  EXPRESSION_PRIOR,
  poseForShape,
  withFixedIdentity,
} from './closed_form';
export type { ClosedFormFit, ClosedFormOptions, LandmarkRows } from './closed_form';
export type { InitialPose } from './init';

// --- the STN layers of a GridModel, texture / mask extraction ---
export { extractTexture, FitStn, morphVertices } from './stn';
export type { StnForward } from './stn';
export { subGridModel, symmetrySubgrid } from './subgrid';

// --- the faces of one photo: crop → θ → texture → record (CLI `fit`/`eval`, web app) ---
export {
  centreSquareFace,
  cropFaces,
  expressionWeights,
  faceRecord,
  fitFaces,
  fitPose,
  mostlyInside,
  thetaForFaces,
} from './photo';
export type {
  DetectedFace,
  DetectorName,
  FaceFit,
  FaceTheta,
  FaceToCrop,
  FitFacesOptions,
  FitStages,
  Localiser,
} from './photo';
export { fittedMesh, gridTexCoords } from './mesh';
export { MESH_TO_IBUG68, meshToIbug68, silhouetteJaw } from './mesh68';
export type { MeshJaw, MeshPoint } from './mesh68';

// --- the JSON record of a fitted face (CLI `fit`, web app) ---
export type { FitPose, FitRecord } from './record';
export type { ContourChoice, ContourModel, ContourRows } from './contour';
export { chooseContour, contourRows, outlineLandmarks, projectCandidates } from './contour';

// --- face detection with face-api and its one retry policy (CLI `fit`/`eval`, web app) ---
export {
  cutSquare,
  detectFaces,
  detectionAttempts,
  FACE_DETECTORS,
  landmarksInBox,
  padImage,
  rgbaToRgb,
  rotated,
  toUint8,
  upscaled,
} from './detect';
export type { Detection, DetectOptions, DetectTry, FaceApi, RgbImage } from './detect';

// --- the drawings and files of a fit (CLI `fit` writes them, the web app offers them) ---
export { Canvas } from './canvas';
export type { Rgb } from './canvas';
export {
  drawFacePreview,
  drawFit,
  drawOverview,
  OVERVIEW_SIZE,
  overviewSize,
  PREVIEW_SIZE,
} from './draw';
export type { DrawnFit } from './draw';
export { baseName, faceFileNames, meshComment, meshFiles, photoStem, uvImages } from './outputs';

// --- video: tracking, temporal filtering, UV fusion, jitter (CLI `track`, a page's live mode) ---
export {
  DEFAULT_THETA_FILTER,
  FaceTracker,
} from './track/tracker';
export type {
  ThetaFilterParams,
  TrackDetector,
  TrackedFace,
  TrackerOptions,
  TrackFrame,
  TrackSummary,
} from './track/tracker';
export { OneEuroFilter, smoothingFactor } from './track/one_euro';
export type { OneEuroParams } from './track/one_euro';
export { eyeCornerDistance, landmarkJitter } from './track/jitter';
export { texelViewCosines, UvFusion, varianceOfLaplacian } from './track/fusion';
export type { FusionFrame, FusionResult } from './track/fusion';

export { runCli } from './cli';
export type { CliIO } from './io';
export { memoryIO, processIO } from './io';
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, InputError, UsageError } from './errors';
export type { FitFailure, FitOptions, FitSummary } from './fit/run';
export { fitImages } from './fit/run';
export type { FitRecord } from '@3dmm-stn/fit';
export type {
  DetectedFace,
  Detection,
  DetectOptions,
  LandmarkDetector,
  LandmarksFrom,
} from './fit/faces';
export { FaceDetector, faceApiRoot, LANDMARKS_FROM_CHOICES } from './fit/faces';
export type { MeshFace } from './fit/mesh';
export { AutoDetector, MeshDetector } from './fit/mesh';
export type { ModelSummary } from './model';
export { gridFromModel, loadAnyModel, summariseModel } from './model';
export { cropFaces } from './fit/fit';
export { readRgb } from './image';
export type { TrackRunSummary, TrackVideoOptions } from './track/run';
export { trackVideo } from './track/run';
export type { ClipInfo, Frame, OpenClipOptions } from './track/decode';
export { openClip, readFrames } from './track/decode';
export {
  FaceLostError,
  FfmpegUnavailableError,
  NoFaceError,
  VideoFormatError,
} from './errors';

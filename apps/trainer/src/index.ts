// Training
export type { EvalLog, StepLog, TrainOptions, TrainResult } from './train';
export { checkBatch, exportModel, prepareModel, train } from './train';
export type { StepResult } from './train_step';
export { createTrainStep } from './train_step';
export type { Network, NetworkOptions } from './network';
export { buildNetwork } from './network';
export type { OptimizerOptions, ParamGroup } from './optimizer';
export { clipByGlobalNorm, GroupOptimizer, learningRate } from './optimizer';
export type { CheckpointMeta, LoadedCheckpoint, TensorSpec } from './checkpoint';
export { loadCheckpoint, saveCheckpoint } from './checkpoint';

// Configuration and command line
export type { TrainConfig, TrainConfigInput } from './config';
export {
  configSchema,
  defaultConfig,
  loadConfig,
  parseConfig,
  parseOverride,
  readConfigFile,
} from './config';
export { resolveCliConfig, runTrainCli, trainCommand } from './cli';
export {
  CheckpointError,
  ConfigError,
  DatasetError,
  LandmarkFormatError,
  TrainingOutOfMemoryError,
} from './errors';

// Data
export type { FaceSample } from './sample';
export { sampleProblem } from './sample';
export type {
  Batch,
  CropJitter,
  FolderDatasetOptions,
  FolderEntry,
  IdentityMode,
} from './folder_dataset';
export {
  FolderDataset,
  IMAGE_EXTENSIONS,
  listFolderDataset,
  readManifest,
  splitEntries,
} from './folder_dataset';
export type { SyntheticOptions, ViewOverrides } from './synthetic';
export { fillMeshHoles, meanFaceWidth, SyntheticFaces } from './synthetic';
export type {
  LargePoseFace,
  LargePoseSet,
  LargePoseSetOptions,
} from './large_pose_set';
export {
  aflwLabel,
  landmarkPositions,
  largePoseAngles,
  loadLargePoseAssets,
  writeLargePoseSet,
} from './large_pose_set';
export type { Texture } from './texture';
export { proceduralBackground, proceduralTexture } from './texture';
export type { CropResult } from './crop';
export { cropAroundLandmarks, cropBox, cropSquare, decodeRgb, squareAroundBox } from './crop';
export type { DlibFace, DlibImage } from '@3dmm-stn/datasets/node';
export { parseDlibXml, readDlibXml } from '@3dmm-stn/datasets/node';
export { flipImage, flipLandmarks, flipPerLandmark, IBUG_FLIP } from '@3dmm-stn/datasets';
export { formatPts, parsePts } from '@3dmm-stn/datasets';
export { readPts } from '@3dmm-stn/datasets/node';
export { BoundedQueue, prefetch } from './stream';
export type { DataProblem } from './data_report';
export { DataReport } from './data_report';
export type { BatchTensors } from './batch_tensors';
export { arrangeBatch, batchTensors, flipSample } from './batch_tensors';
export type { RngState } from './rng';
export { Rng } from './rng';

// Evaluation and reports
export type { EvalMetrics, Prediction } from './evaluate';
export { evaluate } from './evaluate';
export {
  finiteMean,
  landmarkNme,
  poseError,
  shapeError,
  uvConsistency,
} from '@3dmm-stn/datasets';
export type { Mat3 } from './rotation';
export {
  axisAngleToMatrix,
  eulerDegreesFromAxisAngle,
  eulerFromMatrix,
  matrixFromEuler,
  matrixToAxisAngle,
} from './rotation';
export type { ReportInput } from './report';
export { lineChartSvg, meanUv, projectGrid, writeReport } from './report';

// Backend helpers (to move into @3dmm-stn/backend)
export { SyntheticWorkerPool } from './synthetic_pool';

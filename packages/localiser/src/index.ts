// Browser-safe entry (no Node built-ins). Node-only parts: `@3dmm-stn/localiser/node`.
export type { BackboneName, BackboneSpec } from './backbones';
export { BACKBONES } from './backbones';
export type { LocaliserConfig } from './config';
export {
  DEFAULT_DROPOUT,
  DEFAULT_FILL,
  DEFAULT_MEAN_FACE_WIDTH,
  THETA_KERNEL_SCALE,
  VGG_FACE_MEAN_RGB,
} from './constants';
export { createLocaliser } from './create_localiser';
export type { LayerDescription, LocaliserDescription } from './describe';
export { describeLocaliser } from './describe';
export { WeightImportError } from './errors';
export type { LoadWeightsOptions, WeightImportReport } from './load_weights';
export { loadLocaliserWeights, loadVggFaceWeightsH5 } from './load_weights';
export { preprocess } from './preprocess';
export { initialTheta } from './theta_init';
export type { CropBox, CroppedFace, CropTransform, PixelImage } from './crop';
export {
  cropBoxAround,
  cropFace,
  fromCrop,
  landmarksToCrop,
  squareAroundBox,
  thetaToCrop,
  thetaToPhoto,
  toCrop,
} from './crop';

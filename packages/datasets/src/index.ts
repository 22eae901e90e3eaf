// Browser-safe entry of @3dmm-stn/datasets: no Node built-in, readers take text.
export { ImageFormatError, LandmarkFormatError } from './errors';
export { formatPts, parsePts } from './pts';
export { flipImage, flipLandmarks, flipPerLandmark, IBUG_FLIP } from './flip';
export { IMAGE_EXTENSIONS, isImageFile } from './images';
export { finiteMean, landmarkNme, poseError, shapeError, uvConsistency } from './metrics';

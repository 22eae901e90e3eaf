/**
 * VGG-Face (Parkhi et al. 2015) per-channel means in RGB order, 0..255: the
 * `averageImage` of the MatConvNet `vgg-face.mat` that the original 3DMM-STN loads, and
 * the same numbers (in BGR order) that Keras VGGFace's `preprocess_input(version=1)`
 * subtracts.
 */
export const VGG_FACE_MEAN_RGB: readonly [number, number, number] = Object.freeze([
  129.1863, 104.7624, 93.594,
]) as readonly [number, number, number];

/**
 * Default width of the mean face in millimetres: the x extent of the Surrey Face Model
 * (3,448 vertices) mean, ±74 mm (see FORMATS.md). Used to initialise log s.
 */
export const DEFAULT_MEAN_FACE_WIDTH = 148;

/** Default fraction of the crop width the mean face spans at initialisation. */
export const DEFAULT_FILL = 1;

/** Scale of the θ head's initial kernel relative to MatConvNet's `xavier` (the original's `× 0.001`). */
export const THETA_KERNEL_SCALE = 1e-3;

/** Default dropout rate after fc6 and fc7 (VGG-Face training). */
export const DEFAULT_DROPOUT = 0.5;

/** Number of pose parameters in θ before α: r (3), t (2), log s (1). */
export const POSE_DIMS = 6;

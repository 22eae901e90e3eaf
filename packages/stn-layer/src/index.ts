// The package's only side effects: kernel, gradient and layer-class registration.
import './register_all_kernels';
import './register_layers';

// --- ops (rotation, shape, projection, grid sampling, affine grid) ---
export { axisAngleToRotation } from './ops/axis_angle_to_rotation';
export { morphShape } from './ops/morph_shape';
export { rotateVertices } from './ops/rotate_vertices';
export { projectVertices } from './ops/project_vertices';
export { splitTheta } from './ops/split_theta';
export type { ThetaParts } from './ops/split_theta';
export { gridSample } from './ops/grid_sample';
export type { GridSampleOptions, GridSamplePadding } from './ops/grid_sample';
export { affineGrid } from './ops/affine_grid';
export type { AffineGridOptions } from './ops/affine_grid';

// --- visibility and the MorphableModelSTN layer ---
export { visibilityMask, VISIBILITY_METHODS } from './visibility/visibility_mask';
export type {
  VisibilityImplementation,
  VisibilityMaskOptions,
  VisibilityMethod,
} from './visibility/visibility_mask';
export type { VisibilityGrid } from './visibility/topology';
export {
  DEFAULT_STN_OUTPUTS,
  MorphableModelSTN,
  morphableModelSTN,
  registerMorphableModelSTN,
  STN_OUTPUTS,
} from './layer/morphable_model_stn';
export type { MorphableModelSTNLayerArgs, STNOutput } from './layer/morphable_model_stn';

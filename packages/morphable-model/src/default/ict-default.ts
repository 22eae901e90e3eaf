/**
 * The embedded default model: the ICT Face Model Light (ICT-FaceKit, MIT licence), narrow face
 * area, built by `scripts/build-default-model.ts` into `ict-face-data.ts` and decoded here.
 */
import type { MorphableModel } from '../types';
import { ictModelFromData } from './ict-decode';
import { ICT_FACE_DATA } from './ict-face-data';

export { ICT_LICENCE } from './ict-decode';

/**
 * The default model: the ICT Face Model Light, a statistical model from light-stage scans.
 *
 * | field | value |
 * |---|---|
 * | mesh | the release's narrow face area: 6,706 vertices, 13,120 triangles (6,560 quads split); a disc with 3 holes (eyes, mouth) |
 * | mean | the neutral face, mm, y up, z towards the camera, x to the subject's left; origin at the centroid of the 68 landmarks (y, z) |
 * | shape | the first 40 PCA identity modes, 1 SD each (α ~ N(0, I); `variance` 1) |
 * | expression | the 53 ARKit-named blendshapes (`names`), weights in [0, 1] (`range`) |
 * | landmarks | all 68 ibug points (the release's vertex ids) |
 * | contour | the release's extended left/right jawlines (17 candidates each) |
 * | symmetry | the mirror map (computed on the mesh, an involution) |
 * | texCoords | its symmetric mean-value Tutte embedding onto the unit square (0 folds) |
 *
 * Bases are stored int8 per mode (error ≤ 0.03 mm identity, ≤ 0.15 mm expression). Decoded
 * once (≈ 1.1 MB deflated), then copied on each call: callers may mutate the arrays they get.
 */
export function defaultModel(): MorphableModel {
  return ictModelFromData(ICT_FACE_DATA);
}

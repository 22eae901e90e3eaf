/**
 * Which modes a fit to 68 landmarks uses by default. Identity PCA modes beyond the first few are
 * sub-millimetre and 68 detected points cannot tell them apart (they fit the detector's noise);
 * expression blendshapes that barely move a landmark (eye gaze, the mouthClose corrective) are
 * unobservable. The defaults below were chosen by measurement (`3dmm-stn eval` on the 43
 * dlib-labelled faces, README).
 */
import type { MorphableModel } from '../types';

/**
 * ARKit blendshapes a 68-point fit uses by default: those that move the ibug points (mouth, jaw,
 * brows, eyelids), in both sides' pairs. Left out: `eyeLook*` (gaze moves no landmark), `mouthClose`
 * (a corrective for `jawOpen`, meaningless alone), `cheekPuff`, `cheekSquint`, `noseSneer`,
 * `mouthDimple` (no landmark sees them reliably).
 */
export const ARKIT_FIT_EXPRESSIONS: readonly string[] = [
  'jawOpen',
  'jawLeft',
  'jawRight',
  'jawForward',
  'mouthSmile_L',
  'mouthSmile_R',
  'mouthFrown_L',
  'mouthFrown_R',
  'mouthStretch_L',
  'mouthStretch_R',
  'mouthPucker',
  'mouthFunnel',
  'mouthLeft',
  'mouthRight',
  'mouthRollLower',
  'mouthRollUpper',
  'mouthShrugLower',
  'mouthShrugUpper',
  'mouthUpperUp_L',
  'mouthUpperUp_R',
  'mouthLowerDown_L',
  'mouthLowerDown_R',
  'mouthPress_L',
  'mouthPress_R',
  'browInnerUp_L',
  'browInnerUp_R',
  'browDown_L',
  'browDown_R',
  'browOuterUp_L',
  'browOuterUp_R',
  'eyeBlink_L',
  'eyeBlink_R',
  'eyeSquint_L',
  'eyeSquint_R',
  'eyeWide_L',
  'eyeWide_R',
];

/** Identity modes a 68-point fit of a model with ARKit blendshapes uses by default. */
export const ARKIT_FIT_SHAPE_MODES = 10;

/**
 * The default modes of a landmark fit of `model`: for a model with ARKit-named blendshapes (the
 * default ICT model) `ARKIT_FIT_SHAPE_MODES` identity modes and the `ARKIT_FIT_EXPRESSIONS` it
 * has; otherwise min(5, available) of each (the paper's D = 10).
 */
export function fittingModes(model: MorphableModel): {
  shapeModes: number;
  expressionModes: number | string[];
} {
  const names = model.expression?.names ?? [];
  const arkit = ARKIT_FIT_EXPRESSIONS.filter((n) => names.includes(n));
  if (arkit.length >= 2 && names.includes('jawOpen')) {
    return {
      shapeModes: Math.min(ARKIT_FIT_SHAPE_MODES, model.shape.numModes),
      expressionModes: arkit,
    };
  }
  return {
    shapeModes: Math.min(5, model.shape.numModes),
    expressionModes: Math.min(5, model.expression?.numModes ?? 0),
  };
}

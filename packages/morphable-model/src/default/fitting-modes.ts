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

/**
 * Identity modes a 68-point fit of a model with ARKit blendshapes uses by default: all 40 of the
 * embedded model. Fewer left the identity differences to the blendshapes (README: NME and the
 * mean blendshape weight by mode count).
 */
export const ARKIT_FIT_SHAPE_MODES = 40;

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

/**
 * The compact expression set for training a localiser on a model with ARKit blendshapes (the
 * paper's D = 10: 5 identity + 5 expression modes): the five blendshapes that move the 68
 * landmarks most among the symmetric, non-corrective ones (measured on the ICT model: jawOpen
 * 17 mm RMS, mouthPucker 5.3, mouthFunnel 5.1, mouthSmile 3.7 each side).
 */
export const ARKIT_COMPACT_EXPRESSIONS: readonly string[] = [
  'jawOpen',
  'mouthSmile_L',
  'mouthSmile_R',
  'mouthPucker',
  'mouthFunnel',
];

/**
 * `model` with only the named expression modes, in the given order (the other fields shared,
 * not copied). For code that takes "the first k expression modes" of a model.
 *
 * @throws RangeError naming a mode the model does not have.
 */
export function selectExpressions(model: MorphableModel, names: readonly string[]): MorphableModel {
  const e = model.expression;
  const have = e?.names ?? [];
  const n = model.numVertices;
  const basis = new Float32Array(names.length * 3 * n);
  names.forEach((name, k) => {
    const i = have.indexOf(name);
    if (!e || i < 0)
      throw new RangeError(
        `selectExpressions: the model has no expression ${JSON.stringify(name)} (it has ${have.length} named expressions)`,
      );
    basis.set(e.basis.subarray(i * 3 * n, (i + 1) * 3 * n), k * 3 * n);
  });
  const expression = { numModes: names.length, basis, names: [...names] } as NonNullable<
    MorphableModel['expression']
  >;
  if (e?.range) expression.range = [...e.range];
  return { ...model, expression };
}

import { PretrainedFileError } from './errors';

/**
 * `pretrained.json`, shipped beside `model.json` + `weights.bin`: what a caller must know to
 * use the network the way it was trained.
 */
export interface PretrainedMeta {
  format: '3dmm-stn-pretrained';
  version: 1;
  /** S: the network takes `[B, S, S, 3]` RGB 0…255 crops. */
  inputSize: number;
  /**
   * The crop it was trained on: `box` = the square centred on a face detector's box
   * `[x, y, w, h]` with side max(w, h)·(1 + 2·margin) (face-api's SSD MobileNet v1 box);
   * `landmarks` = the same around the 68 landmarks' bounding box.
   */
  crop: { rule: 'box' | 'landmarks'; margin: number };
  /** θ length 6 + D, and the morphable model θ belongs to. */
  thetaLength: number;
  model: string;
  /** Output names in order (the first is θ). */
  outputs: string[];
  /** How the weights were made (run, steps, minutes, validation metrics, config). */
  training: Record<string, unknown>;
}

/** Parse and check `pretrained.json` (bytes or text); errors name `file` and the field. */
export function parsePretrainedMeta(input: string | Uint8Array, file: string): PretrainedMeta {
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new PretrainedFileError(file, `invalid JSON: ${(e as Error).message}`);
  }
  const m = v as Partial<PretrainedMeta> | null;
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new PretrainedFileError(
      file,
      `"${field}" must be ${expected}, got ${JSON.stringify(got)}`,
    );
  };
  if (!m || typeof m !== 'object') return bad('(root)', 'an object', m);
  if (m.format !== '3dmm-stn-pretrained') bad('format', '"3dmm-stn-pretrained"', m.format);
  if (m.version !== 1) bad('version', '1', m.version);
  if (!Number.isInteger(m.inputSize) || (m.inputSize as number) < 8)
    bad('inputSize', 'an integer ≥ 8', m.inputSize);
  const c = m.crop;
  if (!c || (c.rule !== 'box' && c.rule !== 'landmarks'))
    bad('crop.rule', '"box" or "landmarks"', c?.rule);
  if (typeof c?.margin !== 'number' || !(c.margin >= 0))
    bad('crop.margin', 'a number ≥ 0', c?.margin);
  if (!Number.isInteger(m.thetaLength) || (m.thetaLength as number) < 6)
    bad('thetaLength', 'an integer ≥ 6', m.thetaLength);
  if (typeof m.model !== 'string') bad('model', 'a string', m.model);
  if (!Array.isArray(m.outputs) || !m.outputs.every((o) => typeof o === 'string'))
    bad('outputs', 'an array of names', m.outputs);
  if (!m.training || typeof m.training !== 'object') bad('training', 'an object', m.training);
  return m as PretrainedMeta;
}

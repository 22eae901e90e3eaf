/**
 * AFLW2000-3D labels: one MATLAB `.mat` per photo (`<stem>.mat` beside `<stem>.jpg`) holding
 * `pt3d_68` (3 × 68: x, y, z per point; x, y in MATLAB's 1-based pixels) and `Pose_Para` (1 × 7:
 * pitch, yaw, roll in radians — 3DDFA / face3d's convention, see morphable-model's
 * `matrixFromPosePara` — then tx, ty, tz and the scale). Read with the project's MAT reader.
 */
import { readFile } from 'node:fs/promises';
import { type MatValue, type PosePara, readMat } from '@3dmm-stn/morphable-model';
import { LabelFormatError } from '../errors';
import { landmarkBox } from './box';

export interface AflwLabel {
  /** [68, 2] 0-based photo pixels (MATLAB's 1-based values minus 1). */
  landmarks: Float32Array;
  /** Ground-truth pose, radians, `Pose_Para`'s convention. */
  pose: PosePara;
}

function numeric(file: string, name: string, v: MatValue | undefined, dims: number[][]) {
  const want = dims.map((d) => d.join(' × ')).join(' or ');
  if (!v) throw new LabelFormatError(file, `expected a variable ${name} (${want}); it is missing`);
  if (v.kind !== 'numeric')
    throw new LabelFormatError(
      file,
      `expected ${name} to be a numeric ${want} array, got a ${v.kind}`,
    );
  if (!dims.some((d) => d.length === v.dims.length && d.every((n, i) => v.dims[i] === n)))
    throw new LabelFormatError(file, `expected ${name} to be ${want}, got ${v.dims.join(' × ')}`);
  if (!Array.from(v.data).every(Number.isFinite))
    throw new LabelFormatError(file, `expected ${name} to hold finite numbers`);
  return v.data;
}

/** Parse one AFLW2000-3D `.mat` (bytes), `file` for messages. */
export async function parseAflwMat(bytes: Uint8Array, file: string): Promise<AflwLabel> {
  let vars: Map<string, MatValue>;
  try {
    vars = await readMat(bytes, { file, variables: ['pt3d_68', 'Pose_Para'] });
  } catch (e) {
    throw new LabelFormatError(
      file,
      `expected an AFLW2000-3D MATLAB level-5 .mat file: ${(e as Error).message}`,
    );
  }
  // Column-major 3 × 68: point k's x, y, z are values 3k, 3k + 1, 3k + 2.
  const pt = numeric(file, 'pt3d_68', vars.get('pt3d_68'), [[3, 68]]);
  const pp = numeric(file, 'Pose_Para', vars.get('Pose_Para'), [
    [1, 7],
    [7, 1],
  ]);
  const landmarks = new Float32Array(136);
  for (let k = 0; k < 68; k++) {
    landmarks[2 * k] = pt[3 * k] - 1;
    landmarks[2 * k + 1] = pt[3 * k + 1] - 1;
  }
  return { landmarks, pose: { pitch: pp[0], yaw: pp[1], roll: pp[2] } };
}

export async function readAflwMat(file: string): Promise<AflwLabel> {
  return parseAflwMat(new Uint8Array(await readFile(file)), file);
}

/**
 * 3DDFA's crop of a face from its ground-truth landmarks (`parse_roi_box_from_landmark`): the
 * square around the landmarks' bounding box, made square by its larger side, then enlarged by √2
 * about its centre. `[x, y, side, side]`, photo pixels.
 */
export function roiBoxFromLandmarks(lm: ArrayLike<number>): [number, number, number, number] {
  const [x0, y0, w, h] = landmarkBox(lm);
  const x1 = x0 + w;
  const y1 = y0 + h;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const side = Math.SQRT2 * Math.max(x1 - x0, y1 - y0);
  return [cx - side / 2, cy - side / 2, side, side];
}

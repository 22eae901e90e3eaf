/** One face's card: the close-up, UV texture, mask, masked UV, pose, error and downloads. */
import { type FaceFit, type FitRecord, meshComment, meshFiles, uvImages } from '@3dmm-stn/fit';
import type { GridModel } from '@3dmm-stn/morphable-model';
import type { DecodedPhoto } from './decode';
import { canvasFigure, seconds } from './dom';
import { button, download, pngOf } from './downloads';
import { drawFacePreview, putGrey, putRgb } from './draw';

/**
 * Which detector found the face, and which retry if only a retry did; for the pretrained
 * localiser's fallback (`detector: 'none'`), that the centre square of the photo was used.
 */
export function detectionText(record: Pick<FitRecord, 'detection'>): string {
  const d = record.detection;
  if (d.detector === 'none')
    return 'no face found: the centre square of the photo was used as the face';
  return [d.detector, d.padded ? 'padded' : '', d.retry ?? ''].filter(Boolean).join(', ');
}

/** One face's card: close-up, UV, mask, masked UV, pose, error, downloads. */
export function faceCard(
  photo: DecodedPhoto,
  fit: FaceFit,
  record: FitRecord,
  grid: GridModel,
): HTMLElement {
  const t0 = performance.now();
  const card = document.createElement('section');
  card.className = 'face';
  card.dataset.face = String(record.face);
  const res = grid.res;
  const preview = canvasFigure('preview', 'fit (mesh cyan, detected ● green, fitted × red)');
  drawFacePreview(preview.canvas, photo.image, { forward: fit.forward, record }, grid);
  const uv = canvasFigure('uv', `UV texture ${res}×${res}`);
  // The bytes of the CLI's uv.png, mask.png and uv_masked.png (@3dmm-stn/fit's `uvImages`).
  const images = uvImages(fit.forward, res);
  putRgb(uv.canvas, { data: images.uv, width: res, height: res });
  const mask = canvasFigure('mask', 'visibility mask');
  putGrey(mask.canvas, images.mask, res, res);
  const masked = canvasFigure('uv-masked', 'masked UV');
  putRgb(masked.canvas, { data: images.maskedUv, width: res, height: res });
  // The record's pose (θ's, @3dmm-stn/fit's `fitPose`): what the JSON download says.
  const pose = record.pose;
  const s = Math.exp(record.theta[5]);
  const facts = document.createElement('table');
  facts.className = 'facts';
  const rows: [string, string][] = [
    [
      'yaw / pitch / roll',
      `${pose.yaw.toFixed(1)}° / ${pose.pitch.toFixed(1)}° / ${pose.roll.toFixed(1)}°`,
    ],
    ['scale', `${s.toFixed(3)} px/mm`],
    [
      'landmark RMS',
      `${record.error.rmsPx.toFixed(2)} px (${(100 * record.error.rmsNormalised).toFixed(1)} % of the eye corners)`,
    ],
    ['visible', `${(100 * record.visibleFraction).toFixed(0)} % of the UV grid`],
    [
      'method',
      record.method === 'optimisation'
        ? `${record.optimisation?.init} closed form + ${record.optimisation?.steps} Adam steps`
        : 'pretrained localiser',
    ],
    ['detector score', record.detection.score.toFixed(2)],
    ['detection', detectionText(record)],
  ];
  // ARKit blendshape weights (the default ICT model), strongest first: the JSON has them all.
  if (record.expressions) {
    const top = Object.entries(record.expressions)
      .filter(([, w]) => w >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6);
    rows.push([
      'expressions',
      top.length ? top.map(([n, w]) => `${n} ${w.toFixed(2)}`).join(', ') : 'neutral (all < 0.05)',
    ]);
  }
  for (const [k, v] of rows) {
    const tr = facts.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
  const files = record.files;
  const mesh = meshFiles(fit.forward, grid, files, meshComment(record, grid));
  const dl = document.createElement('div');
  dl.className = 'downloads';
  dl.append(
    button('OBJ', 'dl-obj', () => download(files.obj, mesh.obj, 'model/obj')),
    button('MTL', 'dl-mtl', () => download(files.mtl, mesh.mtl, 'model/mtl')),
    button('UV PNG', 'dl-uv', async () => download(files.uv, await pngOf(uv.canvas))),
    button('mask PNG', 'dl-mask', async () => download(files.mask, await pngOf(mask.canvas))),
    button('masked UV PNG', 'dl-uv-masked', async () =>
      download(files.maskedUv, await pngOf(masked.canvas)),
    ),
    button('preview PNG', 'dl-preview', async () =>
      download(files.preview, await pngOf(preview.canvas)),
    ),
    button('JSON', 'dl-json', () =>
      download(files.json, `${JSON.stringify(record, null, 2)}\n`, 'application/json'),
    ),
  );
  const h = document.createElement('h3');
  h.textContent = `face ${record.face}`;
  const figs = document.createElement('div');
  figs.className = 'figs';
  figs.append(uv.fig, mask.fig, masked.fig);
  const side = document.createElement('div');
  side.append(figs, facts, dl);
  card.append(h, preview.fig, side);
  record.seconds.outputs = seconds(t0);
  return card;
}

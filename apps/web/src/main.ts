/**
 * The demo page: pick, drop or shoot a photo → face-api finds the faces and their 68 landmarks
 * → `@3dmm-stn/fit` fits the embedded default model to each (closed-form θ + Adam through the
 * `MorphableModelSTN` layer, the CLI's `fit`; or the pretrained localiser) → the photo with the
 * fitted mesh, each face's UV texture, mask and pose, and the CLI's files to download.
 *
 * Test hooks: `<input type="file" id="photo">`; `<pre id="result">` (the `FitRecord` array, or
 * `{"error": …}`); `document.body.dataset.state` ∈ ready | working | done | error.
 */
import {
  FitStn,
  type FitRecord,
  type Localiser,
  cropFaces,
  centreSquareFace,
  type FaceFit,
} from '@3dmm-stn/fit';
import { type BackendInfo, selectBackend } from '@3dmm-stn/backend';
import { toCrop } from '@3dmm-stn/localiser';
import {
  fittingModes,
  type GridModel,
  loadDefaultModel,
  standInModel,
  symmetricGrid,
} from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { type DecodedPhoto, decodePhoto } from './decode';
import { drawFacePreview, drawOverview, putPixels } from './draw';
import { detectFaces, loadFaceModels } from './faces';
import { fitPhoto } from './fit_photo';
import { heatmapRgba, maskToRgba, rgbToRgba } from './images';
import { parsePageOptions, type PageOptions, withOption } from './options';
import { meshFiles } from './outputs';
import { setProgress, setState, setStatus, showError, showRecords } from './state';
import {
  EXAMPLE_CODE,
  EXAMPLE_SIZE,
  type ExampleInput,
  runStnExample,
  syntheticInput,
} from './stn_example';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const asset = (dir: string) => new URL(dir, document.baseURI);
const nextFrame = () => new Promise<void>((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** A photo without a face (the optimisation needs the landmarks). */
class NoFaceError extends Error {
  override readonly name = 'NoFaceError';
}

interface Engine {
  backend: BackendInfo;
  grid: GridModel;
  stn: FitStn;
  localiser?: Localiser;
}

/** The stn-layer's own kernels registered for the active backend (cpu and wasm have them). */
function stnKernelsOnBackend(): string[] {
  return tf
    .getKernelsForBackend(tf.getBackend())
    .map((k) => k.kernelName)
    .filter((n) => n.startsWith('Stn'))
    .sort();
}

/** Timings the benchmark reads (`window.__web`), ms since navigation start. */
const timings: Record<string, number> = {};

let options: PageOptions;
let enginePromise: Promise<Engine> | null = null;
let lastFit: { photo: DecodedPhoto; fit: FaceFit; record: FitRecord } | null = null;

/** Backend, face models, the model's UV grid and its STN layers (and the localiser): once. */
function engine(): Promise<Engine> {
  enginePromise ??= loadEngine().catch((e) => {
    enginePromise = null; // the next photo tries again
    throw e;
  });
  return enginePromise;
}

async function loadEngine(): Promise<Engine> {
  setProgress(0);
  setStatus(`Starting the ${options.backend} backend…`);
  const backend = await selectBackend({
    backend: options.backend,
    wasmPaths: asset('tfjs/').href,
  });
  timings.backendMs = performance.now();
  await loadFaceModels(asset('models/'), (label, received, total) => {
    setStatus(
      `Loading the ${label}: ${(received / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB`,
      false,
      received === total,
    );
    setProgress(received, total || received);
  });
  timings.faceModelsMs = performance.now();
  setStatus('Building the UV grid of the embedded default model…');
  setProgress(null);
  await nextFrame();
  // The pretrained network was trained on the generated stand-in model (θ for its 5 + 5 modes);
  // the optimisation fits the default ICT model with its fitting modes.
  // The ICT model's data (1.5 MB) is its own chunk, fetched here and not before.
  const model = options.method === 'pretrained' ? standInModel() : await loadDefaultModel();
  const { grid } = symmetricGrid(model, 112, fittingModes(model));
  const stn = new FitStn(grid);
  timings.gridMs = performance.now();
  let localiser: Localiser | undefined;
  if (options.method === 'pretrained') {
    setStatus('Loading the pretrained localiser…');
    const { loadPretrained } = await import('@3dmm-stn/pretrained');
    const p = await loadPretrained({ baseUrl: asset('pretrained/') });
    localiser = {
      model: p.model,
      inputSize: p.inputSize,
      crop: p.crop.rule,
      margin: p.crop.margin,
    };
    timings.localiserMs = performance.now();
  }
  const kernels = backend.kernelsRegistered.length;
  const stnKernels = stnKernelsOnBackend().length;
  $('backend-info').textContent =
    `tfjs ${tf.version.tfjs}, backend ${backend.name}${kernels ? ` (+${kernels} training kernels)` : ''}${stnKernels ? `, ${stnKernels} STN kernels of @3dmm-stn/stn-layer` : ', STN ops composed of tfjs ops'}; model ${grid.metadata.name}, UV ${grid.res}², ${grid.numModes} modes`;
  return { backend, grid, stn, localiser };
}

function download(name: string, data: Blob | string, type = 'application/octet-stream'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const pngOf = (canvas: HTMLCanvasElement) =>
  new Promise<Blob>((ok, fail) =>
    canvas.toBlob((b) => (b ? ok(b) : fail(new Error('PNG encoding failed'))), 'image/png'),
  );

function button(
  label: string,
  cls: string,
  onClick: () => void | Promise<void>,
): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.className = cls;
  b.addEventListener('click', () => {
    Promise.resolve(onClick()).catch((e) =>
      setStatus(`download failed: ${(e as Error).message}`, true),
    );
  });
  return b;
}

function canvasFigure(
  cls: string,
  caption: string,
): { fig: HTMLElement; canvas: HTMLCanvasElement } {
  const fig = document.createElement('figure');
  const canvas = document.createElement('canvas');
  canvas.className = cls;
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  fig.append(canvas, cap);
  return { fig, canvas };
}

/** One face's card: close-up, UV, mask, masked UV, pose, error, downloads. */
function faceCard(
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
  drawFacePreview(preview.canvas, photo.canvas, fit.forward, grid, record);
  const uv = canvasFigure('uv', `UV texture ${res}×${res}`);
  putPixels(uv.canvas, rgbToRgba(fit.forward.uv), res, res);
  const mask = canvasFigure('mask', 'visibility mask');
  putPixels(mask.canvas, maskToRgba(fit.forward.mask), res, res);
  const masked = canvasFigure('uv-masked', 'masked UV');
  putPixels(masked.canvas, rgbToRgba(fit.forward.uv, fit.forward.mask), res, res);
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
  const comment = `3dmm-stn fit of ${record.image} face ${record.face} (${grid.metadata.name}), mm`;
  const files = record.files;
  const mesh = meshFiles(fit.forward, grid, files, comment);
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

async function processFile(file: File): Promise<void> {
  setState('working', `Working on ${file.name}…`);
  $('faces').replaceChildren();
  $('overview').hidden = true;
  $('downloads-all').hidden = true;
  await nextFrame();
  try {
    const e = await engine();
    setProgress(null);
    setStatus(`Decoding ${file.name}…`);
    const t0 = performance.now();
    const photo = await decodePhoto(file);
    const decodeSeconds = seconds(t0);
    setStatus(`Finding faces in ${file.name} (${photo.image.width}×${photo.image.height})…`);
    await nextFrame();
    const t1 = performance.now();
    const det = await detectFaces(photo.canvas);
    const detectSeconds = seconds(t1);
    let faces = det.faces;
    if (faces.length === 0) {
      if (!e.localiser)
        throw new NoFaceError(
          `no face found in ${file.name} (${photo.image.width}×${photo.image.height}; tried ${det.attempts.join('; ')}). Try a photo with a face at least ~80 px wide.`,
        );
      faces = [centreSquareFace(photo.image.width, photo.image.height, e.localiser.margin)];
    }
    setStatus(`Fitting ${faces.length} face(s)…`);
    await nextFrame();
    const { records, fits } = fitPhoto(file.name, photo.image, faces, e.stn, {
      localiser: e.localiser,
      decodeSeconds,
      detectSeconds,
    });
    const overview = $<HTMLCanvasElement>('overview');
    drawOverview(
      overview,
      photo.canvas,
      records.map((record, k) => ({ record, forward: fits[k].forward })),
      e.grid,
    );
    overview.hidden = false;
    const cards = records.map((r, k) => faceCard(photo, fits[k], r, e.grid));
    const outputs = records.reduce((a, r) => a + r.seconds.outputs, 0);
    for (const r of records) if (r.seconds.stages) r.seconds.stages.outputs = outputs;
    $('faces').replaceChildren(...cards);
    const stem = records[0].files.overview;
    $('downloads-all').hidden = false;
    $('dl-all-json').onclick = () =>
      download(
        stem.replace(/\.preview\.png$/, '.json'),
        `${JSON.stringify(records, null, 2)}\n`,
        'application/json',
      );
    $('dl-overview').onclick = () => void pngOf(overview).then((b) => download(stem, b));
    lastFit = { photo, fit: fits[0], record: records[0] };
    showRecords(records);
    const fitS = records[0].seconds.fitImage;
    setState(
      'done',
      `${records.length} face(s) in ${file.name}: detection ${detectSeconds.toFixed(2)} s, fit ${fitS.toFixed(2)} s (${(fitS / records.length).toFixed(2)} s per face) on ${e.backend.name}.`,
    );
  } catch (err) {
    console.error(err);
    showError((err as Error).message || String(err));
  }
}

/** The example panel's input: the last fitted face's crop and landmarks, else a synthetic image. */
function exampleInput(grid: GridModel): ExampleInput {
  if (!lastFit) return syntheticInput();
  const { photo, record } = lastFit;
  const face = {
    landmarks: Float32Array.from(record.landmarks.detected.flat()),
  };
  const { crops, pixels } = cropFaces(photo.image, [face], EXAMPLE_SIZE);
  const L = grid.landmarkIds.length;
  const landmarks = new Float32Array(2 * L);
  grid.landmarkIds.forEach((id, l) => {
    const [x, y] = record.landmarks.detected[id - 1];
    const [cx, cy] = toCrop(crops[0], x, y);
    landmarks[2 * l] = cx;
    landmarks[2 * l + 1] = cy;
  });
  return {
    image: pixels,
    landmarks,
    source: `face ${record.face} of ${record.image} (its 224² crop and detected landmarks)`,
  };
}

async function runExample(): Promise<void> {
  const panel = $('stn-example');
  const out = $('example-result');
  panel.dataset.state = 'working';
  out.textContent = 'running…';
  await nextFrame();
  try {
    const e = await engine();
    const before = tf.memory().numTensors;
    const input = exampleInput(e.grid);
    const r = runStnExample(e.grid, input);
    const leaked = tf.memory().numTensors - before;
    putPixels(
      $<HTMLCanvasElement>('example-input'),
      rgbToRgba(input.image),
      EXAMPLE_SIZE,
      EXAMPLE_SIZE,
    );
    putPixels($<HTMLCanvasElement>('example-uv'), rgbToRgba(r.uv, r.mask), e.grid.res, e.grid.res);
    putPixels(
      $<HTMLCanvasElement>('example-grad'),
      heatmapRgba(r.imageGradient),
      EXAMPLE_SIZE,
      EXAMPLE_SIZE,
    );
    out.textContent = JSON.stringify(
      {
        input: r.source,
        outputs: r.outputs,
        loss: r.loss,
        imageGradient: { nonZeroFraction: r.imageGradientSupport },
        weightGradients: r.weights,
        tensorsLeaked: leaked,
        seconds: r.seconds,
      },
      null,
      2,
    );
    panel.dataset.state = 'done';
  } catch (err) {
    console.error(err);
    out.textContent = JSON.stringify({ error: (err as Error).message }, null, 2);
    panel.dataset.state = 'error';
  }
}

function wireInputs(): void {
  let queue = Promise.resolve();
  const take = (file: File | undefined) => {
    if (!file) return;
    // `working` at once (in the event's own task), so a test that just set the file sees it.
    setState('working', `Queued ${file.name}…`);
    queue = queue.then(() => processFile(file));
  };
  const input = $<HTMLInputElement>('photo');
  input.addEventListener('change', () => {
    take(input.files?.[0]);
    input.value = ''; // the same file again fires `change` again
  });
  const drop = $('drop');
  for (const ev of ['dragenter', 'dragover'])
    document.addEventListener(ev, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  document.addEventListener('dragleave', () => drop.classList.remove('over'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    take((e as DragEvent).dataTransfer?.files?.[0]);
  });
  wireWebcam(take);
  for (const key of ['backend', 'method'] as const) {
    const sel = $<HTMLSelectElement>(key);
    sel.value = options[key];
    sel.addEventListener('change', () => {
      location.search = withOption(location.search, key, sel.value);
    });
  }
  $('example-code').textContent = EXAMPLE_CODE;
  $('run-example').addEventListener('click', () => void runExample());
}

function wireWebcam(take: (f: File) => void): void {
  const start = $<HTMLButtonElement>('webcam');
  const shoot = $<HTMLButtonElement>('shoot');
  const video = $<HTMLVideoElement>('video');
  if (!navigator.mediaDevices?.getUserMedia) {
    start.disabled = true;
    start.title = 'this browser offers no camera here (needs https or localhost)';
    return;
  }
  start.addEventListener('click', async () => {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
      await video.play();
      video.hidden = false;
      shoot.hidden = false;
    } catch (e) {
      setStatus(`no camera: ${(e as Error).message}`, true);
    }
  });
  shoot.addEventListener('click', () => {
    const c = document.createElement('canvas');
    c.width = video.videoWidth;
    c.height = video.videoHeight;
    (c.getContext('2d') as CanvasRenderingContext2D).drawImage(video, 0, 0);
    c.toBlob((b) => {
      if (b)
        take(
          new File([b], `webcam-${new Date().toISOString().replace(/[:.]/g, '-')}.png`, {
            type: 'image/png',
          }),
        );
    }, 'image/png');
  });
}

async function main(): Promise<void> {
  (window as unknown as { __web: unknown }).__web = {
    timings,
    numTensors: () => tf.memory().numTensors,
    backend: () => tf.getBackend(),
    stnKernels: stnKernelsOnBackend,
  };
  try {
    options = parsePageOptions(location.search);
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  wireInputs();
  try {
    await engine();
    timings.readyMs = performance.now();
    setState('ready', 'Ready: pick or drop a photo with faces.');
  } catch (e) {
    console.error(e);
    showError((e as Error).message);
  }
}

void main();

/**
 * The demo page: pick, drop or shoot a photo → face-api finds the faces and their 68 landmarks
 * (@3dmm-stn/fit's `detectFaces`, the CLI's policy) → `@3dmm-stn/fit` fits the default model to
 * each (closed-form θ + Adam through the `MorphableModelSTN` layer, the CLI's `fit`; or the
 * pretrained localiser) → the photo with the fitted mesh, each face's UV texture, mask and pose,
 * and the CLI's files to download.
 *
 * The stages live in their own modules: `engine` (backend, models, grid, STN layers), `faces`
 * (face-api in the page), `fit_photo`, `draw` and `face_card` (the results), `downloads`,
 * `example` (the "Using it in your model" panel), `webcam`. This module wires them to the page.
 *
 * Test hooks: `<input type="file" id="photo">`; `<pre id="result">` (the `FitRecord` array, or
 * `{"error": …}`); `document.body.dataset.state` ∈ ready | working | done | error.
 */
import { centreSquareFace } from '@3dmm-stn/fit';
import * as tf from '@tensorflow/tfjs';
import { decodePhoto } from './decode';
import { $, nextFrame, seconds } from './dom';
import { download, pngOf } from './downloads';
import { drawOverview } from './draw';
import { type Engine, engineLoader, stnKernelsOnBackend } from './engine';
import { type LastFit, runExample } from './example';
import { faceCard } from './face_card';
import { detectFaces } from './faces';
import { fitPhoto } from './fit_photo';
import { parsePageOptions, type PageOptions, withOption } from './options';
import { setProgress, setState, setStatus, showError, showRecords } from './state';
import { EXAMPLE_CODE } from './stn_example';
import { wireWebcam } from './webcam';

/** A photo without a face (the optimisation needs the landmarks). */
class NoFaceError extends Error {
  override readonly name = 'NoFaceError';
}

/** Timings the benchmark reads (`window.__web`), ms since navigation start. */
const timings: Record<string, number> = {};

let options: PageOptions;
let engine: () => Promise<Engine>;
let lastFit: LastFit | null = null;

/**
 * Detects, fits and shows the faces of one photo. `skipped`: the names of other files dropped
 * with it, which are not processed (one photo at a time); the status line says so.
 */
async function processFile(file: File, skipped: string[] = []): Promise<void> {
  setState(
    'working',
    `Working on ${file.name}…${skipped.length ? ` (${skipped.length} other dropped file(s) skipped: one photo at a time)` : ''}`,
  );
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
    const det = await detectFaces(photo.image);
    const detectSeconds = seconds(t1);
    let faces = det.faces;
    const notes: string[] = [];
    if (skipped.length > 0)
      notes.push(
        `${skipped.length} other dropped file(s) not processed (${skipped.join(', ')}): drop one photo at a time`,
      );
    if (faces.length === 0) {
      if (!e.localiser)
        throw new NoFaceError(
          `no face found in ${file.name} (${photo.image.width}×${photo.image.height}; tried ${det.attempts.join('; ')}). Try a photo with a face at least ~80 px wide.`,
        );
      // The localiser needs no landmarks: the photo's centre square is the face, and the
      // record says so (detection.detector = 'none'), as does the status line.
      faces = [centreSquareFace(photo.image.width, photo.image.height, e.localiser.margin)];
      notes.push(
        `no face found (tried ${det.attempts.join('; ')}): the centre square of the photo was used as the face`,
      );
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
      `${records.length} face(s) in ${file.name}: detection ${detectSeconds.toFixed(2)} s, fit ${fitS.toFixed(2)} s (${(fitS / records.length).toFixed(2)} s per face) on ${e.backend.name}.${notes.map((n) => ` Note: ${n}.`).join('')}`,
    );
  } catch (err) {
    console.error(err);
    showError((err as Error).message || String(err));
  }
}

function wireInputs(): void {
  let queue = Promise.resolve();
  const take = (file: File | undefined, skipped: string[] = []) => {
    if (!file) return;
    // `working` at once (in the event's own task), so a test that just set the file sees it.
    setState('working', `Queued ${file.name}…`);
    queue = queue.then(() => processFile(file, skipped));
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
    // One photo at a time: the first dropped file; the others are named in the status line.
    const files = Array.from((e as DragEvent).dataTransfer?.files ?? []);
    take(
      files[0],
      files.slice(1).map((f) => f.name),
    );
  });
  wireWebcam((f) => take(f));
  for (const key of ['backend', 'method'] as const) {
    const sel = $<HTMLSelectElement>(key);
    sel.value = options[key];
    sel.addEventListener('change', () => {
      location.search = withOption(location.search, key, sel.value);
    });
  }
  $('example-code').textContent = EXAMPLE_CODE;
  $('run-example').addEventListener('click', () => void runExample(engine, lastFit));
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
    engine = engineLoader(options, timings);
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

/**
 * The page's engine, loaded once: the tfjs backend, face-api's models, the model's UV grid and
 * its STN layers (`FitStn`), and with `?method=pretrained` the pretrained localiser.
 */
import { type BackendInfo, selectBackend } from '@3dmm-stn/backend';
import { FitStn, type Localiser } from '@3dmm-stn/fit';
import {
  fittingModes,
  type GridModel,
  loadDefaultModel,
  standInModel,
  symmetricGrid,
} from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { $, asset, nextFrame } from './dom';
import { loadFaceModels } from './faces';
import type { PageOptions } from './options';
import { setProgress, setStatus } from './state';

export interface Engine {
  backend: BackendInfo;
  grid: GridModel;
  stn: FitStn;
  localiser?: Localiser;
}

/** The stn-layer's own kernels registered for the active backend (cpu and wasm have them). */
export function stnKernelsOnBackend(): string[] {
  return tf
    .getKernelsForBackend(tf.getBackend())
    .map((k) => k.kernelName)
    .filter((n) => n.startsWith('Stn'))
    .sort();
}

/**
 * The engine getter: loads on the first call and returns the same promise after; a failed load
 * is retried by the next call (the next photo tries again). `timings` receives the stages'
 * `performance.now()` readings (the benchmark reads them).
 */
export function engineLoader(
  options: PageOptions,
  timings: Record<string, number>,
): () => Promise<Engine> {
  let enginePromise: Promise<Engine> | null = null;
  return () => {
    enginePromise ??= loadEngine(options, timings).catch((e) => {
      enginePromise = null;
      throw e;
    });
    return enginePromise;
  };
}

async function loadEngine(options: PageOptions, timings: Record<string, number>): Promise<Engine> {
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
  // The ICT model (decoded after the page has painted its status).
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

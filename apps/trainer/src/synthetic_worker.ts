// Worker thread that renders synthetic batches (see synthetic_pool.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { MorphableModel } from '@3dmm-stn/morphable-model';
import { type SyntheticAssets, type SyntheticOptions, SyntheticFaces } from './synthetic';

const { model, options, assets } = workerData as {
  model: MorphableModel;
  options: SyntheticOptions;
  assets: SyntheticAssets | null;
};
const faces = new SyntheticFaces(model, options, assets);
parentPort?.on('message', (msg: { step: number }) => {
  try {
    const batch = faces.loadStep(msg.step);
    const transfer = batch.samples.flatMap((s) => [
      s.image.buffer,
      s.landmarks.buffer,
    ]) as ArrayBuffer[];
    parentPort?.postMessage({ step: msg.step, batch }, transfer);
  } catch (e) {
    parentPort?.postMessage({ step: msg.step, error: (e as Error).stack ?? String(e) });
  }
});
parentPort?.postMessage({ ready: true });

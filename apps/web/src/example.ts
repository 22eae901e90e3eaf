/** The "Using it in your model" panel: the README's example run on the last fitted face. */
import { cropFaces, type FaceFit, type FitRecord } from '@3dmm-stn/fit';
import { toCrop } from '@3dmm-stn/localiser';
import type { GridModel } from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import type { DecodedPhoto } from './decode';
import { $, nextFrame } from './dom';
import { putPixels } from './draw';
import type { Engine } from './engine';
import { heatmapRgba, rgbToRgba } from './images';
import { EXAMPLE_SIZE, type ExampleInput, runStnExample, syntheticInput } from './stn_example';

/** The last photo's first fitted face (the example's input). */
export interface LastFit {
  photo: DecodedPhoto;
  fit: FaceFit;
  record: FitRecord;
}

/** The example panel's input: the last fitted face's crop and landmarks, else a synthetic image. */
function exampleInput(grid: GridModel, lastFit: LastFit | null): ExampleInput {
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

/** Runs the example on the engine's grid and shows its outputs, loss and gradients. */
export async function runExample(
  engine: () => Promise<Engine>,
  lastFit: LastFit | null,
): Promise<void> {
  const panel = $('stn-example');
  const out = $('example-result');
  panel.dataset.state = 'working';
  out.textContent = 'running…';
  await nextFrame();
  try {
    const e = await engine();
    const before = tf.memory().numTensors;
    const input = exampleInput(e.grid, lastFit);
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

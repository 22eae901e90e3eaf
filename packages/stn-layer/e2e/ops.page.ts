/// <reference lib="dom" />
/**
 * In-page correctness tests of the STN ops, run in a real Chromium by `npm run test:e2e`
 * (scripts/e2e.mjs): on every backend the page offers (cpu, wasm with this package's own JS
 * kernels, webgl with the composed path), values against the float64 references of
 * test/ops-reference.ts and gradients against central differences of those references — the
 * same evidence as the Node tests. Results go to `window.__stnResults` (and `<pre id="result">`).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { axisAngleToRotation, gridSample, projectVertices } from '../src/index';
import { checkGradient, f32, maxAbsDiff, seededRandom, uniform } from '../test/ops-gradcheck';
import { axisAngleToRotation64, gridSample64, projectVertices64 } from '../test/ops-reference';

interface CaseResult {
  backend: string;
  name: string;
  ok: boolean;
  detail: string;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

async function runCases(backend: string): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  // webgl computes in float32 on a software GL here: looser tolerances than cpu/wasm.
  const tol = backend === 'webgl' ? { atol: 2e-3, rtol: 2e-2 } : { atol: 1e-4, rtol: 5e-3 };
  const valueTol = backend === 'webgl' ? 1e-3 : 1e-4;
  const run = (name: string, fn: () => string) => {
    try {
      out.push({ backend, name, ok: true, detail: fn() });
    } catch (e) {
      out.push({ backend, name, ok: false, detail: (e as Error).message });
    }
  };
  const rand = seededRandom(7);

  run('axisAngleToRotation: values and gradient', () => {
    const B = 3;
    const r = uniform(rand, 3 * B, -1.5, 1.5);
    const w = uniform(rand, 9 * B);
    const value = tf.tidy(() =>
      axisAngleToRotation(tf.tensor2d(f32(r), [B, 3], 'float32')).dataSync(),
    );
    const err = maxAbsDiff(value, axisAngleToRotation64(r, B));
    if (!(err < valueTol)) throw new Error(`R differs from the power series by ${err}`);
    const g = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) =>
          tf.sum(
            tf.mul(
              axisAngleToRotation(x as tf.Tensor2D),
              tf.tensor3d(f32(w), [B, 3, 3], 'float32'),
            ),
          ),
        )(tf.tensor2d(f32(r), [B, 3], 'float32'))
        .dataSync(),
    );
    const ratio = checkGradient('dR/dr', (x) => dot(axisAngleToRotation64(x, B), w), r, g, {
      h: 1e-5,
      ...tol,
    });
    return `max |R − ref| ${err.toExponential(2)}, gradient error ratio ${ratio.toFixed(3)}`;
  });

  run('projectVertices: values and gradients', () => {
    const [B, N] = [2, 5];
    const X = uniform(rand, B * N * 3, -80, 80);
    const r = uniform(rand, 3 * B, -0.6, 0.6);
    const t = uniform(rand, 2 * B, 40, 60);
    const logS = uniform(rand, B, -1, -0.5);
    const w = uniform(rand, B * N * 2);
    const tX = () => tf.tensor3d(f32(X), [B, N, 3], 'float32');
    const tr = () => tf.tensor2d(f32(r), [B, 3], 'float32');
    const tt = () => tf.tensor2d(f32(t), [B, 2], 'float32');
    const ts = () => tf.tensor2d(f32(logS), [B, 1], 'float32');
    const value = tf.tidy(() => projectVertices(tX(), tr(), tt(), ts()).dataSync());
    const err = maxAbsDiff(value, projectVertices64(X, r, t, logS, B, N));
    if (!(err < valueTol * 100)) throw new Error(`p differs from the reference by ${err} px`);
    const [gr, gs] = tf.tidy(() => {
      const wT = tf.tensor3d(f32(w), [B, N, 2], 'float32');
      const gs = tf.grads((rr: tf.Tensor, ss: tf.Tensor) =>
        tf.sum(tf.mul(projectVertices(tX(), rr as tf.Tensor2D, tt(), ss as tf.Tensor2D), wT)),
      )([tr(), ts()]);
      return gs.map((x) => x.dataSync());
    });
    const ratioR = checkGradient(
      'dp/dr',
      (x) => dot(projectVertices64(X, x, t, logS, B, N), w),
      r,
      gr,
      { h: 1e-6, atol: tol.atol * 100, rtol: tol.rtol },
    );
    const ratioS = checkGradient(
      'dp/dlogS',
      (x) => dot(projectVertices64(X, r, t, x, B, N), w),
      logS,
      gs,
      { h: 1e-6, atol: tol.atol * 100, rtol: tol.rtol },
    );
    return `max |p − ref| ${err.toExponential(2)} px, gradient error ratios r ${ratioR.toFixed(3)}, log s ${ratioS.toFixed(3)}`;
  });

  run('gridSample: values and gradients (image and coordinates)', () => {
    const [B, H, W, C, Ho, Wo] = [2, 6, 7, 3, 3, 4];
    const image = uniform(rand, B * H * W * C, 0, 1);
    // Inside the image and across its border (zeros padding), away from pixel-centre kinks.
    const coords = uniform(rand, B * Ho * Wo * 2, -0.7, 6.7).map((v) =>
      Math.abs(v - Math.round(v)) < 0.05 ? v + 0.1 : v,
    );
    const w = uniform(rand, B * Ho * Wo * C);
    const tI = () => tf.tensor4d(f32(image), [B, H, W, C], 'float32');
    const tC = () => tf.tensor4d(f32(coords), [B, Ho, Wo, 2], 'float32');
    const value = tf.tidy(() => gridSample(tI(), tC()).dataSync());
    const ref = gridSample64(image, coords, [B, H, W, C], [Ho, Wo]);
    const err = maxAbsDiff(value, ref);
    if (!(err < valueTol)) throw new Error(`samples differ from the reference by ${err}`);
    const [gi, gc] = tf.tidy(() => {
      const wT = tf.tensor4d(f32(w), [B, Ho, Wo, C], 'float32');
      return tf
        .grads((im: tf.Tensor, co: tf.Tensor) =>
          tf.sum(tf.mul(gridSample(im as tf.Tensor4D, co as tf.Tensor4D), wT)),
        )([tI(), tC()])
        .map((x) => x.dataSync());
    });
    const ratioI = checkGradient(
      'dsample/dimage',
      (x) => dot(gridSample64(x, coords, [B, H, W, C], [Ho, Wo]), w),
      image,
      gi,
      { h: 1e-4, ...tol },
    );
    const ratioC = checkGradient(
      'dsample/dcoords',
      (x) => dot(gridSample64(image, x, [B, H, W, C], [Ho, Wo]), w),
      coords,
      gc,
      { h: 1e-6, ...tol },
    );
    return `max |sample − ref| ${err.toExponential(2)}, gradient error ratios image ${ratioI.toFixed(3)}, coords ${ratioC.toFixed(3)}`;
  });

  run('which implementation ran', () => {
    const ours = ['StnAxisAngleToRotation', 'StnProjectVertices', 'StnGridSample'];
    const registered = ours.filter((k) => tf.getKernel(k, backend) !== undefined);
    // cpu and wasm run this package's own JS kernels (on the backend's memory); webgl the
    // composed path of tfjs ops.
    const expected = backend === 'webgl' ? [] : ours;
    if (registered.join() !== expected.join()) {
      throw new Error(`kernels registered for ${backend}: [${registered}], expected [${expected}]`);
    }
    return backend === 'webgl'
      ? 'composed path (no package kernels)'
      : `own kernels: ${registered.join(', ')}`;
  });

  run('no tensor leaks over repeated calls', () => {
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      tf.tidy(() => {
        gridSample(
          tf.ones([1, 4, 4, 3]) as tf.Tensor4D,
          tf.zeros([1, 2, 2, 2]) as tf.Tensor4D,
        ).dataSync();
      });
    }
    const after = tf.memory().numTensors;
    if (after !== before) throw new Error(`numTensors ${before} → ${after}`);
    return `numTensors stays ${after}`;
  });
  return out;
}

async function main(): Promise<void> {
  const pre = document.getElementById('result') as HTMLPreElement;
  const results: CaseResult[] = [];
  const unavailable: string[] = [];
  setWasmPaths('./');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  for (const backend of ['cpu', 'wasm', 'webgl']) {
    let ok = false;
    try {
      ok = await tf.setBackend(backend);
      await tf.ready();
    } catch {
      ok = false;
    }
    if (!ok) {
      unavailable.push(backend);
      continue;
    }
    results.push(...(await runCases(backend)));
  }
  const report = { results, unavailable, userAgent: navigator.userAgent };
  (window as unknown as { __stnResults: unknown }).__stnResults = report;
  pre.textContent = JSON.stringify(report, null, 2);
  document.body.dataset.state = 'done';
}

main().catch((e) => {
  (window as unknown as { __stnResults: unknown }).__stnResults = { error: String(e) };
  document.body.dataset.state = 'error';
});

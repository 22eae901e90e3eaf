// End-to-end tests and benchmark of the demo page (apps/web) in headless Chromium, called by
// scripts/e2e.mjs: builds the app with Vite into a temp folder, serves it statically, and drives
// it through its hooks (`#photo`, `#result`, `body[data-state]`).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const WASM_TIMEOUT = 600_000;

/** `vite build` of apps/web into a temp folder; returns the folder and the build's chunk sizes. */
export async function buildWeb(root) {
  const { build } = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'stn-web-'));
  const result = await build({
    root: join(root, 'apps/web'),
    configFile: join(root, 'apps/web/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return { outDir, result };
}

async function waitSettled(page, timeout) {
  await page.waitForFunction(() => document.body.dataset.state !== 'working', null, { timeout });
  return page.evaluate(() => ({
    state: document.body.dataset.state,
    result: document.getElementById('result')?.textContent ?? '',
    status: document.getElementById('status')?.textContent ?? '',
  }));
}

async function upload(page, file, timeout = WASM_TIMEOUT) {
  // The page sets `working` in the change event itself, so it holds when this returns.
  await page.setInputFiles('#photo', file);
  return waitSettled(page, timeout);
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A PNG of smooth colour gradients (no face) made by the page's own canvas. */
async function noFacePng(page) {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 640;
    c.height = 480;
    const ctx = c.getContext('2d');
    const g = ctx.createLinearGradient(0, 0, 640, 480);
    g.addColorStop(0, '#204080');
    g.addColorStop(1, '#e0c090');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, 640, 480);
    return c.toDataURL('image/png').split(',')[1];
  });
  return { name: 'no-face.png', mimeType: 'image/png', buffer: Buffer.from(b64, 'base64') };
}

/** Pixel statistics of the face cards' canvases of one class (UV, mask). */
function canvasStats(page, cls) {
  return page.evaluate((cls) => {
    return [...document.querySelectorAll(`#faces canvas.${cls}`)].map((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      let sq = 0;
      let nonBlack = 0;
      const n = c.width * c.height;
      for (let p = 0; p < n; p++) {
        const v = (d[4 * p] + d[4 * p + 1] + d[4 * p + 2]) / 3;
        sum += v;
        sq += v * v;
        if (v > 8) nonBlack++;
      }
      const mean = sum / n;
      return {
        width: c.width,
        height: c.height,
        mean,
        std: Math.sqrt(sq / n - mean * mean),
        nonBlack: nonBlack / n,
      };
    });
  }, cls);
}

/** The photo-level checks of sample1's records (3 faces, landmarks inside, UV present). */
function checkSample1(records, check, tag) {
  if (!Array.isArray(records)) {
    check(`${tag}: #result holds a record array`, false, String(records).slice(0, 200));
    return;
  }
  check(`${tag}: 3 faces found in sample1.jpg`, records.length === 3, `${records.length} records`);
  for (const r of records) {
    const [W, H] = r.imageSize ?? [];
    const inside = (p) => p && p[0] >= 0 && p[0] < W && p[1] >= 0 && p[1] < H;
    const det = r.landmarks?.detected ?? [];
    const fit = (r.landmarks?.fitted ?? []).filter((p) => p !== null);
    check(
      `${tag}: face ${r.face}: 68 detected and ${fit.length} fitted landmarks inside the 1920×1280 image`,
      W === 1920 &&
        H === 1280 &&
        det.length === 68 &&
        det.every(inside) &&
        fit.length >= 60 &&
        fit.every(inside),
      `imageSize ${W}×${H}`,
    );
    check(
      `${tag}: face ${r.face}: θ finite (52: the ICT model's 10 + 36 fitting modes), ARKit weights in [0, 1] by name, fit close to the landmarks, UV file named`,
      r.theta?.length === 52 &&
        r.theta.every(Number.isFinite) &&
        Object.keys(r.expressions ?? {}).length === 36 &&
        typeof r.expressions?.jawOpen === 'number' &&
        Object.values(r.expressions).every((w) => w >= 0 && w <= 1) &&
        r.error.rmsNormalised < 0.12 &&
        r.visibleFraction > 0.3 &&
        r.files?.uv === `sample1.face${r.face}.uv.png` &&
        r.method === 'optimisation',
      `landmark RMS ${r.error?.rmsPx?.toFixed(2)} px (${(100 * r.error?.rmsNormalised).toFixed(1)} % eye), visible ${(100 * r.visibleFraction).toFixed(0)} %, fit ${r.seconds?.fit?.toFixed(2)} s/face`,
    );
  }
}

/**
 * The page's end-to-end checks on one backend. Returns the number of failures.
 * @param url the served build, e.g. http://127.0.0.1:1234
 */
export async function webTests(context, url, backend, { root, sample }) {
  let failed = 0;
  const check = (name, ok, detail = '') => {
    if (!ok) failed++;
    console.log(`${ok ? '✓' : '✗'} [web ${backend}] ${name}${detail ? `: ${detail}` : ''}`);
  };
  const logs = [];
  const watch = (page) => {
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  };
  const page = await context.newPage();
  watch(page);
  try {
    const t0 = Date.now();
    await page.goto(`${url}/index.html?backend=${backend}`);
    let s = await waitSettled(page, WASM_TIMEOUT);
    check(
      'page ready (backend, face models, UV grid)',
      s.state === 'ready',
      `${((Date.now() - t0) / 1000).toFixed(1)} s; ${s.status}`,
    );
    if (s.state !== 'ready') throw new Error(`page not ready: ${s.result}`);
    const engine = await page.evaluate(() => ({
      backend: window.__web.backend(),
      stnKernels: window.__web.stnKernels(),
    }));
    // On wasm the layer runs the package's own kernels (registered by importing it); webgl has
    // none (the composed path of tfjs ops).
    check(
      `tfjs backend ${backend}, the STN's own kernels ${backend === 'wasm' ? 'registered' : 'absent'}`,
      engine.backend === backend &&
        (backend === 'wasm'
          ? ['StnGridSample', 'StnMorphProject'].every((k) => engine.stnKernels.includes(k))
          : engine.stnKernels.length === 0),
      `${engine.backend}: [${engine.stnKernels.join(', ')}]`,
    );

    s = await upload(page, {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not a photo\n'),
    });
    const notImage = parse(s.result);
    check(
      'a text file: data-state error, the message in #result',
      s.state === 'error' && /notes\.txt .*not an image/.test(notImage?.error ?? ''),
      notImage?.error,
    );

    const t1 = Date.now();
    s = await upload(page, sample);
    const records = parse(s.result);
    check(
      'sample1.jpg after the error: data-state done',
      s.state === 'done',
      `${((Date.now() - t1) / 1000).toFixed(1)} s; ${s.status}`,
    );
    checkSample1(records, check, 'sample1');
    const uv = await canvasStats(page, 'uv');
    check(
      'a UV texture per face, with image content',
      uv.length === 3 &&
        uv.every((u) => u.width === 112 && u.height === 112 && u.std > 10 && u.nonBlack > 0.5),
      uv
        .map(
          (u) =>
            `mean ${u.mean.toFixed(0)} std ${u.std.toFixed(0)} non-black ${(100 * u.nonBlack).toFixed(0)} %`,
        )
        .join('; '),
    );
    const masks = await canvasStats(page, 'mask');
    check(
      'a visibility mask per face, matching its visible fraction',
      masks.length === 3 &&
        Array.isArray(records) &&
        masks.every(
          (m, k) =>
            m.nonBlack > 0.2 &&
            m.nonBlack < 0.95 &&
            m.nonBlack <= records[k].visibleFraction + 0.02,
        ),
      masks.map((m) => `${(100 * m.nonBlack).toFixed(0)} % white`).join('; '),
    );
    const tensors1 = await page.evaluate(() => window.__web.numTensors());

    const [objDl] = await Promise.all([
      page.waitForEvent('download'),
      page.click('.face[data-face="0"] .dl-obj'),
    ]);
    const obj = readFileSync(await objDl.path(), 'utf8');
    const count = (re) => (obj.match(re) ?? []).length;
    const nv = count(/^v /gm);
    check(
      'OBJ download: the textured mesh (v = vt, mtllib, faces)',
      objDl.suggestedFilename() === 'sample1.face0.obj' &&
        obj.includes('mtllib sample1.face0.mtl') &&
        nv > 1000 &&
        count(/^vt /gm) === nv &&
        count(/^f /gm) > 1000,
      `${objDl.suggestedFilename()}: ${nv} vertices, ${count(/^f /gm)} faces`,
    );
    const [pngDl] = await Promise.all([
      page.waitForEvent('download'),
      page.click('.face[data-face="0"] .dl-uv'),
    ]);
    const png = readFileSync(await pngDl.path());
    check(
      'UV PNG download: a 112×112 PNG',
      pngDl.suggestedFilename() === 'sample1.face0.uv.png' &&
        png.subarray(1, 4).toString() === 'PNG' &&
        png.readUInt32BE(16) === 112 &&
        png.readUInt32BE(20) === 112,
      `${pngDl.suggestedFilename()}, ${png.length} bytes`,
    );

    await page.click('#run-example');
    await page.waitForFunction(
      () => document.getElementById('stn-example').dataset.state !== 'working',
      null,
      { timeout: WASM_TIMEOUT },
    );
    const ex = parse(await page.textContent('#example-result'));
    check(
      'STN example: outputs, a finite loss, gradients to the image (sampled pixels only) and every weight, no leak',
      ex &&
        !ex.error &&
        Number.isFinite(ex.loss) &&
        ex.loss > 0 &&
        ex.imageGradient.nonZeroFraction > 0.01 &&
        ex.imageGradient.nonZeroFraction < 0.9 &&
        ex.weightGradients.length === 4 &&
        ex.weightGradients.every((w) => Number.isFinite(w.gradNorm) && w.gradNorm > 0) &&
        ex.tensorsLeaked === 0 &&
        JSON.stringify(ex.outputs.map((o) => o.shape)) === '[[1,112,112,3],[1,112,112,1],[1,68,2]]',
      ex?.error ??
        `loss ${ex?.loss?.toFixed(2)}, image gradient on ${(100 * ex?.imageGradient?.nonZeroFraction).toFixed(1)} % of pixels, |∂L/∂W| ${ex?.weightGradients?.map((w) => w.gradNorm.toExponential(1)).join(', ')}`,
    );

    // After the example ran: the page with the fit, the downloads' figures and the example.
    mkdirSync(join(root, '.tmp/e2e'), { recursive: true });
    const shot = join(root, `.tmp/e2e/web-${backend}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`  screenshot: ${shot}`);

    s = await upload(page, await noFacePng(page));
    const noFace = parse(s.result);
    check(
      'a photo without a face: data-state error, the message in #result',
      s.state === 'error' && /no face found in no-face\.png/.test(noFace?.error ?? ''),
      noFace?.error,
    );

    // The webcam path (Chromium's fake camera: a test pattern, no face): start, shoot → the
    // frame goes through the same pipeline as a file and fails with the no-face message.
    await page.click('#webcam');
    await page.waitForFunction(
      () => {
        const v = document.getElementById('video');
        return !v.hidden && v.readyState >= 2 && v.videoWidth > 0;
      },
      null,
      { timeout: 60_000 },
    );
    // A sentinel state: the shot (an async canvas.toBlob) must replace it with working → error.
    await page.evaluate(() => {
      document.body.dataset.state = 'shooting';
    });
    await page.click('#shoot');
    await page.waitForFunction(
      () => !['shooting', 'working'].includes(document.body.dataset.state),
      null,
      { timeout: WASM_TIMEOUT },
    );
    s = await waitSettled(page, WASM_TIMEOUT);
    const cam = parse(s.result);
    check(
      "webcam: a frame of Chromium's fake camera goes through the pipeline (no face in its test pattern)",
      s.state === 'error' && /no face found in webcam-.*\.png \(\d+×\d+/.test(cam?.error ?? ''),
      cam?.error,
    );

    // Offline from here: once loaded, the page needs nothing from the network.
    await context.setOffline(true);
    let probe;
    try {
      // The emulation does cut the page off (also from 127.0.0.1).
      probe = await page.evaluate(() =>
        fetch(`index.html?probe=${Math.random()}`).then(
          () => 'reachable',
          () => 'offline',
        ),
      );
      s = await upload(page, sample);
    } finally {
      await context.setOffline(false);
    }
    const again = parse(s.result);
    const tensors2 = await page.evaluate(() => window.__web.numTensors());
    check(
      'sample1.jpg again, offline: done, the same θ (deterministic), no tensor leak',
      probe === 'offline' &&
        s.state === 'done' &&
        Array.isArray(again) &&
        Array.isArray(records) &&
        again.length === records.length &&
        again.every((r, k) => JSON.stringify(r.theta) === JSON.stringify(records[k].theta)) &&
        tensors2 === tensors1,
      `server ${probe} from the page; numTensors ${tensors1} → ${tensors2}`,
    );
  } catch (e) {
    check('web page run', false, `${e.message}\n${logs.slice(-30).join('\n')}`);
  } finally {
    await page.close();
  }

  // A model that fails to load: a clear error, and the next photo retries and works.
  const broken = await context.newPage();
  watch(broken);
  try {
    await broken.route('**/models/ssd_mobilenetv1_model.bin', (r) => r.abort('connectionrefused'));
    await broken.goto(`${url}/index.html?backend=${backend}`);
    let s = await waitSettled(broken, WASM_TIMEOUT);
    const err = parse(s.result);
    check(
      'a model that fails to load: data-state error naming the model and its URL',
      s.state === 'error' && /face detector.*ssd_mobilenetv1_model\.bin/.test(err?.error ?? ''),
      err?.error,
    );
    await broken.unroute('**/models/ssd_mobilenetv1_model.bin');
    s = await upload(broken, sample);
    const records = parse(s.result);
    check(
      'the next photo loads the models again and is fitted',
      s.state === 'done' && Array.isArray(records) && records.length === 3,
      s.status,
    );
  } catch (e) {
    check('web page run (model failure)', false, `${e.message}\n${logs.slice(-30).join('\n')}`);
  } finally {
    await broken.close();
  }
  if (backend === 'wasm') {
    // θ from the pretrained localiser (@3dmm-stn/pretrained's weights, served by the app).
    const pre = await context.newPage();
    watch(pre);
    try {
      await pre.goto(`${url}/index.html?backend=${backend}&method=pretrained`);
      let s = await waitSettled(pre, WASM_TIMEOUT);
      check('?method=pretrained: the localiser loads', s.state === 'ready', s.status);
      s = await upload(pre, sample);
      const records = parse(s.result);
      // The localiser alone is coarse (its README: NME ≈ 20 % of the eye distance on PASCAL
      // faces), so the check is that its θ lands on each face: the fitted landmarks' centroid
      // inside the detector box (a wrong crop ↔ photo transform would put it elsewhere).
      const onFace = (r) => {
        const pts = r.landmarks.fitted.filter((p) => p !== null);
        const cx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
        const cy = pts.reduce((a, p) => a + p[1], 0) / pts.length;
        const [x, y, w, h] = r.detection.box;
        return cx > x && cx < x + w && cy > y && cy < y + h;
      };
      const ok =
        s.state === 'done' &&
        Array.isArray(records) &&
        records.length === 3 &&
        records.every(
          (r) => r.method === 'localiser' && r.theta.every(Number.isFinite) && onFace(r),
        ) &&
        records.reduce((a, r) => a + r.error.rmsNormalised, 0) / 3 < 0.5;
      check(
        "?method=pretrained: sample1.jpg → 3 faces, the localiser's θ on each face (fitted landmarks' centroid in its box)",
        ok,
        Array.isArray(records)
          ? records
              .map((r) => `face ${r.face} RMS ${(100 * r.error.rmsNormalised).toFixed(1)} % eye`)
              .join('; ')
          : s.result.slice(0, 300),
      );
    } catch (e) {
      check('web page run (pretrained)', false, `${e.message}\n${logs.slice(-30).join('\n')}`);
    } finally {
      await pre.close();
    }
  }
  return failed;
}

/**
 * Sizes of the build's files (bytes, and gzip -9 of each): the JavaScript chunks (the page, and
 * chunks loaded on demand), the wasm binaries and the model files the page fetches.
 */
export function bundleSizes(outDir) {
  const files = [];
  const walk = (dir) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const data = readFileSync(p);
        files.push({
          file: relative(outDir, p),
          bytes: data.length,
          gzip: gzipSync(data, { level: 9 }).length,
        });
      }
    }
  };
  walk(outDir);
  return files.sort((a, b) => a.file.localeCompare(b.file));
}

/** The page's own scripts: the entry and the chunks `index.html` preloads (the rest load on demand). */
export function pageScripts(outDir) {
  const html = readFileSync(join(outDir, 'index.html'), 'utf8');
  return new Set(
    [
      ...html.matchAll(
        /<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="\.\/([^"]+\.js)"/g,
      ),
    ].map((m) => m[1]),
  );
}

export function formatBundleTable(files, page) {
  const kB = (n) => (n / 1000).toFixed(1);
  const what = (f) =>
    page.has(f.file)
      ? 'the page (tfjs, face-api, the packages)'
      : f.file.endsWith('.js')
        ? 'loaded on demand (the pretrained localiser)'
        : f.file.startsWith('models/')
          ? 'face-api model'
          : f.file.startsWith('tfjs/')
            ? 'wasm backend binary (the SIMD one is fetched where supported)'
            : f.file.startsWith('pretrained/')
              ? 'pretrained localiser (only with ?method=pretrained)'
              : '';
  const rows = files.map(
    (f) => `| \`${f.file}\` | ${kB(f.bytes)} kB | ${kB(f.gzip)} kB | ${what(f)} |`,
  );
  const sum = (pred) =>
    files.filter(pred).reduce((a, f) => [a[0] + f.bytes, a[1] + f.gzip], [0, 0]);
  const js = sum((f) => page.has(f.file));
  const load = sum(
    (f) =>
      page.has(f.file) ||
      f.file === 'index.html' ||
      f.file.startsWith('models/') ||
      f.file === 'tfjs/tfjs-backend-wasm-simd.wasm',
  );
  return [
    '| file | minified | gzip -9 | what |',
    '|---|---:|---:|---|',
    ...rows,
    `| **the page's JavaScript** | **${kB(js[0])} kB** | **${kB(js[1])} kB** | |`,
    `| **fetched to be ready on wasm** (HTML, JS, SIMD wasm, face models) | **${kB(load[0])} kB** | **${kB(load[1])} kB** | |`,
  ].join('\n');
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[s.length >> 1] : Number.NaN;
};

/**
 * `npm run bench:web`: page ready time (fresh browser context each run: no cache) and fit time
 * per face of sample1.jpg (3 faces) on each backend. Prints a table (or JSON with --json).
 */
export async function webBench(
  browser,
  url,
  { sample, backends, outDir, loads = 3, fits = 3, fitTimeoutMs = 600_000, json },
) {
  const pageFiles = pageScripts(outDir);
  const bundle = bundleSizes(outDir);
  const loadBefore = loadavg()[0];
  const rows = [];
  for (const backend of backends) {
    const ready = [];
    const parts = [];
    let page;
    let ctx;
    for (let i = 0; i < loads; i++) {
      ctx = await browser.newContext();
      page = await ctx.newPage();
      page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
      await page.goto(`${url}/index.html?backend=${backend}`);
      const s = await waitSettled(page, WASM_TIMEOUT);
      if (s.state !== 'ready') throw new Error(`${backend}: page not ready: ${s.result}`);
      const t = await page.evaluate(() => window.__web.timings);
      ready.push(t.readyMs);
      parts.push(t);
      console.error(`  ${backend} load ${i + 1}: ready ${t.readyMs.toFixed(0)} ms`);
      if (i < loads - 1) await ctx.close();
    }
    // Fits on the last page: the first includes one-off kernel compilation (webgl shaders).
    const perFace = [];
    const detect = [];
    let first = null;
    let timedOut = null;
    for (let i = 0; i <= fits; i++) {
      let s;
      try {
        // A renderer stuck in a long synchronous GL readback does not answer Playwright's own
        // timeout: a timer on this side bounds it too.
        let timer;
        s = await Promise.race([
          upload(page, sample, fitTimeoutMs),
          new Promise((_, fail) => {
            timer = setTimeout(
              () => fail(new Error('no answer from the page')),
              fitTimeoutMs + 5000,
            );
          }),
        ]).finally(() => clearTimeout(timer));
      } catch (e) {
        // Software GL can be too slow to finish a photo: say so instead of a number.
        timedOut = `${i === 0 ? 'the first' : `photo ${i + 1}`} did not finish in ${fitTimeoutMs / 1000} s`;
        console.error(`  ${backend}: ${timedOut} (${e.message.split('\n')[0]})`);
        break;
      }
      const recs = parse(s.result);
      if (s.state !== 'done' || !Array.isArray(recs))
        throw new Error(`${backend}: fit failed: ${s.result}`);
      const f = recs[0].seconds.fit;
      console.error(
        `  ${backend} fit ${i}: ${f.toFixed(2)} s/face, detect ${recs[0].seconds.stages.detect.toFixed(2)} s`,
      );
      if (i === 0) first = f;
      else {
        perFace.push(f);
        detect.push(recs[0].seconds.stages.detect);
      }
    }
    await ctx.close();
    rows.push({
      backend,
      readyMedianMs: median(ready),
      readyMs: ready,
      readyParts: {
        backendMs: median(parts.map((p) => p.backendMs)),
        faceModelsMs: median(parts.map((p) => p.faceModelsMs)),
        gridMs: median(parts.map((p) => p.gridMs)),
      },
      fitTimedOut: timedOut,
      fitPerFaceFirstS: first,
      fitPerFaceMedianS: median(perFace),
      fitPerFaceS: perFace,
      detectMedianS: median(detect),
    });
  }
  const meta = {
    machine: `${cpus()[0]?.model} × ${cpus().length}`,
    node: process.version,
    chromium: browser.version(),
    gpu: 'none (software GL)',
    loadBefore,
    loadAfter: loadavg()[0],
  };
  if (json) {
    console.log(
      JSON.stringify({ ...meta, rows, bundle: { page: [...pageFiles], files: bundle } }, null, 2),
    );
    return;
  }
  console.log(formatBundleTable(bundle, pageFiles));
  console.log('');
  console.log(
    `machine ${meta.machine}, Chromium ${meta.chromium} headless, no GPU; 1-min load before ${loadBefore.toFixed(2)}, after ${meta.loadAfter.toFixed(2)}`,
  );
  console.log(
    '| backend | page ready (median of ' +
      loads +
      ') | of which backend / face models / UV grid | fit per face, first photo | fit per face (median of ' +
      fits +
      ') | detection per photo |\n|---|---:|---|---:|---:|---:|',
  );
  for (const r of rows)
    console.log(
      `| ${r.backend} | ${(r.readyMedianMs / 1000).toFixed(2)} s | ${(r.readyParts.backendMs / 1000).toFixed(2)} / ${((r.readyParts.faceModelsMs - r.readyParts.backendMs) / 1000).toFixed(2)} / ${((r.readyParts.gridMs - r.readyParts.faceModelsMs) / 1000).toFixed(2)} s | ${r.fitTimedOut && r.fitPerFaceFirstS === null ? r.fitTimedOut : `${r.fitPerFaceFirstS.toFixed(2)} s`} | ${r.fitTimedOut ? r.fitTimedOut : `${r.fitPerFaceMedianS.toFixed(2)} s`} | ${r.detectMedianS ? `${r.detectMedianS.toFixed(2)} s` : '—'} |`,
    );
}

export function removeBuild(outDir) {
  rmSync(outDir, { recursive: true, force: true });
}

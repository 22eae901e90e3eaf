#!/usr/bin/env node
// End-to-end tests in a real browser: Debian's Chromium (headless, no download) driven by
// playwright-core. Bundles each package's `e2e/*.page.ts` for the browser with esbuild
// (workspace packages from `src`, as the unit tests), serves it from a local static server,
// and asserts the results the page reports; then builds the demo page (apps/web) with Vite and
// drives it (scripts/e2e-web.mjs). `npm run test:e2e` (`--web-only` / `--no-web` for one part;
// E2E_WEB_BACKENDS=wasm,webgl for the page on more backends); `npm run bench:browser`
// (`--bench [--json]`) runs the in-page STN benchmark instead; `npm run bench:web`
// (`--web-bench [--json]`) the page's ready and fit times.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { buildWeb, removeBuild, webBench, webTests } from './e2e-web.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Flags that work on this project's machines (no GPU: software GL; no network).
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // The demo page's webcam button: a fake camera (a test pattern), permission granted.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

/** `@3dmm-stn/<name>` → its `src/index.ts` (packages/ or apps/), like vitest's aliases. */
const workspaceSrc = {
  name: 'workspace-src',
  setup(build) {
    build.onResolve({ filter: /^@3dmm-stn\/[^/]+$/ }, (args) => {
      const name = args.path.split('/')[1];
      for (const dir of ['packages', 'apps']) {
        const p = join(root, dir, name, 'src', 'index.ts');
        if (existsSync(p)) return { path: p };
      }
      return undefined;
    });
  },
};

const MIME = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.bin': 'application/octet-stream',
};

function serve(dir) {
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!path.startsWith(dir) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function runPage(pageFile, browser) {
  const dir = mkdtempSync(join(tmpdir(), 'stn-e2e-'));
  try {
    await esbuild.build({
      entryPoints: [pageFile],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      outfile: join(dir, 'page.js'),
      plugins: [workspaceSrc],
      logLevel: 'error',
    });
    const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    for (const f of readdirSync(wasmDir))
      if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(dir, f));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><meta charset="utf-8"><title>e2e</title><body data-state="working"><pre id="result"></pre><script type="module" src="page.js"></script>',
    );
    const server = await serve(dir);
    const page = await browser.newPage();
    const logs = [];
    page.on('console', (m) => {
      logs.push(`${m.type()}: ${m.text()}`);
      if (BENCH) console.error(`  page: ${m.text()}`);
    });
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
      await page.waitForFunction(() => document.body.dataset.state !== 'working', null, {
        timeout: 300_000,
      });
      return { report: await page.evaluate(() => window.__stnResults), logs };
    } finally {
      await page.close();
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BENCH = process.argv.includes('--bench');
const WEB_BENCH = process.argv.includes('--web-bench');
const WEB_ONLY = process.argv.includes('--web-only');
const NO_WEB = process.argv.includes('--no-web');
const JSON_OUT = process.argv.includes('--json');
const WEB_BACKENDS = (process.env.E2E_WEB_BACKENDS ?? (WEB_BENCH ? 'wasm,webgl' : 'wasm'))
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);
const SAMPLE = join(
  dirname(require.resolve('@vladmandic/face-api/package.json')),
  'demo/sample1.jpg',
);

if (WEB_BENCH) {
  const { outDir } = await buildWeb(root);
  const server = await serve(outDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    await webBench(browser, `http://127.0.0.1:${server.address().port}`, {
      sample: SAMPLE,
      backends: WEB_BACKENDS,
      outDir,
      fitTimeoutMs: 1000 * Number(process.env.WEB_BENCH_FIT_TIMEOUT_S ?? 300),
      json: JSON_OUT,
    });
  } finally {
    await browser.close();
    server.close();
    removeBuild(outDir);
  }
  process.exit(0);
}

const pages = WEB_ONLY
  ? []
  : BENCH
    ? [join(root, 'packages/stn-layer/e2e/bench.page.ts')]
    : [join(root, 'packages/stn-layer/e2e/ops.page.ts')];
const { loadavg, cpus } = await import('node:os');
const loadBefore = loadavg()[0];
const userDataDir = mkdtempSync(join(tmpdir(), 'stn-e2e-profile-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  args: ARGS,
  headless: true,
});
let failed = 0;
try {
  for (const file of pages) {
    const { report, logs } = await runPage(file, context);
    if (!report || report.error) {
      failed++;
      console.error(`✗ ${file}: the page failed: ${report?.error}\n${logs.join('\n')}`);
      continue;
    }
    if (BENCH) {
      const meta = {
        machine: `${cpus()[0]?.model} × ${cpus().length}`,
        node: process.version,
        loadBefore,
        loadAfter: loadavg()[0],
        chromium: report.userAgent,
      };
      if (JSON_OUT) console.log(JSON.stringify({ ...meta, rows: report.rows }, null, 2));
      else {
        console.log(
          `machine ${meta.machine}, ${meta.chromium}; 1-min load before ${loadBefore.toFixed(2)}, after ${meta.loadAfter.toFixed(2)}`,
        );
        console.log(
          '| backend | case | median ms | min | max | runs |\n|---|---|---:|---:|---:|---:|',
        );
        for (const r of report.rows)
          console.log(
            `| ${r.backend} | ${r.case} | ${r.medianMs.toFixed(1)} | ${r.minMs.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.runs} |`,
          );
      }
      continue;
    }
    for (const need of ['wasm', 'webgl']) {
      if (report.unavailable.includes(need)) {
        failed++;
        console.error(`✗ ${file}: backend ${need} is not available in this Chromium`);
      }
    }
    for (const r of report.results) {
      if (!r.ok) failed++;
      console.log(`${r.ok ? '✓' : '✗'} [${r.backend}] ${r.name}: ${r.detail}`);
    }
  }
  if (!BENCH && !NO_WEB) {
    const { outDir } = await buildWeb(root);
    const server = await serve(outDir);
    try {
      for (const backend of WEB_BACKENDS)
        failed += await webTests(context, `http://127.0.0.1:${server.address().port}`, backend, {
          root,
          sample: SAMPLE,
        });
    } finally {
      server.close();
      removeBuild(outDir);
    }
  }
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
if (failed > 0) {
  console.error(`${failed} e2e check(s) failed`);
  process.exit(1);
}
if (!BENCH) console.log('e2e: all checks passed');

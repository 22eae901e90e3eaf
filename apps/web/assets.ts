/**
 * The static files the page fetches at run time, copied from npm packages in `node_modules`
 * (never committed, never from a CDN): face-api's SSD MobileNet v1 and tiny face detectors and 68-point
 * landmark models, tfjs's wasm binaries, and the pretrained localiser's weights. `staticAssets()`
 * lists them; the Vite plugin `servePackageAssets()` serves them in `vite` (dev) and writes them
 * into `dist/` in `vite build`. Node-side (the build), not part of the page.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

/** One file: where it is on disk, and the path the page fetches it from (relative to the page). */
export interface StaticAsset {
  from: string;
  to: string;
}

/** The face-api models the page uses (the weight manifests and their `.bin` shards). */
export const FACE_API_MODELS = [
  'ssd_mobilenetv1_model',
  'tiny_face_detector_model',
  'face_landmark_68_model',
] as const;

/** URL folders (relative to the page) of each group. */
export const ASSET_DIRS = { models: 'models/', wasm: 'tfjs/', pretrained: 'pretrained/' } as const;

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** Every file the page needs at run time, resolved in `node_modules`; throws naming a missing one. */
export function staticAssets(): StaticAsset[] {
  const out: StaticAsset[] = [];
  const modelDir = join(packageDir('@vladmandic/face-api'), 'model');
  for (const model of FACE_API_MODELS) {
    const manifest = join(modelDir, `${model}-weights_manifest.json`);
    out.push({ from: manifest, to: `${ASSET_DIRS.models}${model}-weights_manifest.json` });
    const groups = JSON.parse(readFileSync(manifest, 'utf8')) as { paths: string[] }[];
    for (const g of groups)
      for (const p of g.paths)
        out.push({ from: join(modelDir, p), to: `${ASSET_DIRS.models}${p}` });
  }
  // The page runs wasm single-threaded (threads need cross-origin isolation headers a plain
  // static host does not send; `selectBackend` turns them off): the plain and SIMD builds only.
  const wasmDir = join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
  const wasm = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm') && !f.includes('threaded'));
  for (const f of wasm.sort()) out.push({ from: join(wasmDir, f), to: `${ASSET_DIRS.wasm}${f}` });
  const weights = join(packageDir('@3dmm-stn/pretrained'), 'weights');
  for (const f of ['model.json', 'weights.bin', 'pretrained.json'])
    out.push({ from: join(weights, f), to: `${ASSET_DIRS.pretrained}${f}` });
  for (const a of out)
    if (!existsSync(a.from))
      throw new Error(`web app asset missing: ${a.from} (for ${a.to}); run npm ci at the root`);
  return out;
}

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

/** Serves `staticAssets()` under the dev server and emits them into the build. */
export function servePackageAssets(): Plugin {
  let assets: StaticAsset[] = [];
  return {
    name: '3dmm-stn-package-assets',
    buildStart() {
      assets = staticAssets();
    },
    configureServer(server) {
      const byUrl = new Map(staticAssets().map((a) => [a.to, a.from]));
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
        const file = byUrl.get(path);
        if (!file) return next();
        const ext = path.slice(path.lastIndexOf('.'));
        res.setHeader('content-type', TYPES[ext] ?? 'application/octet-stream');
        res.end(readFileSync(file));
      });
    },
    generateBundle() {
      for (const a of assets)
        this.emitFile({ type: 'asset', fileName: a.to, source: readFileSync(a.from) });
    },
  };
}

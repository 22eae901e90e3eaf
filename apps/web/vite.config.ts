// Vite config of the demo page: plain TypeScript, no framework. Workspace packages resolve to
// their `src` (as in the tests), so `npm run web` needs no prior build of the libraries.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { servePackageAssets } from './assets.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = (dir: string) => `${root}${dir}/src/index.ts`;

export default defineConfig({
  // Relative URLs: `dist/` works from any folder of any static server.
  base: './',
  plugins: [servePackageAssets()],
  resolve: {
    alias: {
      '@3dmm-stn/checks': src('packages/checks'),
      '@3dmm-stn/morphable-model': src('packages/morphable-model'),
      '@3dmm-stn/backend': src('packages/backend'),
      '@3dmm-stn/stn-layer': src('packages/stn-layer'),
      '@3dmm-stn/losses': src('packages/losses'),
      '@3dmm-stn/localiser': src('packages/localiser'),
      '@3dmm-stn/fit': src('packages/fit'),
      '@3dmm-stn/pretrained': src('packages/pretrained'),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // tfjs is ~1.5 MB minified on its own: one chunk is expected, not a warning.
    chunkSizeWarningLimit: 4096,
  },
});

import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the programmatic API; bin: the `3dmm-stn` executable (package.json "bin").
  entry: ['src/index.ts', 'src/bin.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url (face-api's location) in the CommonJS build too.
  shims: true,
  // The shebang makes dist/bin.js executable; Node ignores it in the other outputs.
  banner: { js: '#!/usr/bin/env node' },
});

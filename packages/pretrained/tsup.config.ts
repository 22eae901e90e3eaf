import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: true,
  // import.meta.url in the CJS build (the browser entry finds weights/ beside dist/ with it)
  shims: true,
  target: 'node20',
});

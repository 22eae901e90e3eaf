import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the browser-safe entry; node: the Node-only entry (`./node` in package.json exports).
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  // One copy of shared code (and of every class, for instanceof) between the two entries, in CJS too.
  splitting: true,
  dts: true,
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: true,
  target: 'node20',
});

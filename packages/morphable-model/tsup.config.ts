import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineConfig } from 'tsup';

/**
 * Source maps keep the code but not the embedded model's data: the map of the chunk holding
 * `ict-face-data.ts` would repeat its 1.5 MB of base64 as `sourcesContent`.
 */
async function dropDataFromMaps(): Promise<void> {
  const dist = 'dist';
  for (const f of await readdir(dist)) {
    if (!f.endsWith('.map')) continue;
    const map = JSON.parse(await readFile(join(dist, f), 'utf8')) as {
      sources: string[];
      sourcesContent?: (string | null)[];
    };
    const i = map.sources.findIndex((s) => s.endsWith('ict-face-data.ts'));
    if (i < 0 || !map.sourcesContent) continue;
    map.sourcesContent[i] = null;
    await writeFile(join(dist, f), JSON.stringify(map));
  }
}

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
  onSuccess: dropDataFromMaps,
});

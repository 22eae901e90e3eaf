import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineConfig } from 'tsup';

/**
 * The embedded model's data chunk (1.5 MB of base64) gets no source map: its map would repeat
 * the same 1.5 MB as `sourcesContent` and map nothing worth stepping through.
 */
async function dropDataChunkMaps(): Promise<void> {
  const dist = 'dist';
  for (const f of await readdir(dist)) {
    if (!/\.(c?js)$/.test(f)) continue;
    const text = await readFile(join(dist, f), 'utf8');
    if (text.length < 1_000_000 || !text.includes('ICT_FACE_DATA')) continue;
    await writeFile(join(dist, f), text.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n'));
    await rm(join(dist, `${f}.map`), { force: true });
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
  onSuccess: dropDataChunkMaps,
});

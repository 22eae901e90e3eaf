/**
 * Benchmarks of @3dmm-stn/morphable-model (run from packages/morphable-model):
 *   npx tsx --tsconfig tsconfig.json bench/index.ts [name…]
 *
 * Runs every `bench/*.ts` module (except this one) that exports `run(): Promise<unknown>`, in
 * alphabetical order, or only the named ones (`bench/index.ts load`). To add a benchmark, add a
 * file with a `run` export: nothing here needs to change.
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

console.log(
  `machine: ${os.cpus()[0]?.model} × ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}` +
    ' — other work was running on these cores at the same time; treat numbers as indicative.',
);
for (const name of modules) {
  const mod = (await import(pathToFileURL(`${here}${name}.ts`).href)) as {
    run?: () => Promise<unknown>;
  };
  if (typeof mod.run !== 'function') continue;
  console.log(`\n# bench/${name}.ts`);
  await mod.run();
}

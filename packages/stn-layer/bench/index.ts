/**
 * Benchmarks of @3dmm-stn/stn-layer. Run from the package folder:
 *   npx tsx --tsconfig tsconfig.json bench/index.ts [--json] [--runs N] [--backend wasm|cpu] [--composed] [--only ops|layer]
 * Runs every bench file present (ops.ts, layer.ts) and prints a table and machine info.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchRow } from './ops';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const options: BenchOptions = {
  runs: flag('--runs') ? Number(flag('--runs')) : undefined,
  backends: flag('--backend') ? [flag('--backend') as 'wasm' | 'cpu'] : undefined,
  composed: args.includes('--composed'),
};

type BenchModule = Record<string, unknown>;
const rows: BenchRow[] = [];
const only = flag('--only');
for (const file of ['ops', 'layer']) {
  if (only && file !== only) continue;
  if (!existsSync(fileURLToPath(new URL(`./${file}.ts`, import.meta.url)))) continue;
  const mod = (await import(`./${file}`)) as BenchModule;
  // Each bench file exports one `bench…(options) → Promise<BenchRow[]>` function.
  for (const [name, fn] of Object.entries(mod)) {
    if (name.startsWith('bench') && typeof fn === 'function') {
      console.error(`${file}.${name}`);
      rows.push(...(await (fn as (o: BenchOptions) => Promise<BenchRow[]>)(options)));
    }
  }
}

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
  note: 'other work was running on the same 2 cores at the time; compare medians with care',
};
if (args.includes('--json')) {
  console.log(JSON.stringify({ machine, rows }, null, 2));
} else {
  console.log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${machine.date}`);
  console.log(machine.note);
  console.log('| bench | backend | case | median ms | min | max | CPU ms (median) | runs |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.bench} | ${r.backend} | ${r.case} | ${r.medianMs.toFixed(1)} | ${r.minMs.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.medianCpuMs.toFixed(1)} | ${r.runs} |`,
    );
  }
}

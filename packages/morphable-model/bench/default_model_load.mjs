// Load time of the embedded default model in Node, each sample a fresh process (the decode runs
// once per process): importing the built entry, the first `defaultModel()` (base64 → inflate →
// int8 dequantise → MorphableModel), a later call (copies only). Median of N after one warm-up
// process. Needs `npm run build -w @3dmm-stn/morphable-model` first.
//   node bench/default_model_load.mjs [--runs 7] [--json]
import { execFileSync } from 'node:child_process';
import os from 'node:os';

const arg = (n, d) => {
  const i = process.argv.indexOf(n);
  return i >= 0 ? process.argv[i + 1] : d;
};
const runs = Number(arg('--runs', 7));
const probe = `
const t0 = performance.now();
const m = await import('@3dmm-stn/morphable-model');
const t1 = performance.now();
const a = m.defaultModel();
const t2 = performance.now();
m.defaultModel();
const t3 = performance.now();
console.log(JSON.stringify({ import: t1 - t0, first: t2 - t1, again: t3 - t2, vertices: a.numVertices }));
`;
const sample = () =>
  JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }),
  );
const load0 = os.loadavg()[0];
sample(); // warm-up: the OS file cache
const rows = Array.from({ length: runs }, sample);
const med = (k) => {
  const s = rows.map((r) => r[k]).sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const cpu = os.cpus()[0]?.model;
const out = {
  machine: `${os.cpus().length} × ${cpu}`,
  load: [load0, os.loadavg()[0]],
  runs,
  medianMs: {
    import: med('import'),
    firstDefaultModel: med('first'),
    laterDefaultModel: med('again'),
  },
};
if (process.argv.includes('--json')) console.log(JSON.stringify(out));
else {
  console.log(
    `machine: ${out.machine}; load ${load0.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}; ${runs} fresh processes`,
  );
  console.log(
    `import the entry: ${med('import').toFixed(1)} ms; first defaultModel(): ${med('first').toFixed(1)} ms; later calls: ${med('again').toFixed(1)} ms`,
  );
}

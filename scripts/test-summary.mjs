#!/usr/bin/env node
// Sums vitest's per-package "Tests  N passed | M failed | K skipped" lines from an nx run log
// and prints one closing line: "N passed, M failed, K skipped".
import { readFileSync } from 'node:fs';

const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const log = readFileSync(process.argv[2], 'utf8').replace(ansi, '');
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of log.split('\n')) {
  const m = /^\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!m) continue;
  for (const [, n, kind] of m[1].matchAll(/(\d+)\s+(passed|failed|skipped)/g))
    totals[kind] += Number(n);
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (totals.passed + totals.failed === 0) {
  console.error('test-summary: no vitest result lines found in the log: no test ran');
  process.exit(1);
}

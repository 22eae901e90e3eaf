/**
 * `npx tsx --tsconfig scripts/fuzz/tsconfig.json scripts/fuzz/seeds.ts`: every seed, unmutated,
 * must be accepted (else the fuzzer only tests the first check of a reader). Exit code 1 if not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMATS, setupBackend } from './targets';
import { classify } from './worker';

await setupBackend();
const tmp = await mkdtemp(join(tmpdir(), '3dmm-stn-fuzz-seeds-'));
let bad = 0;
for (const f of FORMATS) {
  const seeds = await f.seeds(tmp);
  for (const [i, files] of seeds.entries()) {
    const r = await classify(() => f.run(files, tmp));
    if (r.outcome !== 'valid') bad++;
    console.log(
      `${f.kind} / ${f.name} seed ${i}: ${r.outcome}${r.error ? `: ${(r.error as Error).message}` : ''}`,
    );
  }
}
await rm(tmp, { recursive: true, force: true });
process.exit(bad ? 1 : 0);

#!/usr/bin/env node
// Packaging check: pack every workspace package, install the tarballs into a scratch
// project (as a user would with `npm install`), import each one as ESM and as CJS, and bundle
// each library package's main entry for a browser (esbuild, platform 'browser'): any Node
// built-in reached from a main entry fails the check. Prints the browser bundle sizes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { browserBundleSizes, formatSizeTable } from './browser-bundle.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), '3dmm-stn-pack-'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  // Private workspaces (the web app: static files, not an npm package) are not packed.
  const publicDirs = rootPkg.workspaces.filter(
    (dir) => !JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).private,
  );
  const packages = publicDirs.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    run('npx', ['publint', '--strict'], join(root, dir));
    const out = run('npm', ['pack', '--json', '--pack-destination', scratch], join(root, dir));
    const [{ filename }] = JSON.parse(out);
    return { name: pkg.name, tarball: join(scratch, filename), bin: pkg.bin };
  });
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  // Peer dependencies a user installs beside the packages.
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '@tensorflow/tfjs@4.22.0',
      ...packages.map((p) => p.tarball),
    ],
    scratch,
  );
  for (const { name } of packages) {
    run(
      'node',
      [
        '--input-type=module',
        '-e',
        `const m = await import('${name}'); if (!Object.keys(m).length) throw new Error('${name}: ESM import has no exports');`,
      ],
      scratch,
    );
    run(
      'node',
      [
        '-e',
        `const m = require('${name}'); if (!Object.keys(m).length) throw new Error('${name}: CJS require has no exports');`,
      ],
      scratch,
    );
    console.log(`packed and imported (ESM + CJS): ${name}`);
  }
  run('npx', ['--no-install', '3dmm-stn', '--help'], scratch);
  console.log('packed CLI runs: 3dmm-stn --help');

  // Library packages (not the CLI, not apps): their main entries must bundle for a browser.
  const libraries = packages.filter(
    (p) => rootPkg.workspaces.includes(`packages/${p.name.split('/')[1]}`) && !p.bin,
  );
  const sizes = await browserBundleSizes(
    libraries.map((p) => p.name),
    scratch,
  );
  console.log(
    'browser bundles (esbuild --platform=browser, minified; peers @tensorflow/* external):',
  );
  console.log(formatSizeTable(sizes));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

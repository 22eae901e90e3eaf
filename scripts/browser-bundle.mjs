// Bundles packages' main entries for a browser with esbuild and measures them. Used by
// check-pack.mjs (on the installed tarballs) and by `node scripts/browser-bundle.mjs` (on the
// workspace's built dist, for the README table).
//
// A main entry that reaches a Node built-in (`node:fs`, `fs`, `crypto`, …) fails: esbuild with
// platform 'browser' cannot resolve it (unless a package's own `browser` field maps it away, as
// tfjs does for its optional Node paths). Peer dependencies (`@tensorflow/*`) stay external: an
// application has exactly one tfjs, counted once in its own bundle.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

/**
 * @param {string[]} names package names, resolved from `resolveDir` as a user's project would
 * @param {string} resolveDir folder whose node_modules hold the packages
 * @returns {Promise<{ name: string, initial: { min: number, gzip: number }, lazy: { min: number, gzip: number } }[]>}
 */
export async function browserBundleSizes(names, resolveDir) {
  const out = [];
  for (const name of names) {
    const outdir = mkdtempSync(join(tmpdir(), 'stn-browser-bundle-'));
    try {
      let result;
      try {
        result = await esbuild.build({
          stdin: { contents: `export * from '${name}';`, resolveDir, sourcefile: 'entry.js' },
          bundle: true,
          platform: 'browser',
          format: 'esm',
          splitting: true,
          minify: true,
          outdir,
          entryNames: 'entry',
          metafile: true,
          logLevel: 'silent',
          external: ['@tensorflow/*'],
          // WebAssembly and worker files some dependencies reference by URL.
          loader: { '.wasm': 'file' },
        });
      } catch (e) {
        const errors = (e.errors ?? []).map(
          (m) => `  ${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`,
        );
        throw new Error(
          `${name}: its main entry does not bundle for a browser (a Node built-in or a Node-only ` +
            `module is reachable; move it behind '${name}/node'):\n${errors.join('\n') || e.message}`,
        );
      }
      out.push({ name, ...measure(result.metafile, outdir) });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  return out;
}

/** Initial = the entry chunk and what it imports statically; lazy = chunks behind `import()`. */
function measure(metafile, outdir) {
  const outputs = metafile.outputs;
  const key = (p) => resolve(p);
  const byPath = new Map(Object.entries(outputs).map(([p, o]) => [key(p), o]));
  const entry = [...byPath.keys()].find((p) => byPath.get(p).entryPoint !== undefined);
  const initial = new Set();
  const stack = [entry];
  while (stack.length > 0) {
    const p = stack.pop();
    if (initial.has(p)) continue;
    initial.add(p);
    for (const imp of byPath.get(p).imports) {
      if (imp.kind === 'import-statement' && !imp.external) stack.push(key(imp.path));
    }
  }
  const sum = (paths) => {
    let min = 0;
    let gzip = 0;
    for (const p of paths) {
      if (p.endsWith('.map')) continue;
      const bytes = readFileSync(p);
      min += bytes.length;
      gzip += gzipSync(bytes, { level: 9 }).length;
    }
    return { min, gzip };
  };
  void outdir;
  return {
    initial: sum([...initial]),
    lazy: sum([...byPath.keys()].filter((p) => !initial.has(p))),
  };
}

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;

/** A Markdown table of {@link browserBundleSizes}' result. */
export function formatSizeTable(sizes) {
  const rows = sizes.map(
    (s) =>
      `| \`${s.name}\` | ${kb(s.initial.min)} | ${kb(s.initial.gzip)} | ${s.lazy.min ? `${kb(s.lazy.min)} / ${kb(s.lazy.gzip)}` : '—'} |`,
  );
  return [
    '| package (main entry) | minified | gzipped | loaded on demand (min / gzip) |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

// `node scripts/browser-bundle.mjs`: the workspace's library packages (built dist).
if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(new URL('..', import.meta.url).pathname);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = pkg.workspaces
    .filter((d) => d.startsWith('packages/'))
    .map((d) => JSON.parse(readFileSync(join(root, d, 'package.json'), 'utf8')))
    .filter((p) => !p.bin)
    .map((p) => p.name);
  const sizes = await browserBundleSizes(names, root);
  console.log(formatSizeTable(sizes));
}

#!/usr/bin/env node
// Libraries never depend on apps: a package under packages/ may not declare an app under apps/
// in any of its dependency fields, map it in its tsconfig paths, or import it (static import,
// export … from, import('literal'), require('literal')) from its src, test or bench files.
// Run by `npm run lint`; exits 1 and lists every violation as `file:line: what`.
//
// A run-time lookup of an optional program by a name held in a variable (the CLI's `train`
// finding an installed trainer) is not an edge of the build graph and is not flagged: the
// package builds, tests and runs without the app.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
const SOURCE_DIRS = ['src', 'test', 'bench'];
const SOURCE_EXT = /\.(?:[cm]?[jt]sx?)$/;
// import … from 'x' | export … from 'x' | import 'x' | import('x') | require('x')
const SPECIFIERS = [
  /\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function subdirs(dir) {
  try {
    return readdirSync(dir)
      .map((d) => join(dir, d))
      .filter((d) => statSync(d).isDirectory());
  } catch {
    return [];
  }
}

function* walk(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (SOURCE_EXT.test(name)) yield p;
  }
}

/** Strip comments (keeping line breaks) so that a commented-out import is not flagged. */
function stripComments(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/[^\n]*/g, (m, p) => p + ' '.repeat(m.length - p.length));
}

/** The app package that `specifier` names (itself or a subpath), or null. */
function appOf(specifier, apps) {
  for (const name of apps.keys())
    if (specifier === name || specifier.startsWith(`${name}/`)) return name;
  return null;
}

/**
 * Every violation of "libraries never depend on apps" under `root`: `{ file, line, message }`.
 * Libraries are the folders of `packages/`, apps those of `apps/` (each with a package.json).
 */
export function checkBoundaries(root) {
  const apps = new Map(); // name → dir
  for (const dir of subdirs(join(root, 'apps'))) {
    try {
      apps.set(readJson(join(dir, 'package.json')).name, dir);
    } catch {}
  }
  const problems = [];
  for (const dir of subdirs(join(root, 'packages'))) {
    const pkgFile = join(dir, 'package.json');
    let pkg;
    try {
      pkg = readJson(pkgFile);
    } catch {
      continue;
    }
    const rel = (p) => relative(root, p);
    for (const field of DEP_FIELDS)
      for (const dep of Object.keys(pkg[field] ?? {}))
        if (apps.has(dep))
          problems.push({
            file: rel(pkgFile),
            line: 0,
            message: `${pkg.name} lists the app ${dep} in ${field}`,
          });
    for (const tsconfig of ['tsconfig.json', 'tsconfig.build.json']) {
      let paths = {};
      try {
        paths = readJson(join(dir, tsconfig)).compilerOptions?.paths ?? {};
      } catch {}
      for (const [key, targets] of Object.entries(paths)) {
        const app = appOf(key.replace(/\/\*$/, ''), apps);
        const intoApps = targets.some((t) => /(^|\/)apps\//.test(t));
        if (app || intoApps)
          problems.push({
            file: rel(join(dir, tsconfig)),
            line: 0,
            message: `${pkg.name} maps ${key} to an app (${targets.join(', ')})`,
          });
      }
    }
    for (const sub of SOURCE_DIRS)
      for (const file of walk(join(dir, sub))) {
        const text = stripComments(readFileSync(file, 'utf8'));
        for (const re of SPECIFIERS)
          for (const m of text.matchAll(re)) {
            const spec = m[1];
            const app = appOf(spec, apps) ?? (/(^|\/)apps\//.test(spec) ? spec : null);
            if (!app) continue;
            const line = text.slice(0, m.index).split('\n').length;
            problems.push({
              file: rel(file),
              line,
              message: `${pkg.name} imports the app ${app}`,
            });
          }
      }
  }
  return problems;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const root = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), '..');
  const problems = checkBoundaries(root);
  for (const p of problems)
    process.stderr.write(
      `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message} (libraries under packages/ never depend on apps under apps/)\n`,
    );
  if (problems.length > 0) {
    process.stderr.write(`check-boundaries: ${problems.length} violation(s)\n`);
    process.exit(1);
  }
  process.stdout.write('check-boundaries: no package depends on an app\n');
}

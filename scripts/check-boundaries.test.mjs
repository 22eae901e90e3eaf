// Tests of scripts/check-boundaries.mjs on small workspaces in a temp folder (node --test).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkBoundaries } from './check-boundaries.mjs';

function workspace(files) {
  const root = mkdtempSync(join(tmpdir(), 'check-boundaries-'));
  const base = {
    'apps/app/package.json': JSON.stringify({ name: '@x/app', dependencies: { '@x/lib': '0' } }),
    'apps/app/src/index.ts': "import { f } from '@x/lib';\n",
    'packages/lib/package.json': JSON.stringify({ name: '@x/lib' }),
    'packages/lib/src/index.ts': 'export const f = 1;\n',
  };
  for (const [file, text] of Object.entries({ ...base, ...files })) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

test('an app may depend on a library', () => {
  assert.deepEqual(checkBoundaries(workspace({})), []);
});

test('a library listing an app in any dependency field fails', () => {
  for (const field of [
    'dependencies',
    'devDependencies',
    'peerDependencies',
    'optionalDependencies',
  ]) {
    const root = workspace({
      'packages/lib/package.json': JSON.stringify({ name: '@x/lib', [field]: { '@x/app': '0' } }),
    });
    const problems = checkBoundaries(root);
    assert.equal(problems.length, 1, field);
    assert.match(problems[0].message, new RegExp(`@x/lib lists the app @x/app in ${field}`));
  }
});

test('a library importing an app (static, subpath, dynamic literal, require, relative) fails', () => {
  const root = workspace({
    'packages/lib/src/a.ts': "import { g } from '@x/app';\n",
    'packages/lib/src/b.ts': "export { g } from '@x/app/node';\n",
    'packages/lib/test/c.test.ts': "const m = await import('@x/app');\n",
    'packages/lib/bench/d.cjs': "const m = require('@x/app');\n",
    'packages/lib/src/e.ts': "import { h } from '../../../apps/app/src/index';\n",
  });
  const files = checkBoundaries(root)
    .map((p) => `${p.file}:${p.line}`)
    .sort();
  assert.deepEqual(files, [
    'packages/lib/bench/d.cjs:1',
    'packages/lib/src/a.ts:1',
    'packages/lib/src/b.ts:1',
    'packages/lib/src/e.ts:1',
    'packages/lib/test/c.test.ts:1',
  ]);
});

test('a tsconfig path map into an app fails', () => {
  const root = workspace({
    'packages/lib/tsconfig.json': JSON.stringify({
      compilerOptions: { paths: { '@x/app': ['../../apps/app/src/index.ts'] } },
    }),
  });
  const problems = checkBoundaries(root);
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /maps @x\/app to an app/);
});

test('comments, look-alike names and run-time lookups by a variable pass', () => {
  const root = workspace({
    'packages/lib/src/a.ts':
      "// import { g } from '@x/app';\n/* import('@x/app') */\nimport { k } from '@x/application';\nconst name = '@x/app';\nawait import(name);\n",
  });
  assert.deepEqual(checkBoundaries(root), []);
});

test("this repository's libraries depend on no app", () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  assert.deepEqual(checkBoundaries(root), []);
});

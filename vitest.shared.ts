// Shared vitest settings: tests run against each package's `src`, never `dist`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const src = (dir: string) => `${root}${dir}/src/index.ts`;
const node = (dir: string) => `${root}${dir}/src/node.ts`;

// Vite matches an alias as a prefix (`@3dmm-stn/backend/node` would hit `@3dmm-stn/backend`
// and become `…/index.ts/node`): the Node-only subpaths come first.
export const workspaceAliases: Record<string, string> = {
  '@3dmm-stn/morphable-model/node': node('packages/morphable-model'),
  '@3dmm-stn/backend/node': node('packages/backend'),
  '@3dmm-stn/localiser/node': node('packages/localiser'),
  '@3dmm-stn/datasets/node': node('packages/datasets'),
  '@3dmm-stn/checks': src('packages/checks'),
  '@3dmm-stn/morphable-model': src('packages/morphable-model'),
  '@3dmm-stn/backend': src('packages/backend'),
  '@3dmm-stn/stn-layer': src('packages/stn-layer'),
  '@3dmm-stn/losses': src('packages/losses'),
  '@3dmm-stn/localiser': src('packages/localiser'),
  '@3dmm-stn/datasets': src('packages/datasets'),
  '@3dmm-stn/trainer': src('apps/trainer'),
  '@3dmm-stn/cli': src('packages/cli'),
  '@3dmm-stn/fit': src('packages/fit'),
  // the more specific subpath first
  '@3dmm-stn/pretrained/node': `${root}packages/pretrained/src/node.ts`,
  '@3dmm-stn/pretrained': src('packages/pretrained'),
};

export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: [`${root}testing/quiet-tfjs.ts`],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one global engine per process; forks isolate files from each other.
    pool: 'forks',
  },
});

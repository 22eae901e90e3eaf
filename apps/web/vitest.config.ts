import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared';

// Unit tests of the page's pure modules, in Node (no browser): `npm test`. The page itself is
// tested in Chromium by `npm run test:e2e` (scripts/e2e.mjs).
export default mergeConfig(shared, defineConfig({}));

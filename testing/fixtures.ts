// Test fixtures live in ../shared/fixtures beside the repository (never copied in).
// STN_FIXTURES overrides the location.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export const FIXTURES_DIR =
  process.env.STN_FIXTURES ?? resolve(repoRoot, '..', 'shared', 'fixtures');

/** Absolute path of a fixture file, e.g. `fixturePath('sfm', 'sfm_shape_3448.bin')`. */
export function fixturePath(...parts: string[]): string {
  const p = resolve(FIXTURES_DIR, ...parts);
  if (!existsSync(p))
    throw new Error(
      `Test fixture not found: ${p} (set STN_FIXTURES to the shared fixtures folder)`,
    );
  return p;
}

export const REPO_ROOT = repoRoot;

/**
 * `../shared/data/real-faces` (photos read in place, never copied; STN_REAL_FACES overrides), or
 * undefined where it is absent.
 */
export function realFacesDir(): string | undefined {
  const dir = process.env.STN_REAL_FACES ?? resolve(repoRoot, '..', 'shared', 'data', 'real-faces');
  return existsSync(resolve(dir, 'dlib')) ? dir : undefined;
}

/**
 * `../shared/models/ict-face-model` (the ICT Face Model, MIT; read in place; STN_ICT_MODEL
 * overrides).
 */
export function ictModelDir(): string {
  const dir =
    process.env.STN_ICT_MODEL ?? resolve(repoRoot, '..', 'shared', 'models', 'ict-face-model');
  if (!existsSync(resolve(dir, 'face', 'generic_neutral_mesh.obj')))
    throw new Error(`ICT Face Model not found in ${dir} (set STN_ICT_MODEL)`);
  return dir;
}

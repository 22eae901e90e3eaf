/** Node entry: load the pretrained network from the package's files (or a folder of your own). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRETRAINED_FILES, PretrainedFileError, type PretrainedNetwork } from './index';
import { loadPretrainedFromFiles } from './load';

export * from './index';

/** The package's `weights/` folder. */
export function pretrainedDir(): string {
  return fileURLToPath(new URL('../weights/', import.meta.url));
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PretrainedFileError(
      file,
      code === 'ENOENT'
        ? 'missing: expected the pretrained network file here (a broken install?)'
        : `cannot read: ${(e as Error).message}`,
    );
  }
}

/**
 * Load the pretrained network from `dir` (default: the package's `weights/`): `model.json`,
 * `weights.bin`, `pretrained.json`. Errors are `PretrainedFileError`s naming the file.
 */
export async function loadPretrained(options: { dir?: string } = {}): Promise<PretrainedNetwork> {
  const dir = options.dir ?? pretrainedDir();
  const names = {
    modelJson: join(dir, PRETRAINED_FILES.modelJson),
    weights: join(dir, PRETRAINED_FILES.weights),
    meta: join(dir, PRETRAINED_FILES.meta),
  };
  const [modelJson, weights, meta] = await Promise.all([
    readBytes(names.modelJson),
    readBytes(names.weights),
    readBytes(names.meta),
  ]);
  return loadPretrainedFromFiles({ modelJson, weights, meta, names });
}

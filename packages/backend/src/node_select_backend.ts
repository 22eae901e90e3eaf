import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import {
  type BackendInfo,
  NODE_AUTO,
  type SelectBackendOptions,
  selectBackendOn,
} from './select_backend';
import { prepareWasmThreads } from './wasm_threads';

/**
 * {@link selectBackendOn} for Node: `'auto'` tries `@tensorflow/tfjs-node-gpu` (CUDA) →
 * `@tensorflow/tfjs-node` → wasm → cpu. tfjs-node(-gpu) are optional peer dependencies loaded
 * with a dynamic `import()`: when absent they are skipped (a line in `fellBackFrom`), never an
 * error — unless requested explicitly, which throws `BackendUnavailableError` naming the package
 * to install. `STN_BACKEND` (and `STN_WASM_THREADS`) are read from `process.env`; wasm reads its
 * `.wasm` binaries from its own folder in `node_modules` (never fetched), and with
 * `wasmThreads` > 1 starts tfjs's threaded SIMD build (`wasm_threads.ts`).
 *
 * Request precedence: `options.backend` (the CLI flag) → `env.STN_BACKEND` → `'auto'`.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendInfo> {
  const wasmPaths = wasmBinaryDir();
  return selectBackendOn(
    {
      auto: NODE_AUTO,
      nodeBackends: true,
      env: process.env,
      prepareWasmThreads,
      ...(wasmPaths !== null ? { wasmPaths } : {}),
    },
    { importModule: (pkg: string) => import(pkg), ...options },
  );
}

/** `…/node_modules/@tensorflow/tfjs-backend-wasm/dist/` (with a trailing separator), or null. */
function wasmBinaryDir(): string | null {
  try {
    // The package's main file is dist/tf-backend-wasm.node.js, beside the .wasm binaries.
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    return dirname(main) + sep;
  } catch {
    return null;
  }
}

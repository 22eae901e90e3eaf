import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './register_wasm_training_kernels';
import { initialisedWasmBackend, wasmThreadCount } from './wasm_memory';

/**
 * Backends {@link selectBackend} can choose. `tensorflow-gpu` and `tensorflow` (tfjs-node) only
 * through `@3dmm-stn/backend/node`; `webgpu` and `webgl` only in a browser.
 */
export const BACKEND_NAMES = [
  'tensorflow-gpu',
  'tensorflow',
  'webgpu',
  'webgl',
  'wasm',
  'cpu',
] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** `'auto'` in a browser (or a worker), fastest first. `webgpu` needs `@tensorflow/tfjs-backend-webgpu` imported by the page. */
export const BROWSER_AUTO: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
/** `'auto'` in Node with `@3dmm-stn/backend/node`, fastest first. */
export const NODE_AUTO: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
/** What the caller may ask for: one backend, or `'auto'` (the first of {@link BACKEND_NAMES} that works). */
export type BackendRequest = 'auto' | BackendName;

/** The environment variable that overrides `'auto'` (a CLI flag, passed as `options.backend`, overrides it). */
export const BACKEND_ENV_VAR = 'STN_BACKEND';

/** npm package that provides each backend, and the name it registers with tfjs. */
const PROVIDERS: Record<BackendName, { pkg: string; tfName: string }> = {
  'tensorflow-gpu': { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  tensorflow: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  webgpu: { pkg: '@tensorflow/tfjs-backend-webgpu', tfName: 'webgpu' },
  webgl: { pkg: '@tensorflow/tfjs-backend-webgl', tfName: 'webgl' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { pkg: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu' },
};

/** The wasm backend module, as far as this package uses it. */
export interface WasmModule {
  setWasmPaths?: (prefix: string | Record<string, string>) => void;
  setThreadsCount?: (n: number) => void;
}

/** What differs between the browser-safe entry and `@3dmm-stn/backend/node` (internal). */
export interface Platform {
  /** Order tried for `'auto'`. */
  auto: readonly BackendName[];
  /** Whether tfjs-node(-gpu) may be probed (a dynamic `import()` of a package name). */
  nodeBackends: boolean;
  /** Default for `options.env`. */
  env: Record<string, string | undefined>;
  /** Default for `options.wasmPaths`. */
  wasmPaths?: string;
  /** Starts the threaded SIMD build with n threads, returning its initialiser (Node only). */
  prepareWasmThreads?: (mod: WasmModule, threads: number) => (() => Promise<boolean>) | null;
}

/** The platform of the main (browser-safe) entry: no tfjs-node, `'auto'` = webgpu → webgl → wasm → cpu in a page, wasm → cpu elsewhere. */
function defaultPlatform(): Platform {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined>; versions?: { node?: string } };
  };
  const inNode = typeof g.process?.versions?.node === 'string';
  return {
    auto: inNode ? ['wasm', 'cpu'] : BROWSER_AUTO,
    nodeBackends: false,
    env: g.process?.env ?? {},
  };
}

export interface SelectBackendOptions {
  /** The backend to use; `undefined` defers to `env.STN_BACKEND`, then `'auto'`. */
  backend?: BackendRequest;
  /** Environment to read `STN_BACKEND` from. Default: `process.env` where there is one, else none. */
  env?: Record<string, string | undefined>;
  /** Receives one line per decision (which backend was tried, why it was skipped). Default: none. */
  log?: (msg: string) => void;
  /**
   * Loads an optional backend package by name. Default: `import()` of
   * `@tensorflow/tfjs-backend-wasm` (a literal, so bundlers see it), and with
   * `@3dmm-stn/backend/node` of tfjs-node(-gpu) too. Tests inject absent or fake packages with it.
   */
  importModule?: (pkg: string) => Promise<unknown>;
  /**
   * Where the wasm backend finds its `.wasm` binaries (`setWasmPaths`: a URL prefix ending in
   * `/`, or a map from file name to URL). Default: in Node (`/node`) the package's own folder in
   * `node_modules`; in a browser the backend's own default. A bundled page passes the URLs its
   * bundler gave the files (e.g. Vite's `?url` imports).
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * XNNPACK threads of the wasm backend: 1 = tfjs's single-threaded SIMD build (what tfjs does
   * in Node); n > 1 starts its threaded SIMD build with n threads (convolutions and matmuls on
   * n cores; see `wasm_threads.ts`; Node only, through `@3dmm-stn/backend/node`). `undefined`
   * defers to `env.STN_WASM_THREADS`, then 1. Takes effect only when wasm is first initialised.
   */
  wasmThreads?: number;
}

export interface BackendInfo {
  /** The backend in use now. */
  name: BackendName;
  /** tfjs's name for it (`tf.getBackend()`): `'tensorflow'`, `'wasm'` or `'cpu'`. */
  tfBackend: string;
  /** What was asked for after resolving option → env var → `'auto'`. */
  requested: BackendRequest;
  /** Where `requested` came from. */
  source: 'option' | 'env' | 'default';
  /** Backends tried before `name` and why each was skipped, e.g. `"tensorflow: @tensorflow/tfjs-node is not installed"`. */
  fellBackFrom: string[];
  /** Kernels this package registered for the backend (only for `'wasm'`; empty otherwise). */
  kernelsRegistered: string[];
  /** XNNPACK threads of the wasm backend (0 when not on wasm). */
  wasmThreads: number;
}

/** An explicitly requested backend cannot be used; the message says what to install or fix. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  constructor(
    readonly backend: BackendName,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Chooses and initialises the tfjs backend for an application, a page or a test, and returns
 * what it chose. Order for `'auto'` in a browser: webgpu (when the page imported
 * `@tensorflow/tfjs-backend-webgpu` and the browser has it) → webgl → wasm → cpu, the first one
 * that initialises; elsewhere wasm → cpu. An explicitly requested backend that cannot be used
 * throws {@link BackendUnavailableError} naming what to install or fix. In Node, import
 * `selectBackend` from `@3dmm-stn/backend/node` instead: it adds tfjs-node(-gpu), wasm threads,
 * and finds the wasm binaries in `node_modules`.
 *
 * Request precedence: `options.backend` (a CLI flag or a page's choice) → `env.STN_BACKEND` → `'auto'`.
 *
 * wasm gets {@link registerWasmTrainingKernels} so that conv nets train on it.
 *
 * tfjs has one engine per process: this sets the global backend (`tf.setBackend`). Only
 * applications and tests call it; library code never does.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendInfo> {
  return selectBackendOn(defaultPlatform(), options);
}

/** {@link selectBackend} for a given platform (the browser-safe entry's, or Node's in `./node`). Internal. */
export async function selectBackendOn(
  platform: Platform,
  options: SelectBackendOptions = {},
): Promise<BackendInfo> {
  const log = options.log ?? (() => {});
  const env = options.env ?? platform.env;
  const importModule =
    options.importModule ??
    ((pkg: string) =>
      pkg === PROVIDERS.wasm.pkg
        ? import('@tensorflow/tfjs-backend-wasm')
        : Promise.reject(moduleNotFound(pkg)));
  const wasmPaths = options.wasmPaths ?? platform.wasmPaths;
  const { requested, source } = resolveRequest(options.backend, env);
  const threads = resolveThreads(options.wasmThreads, env);
  log(`backend: requested ${requested} (from ${source})`);

  const candidates: BackendName[] = requested === 'auto' ? [...platform.auto] : [requested];
  const fellBackFrom: string[] = [];
  for (const name of candidates) {
    const failure = await tryBackend(name, importModule, { platform, threads, wasmPaths });
    if (failure === null) {
      const kernelsRegistered = name === 'wasm' ? registerWasmTrainingKernels() : [];
      if (
        name === 'tensorflow-gpu' &&
        (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === false
      ) {
        // tfjs-node-gpu loads without a usable CUDA device and then runs TensorFlow on the CPU.
        log('backend: @tensorflow/tfjs-node-gpu found no GPU device; TensorFlow runs on the CPU');
      }
      log(
        `backend: using ${name}` +
          (kernelsRegistered.length > 0 ? ` (+ kernels ${kernelsRegistered.join(', ')})` : ''),
      );
      return {
        name,
        tfBackend: tf.getBackend(),
        requested,
        source,
        fellBackFrom,
        kernelsRegistered,
        wasmThreads: name === 'wasm' ? wasmThreadCount() : 0,
      };
    }
    log(`backend: skipped ${name}: ${failure.reason}`);
    if (requested !== 'auto') {
      throw new BackendUnavailableError(name, explain(name, failure, source));
    }
    fellBackFrom.push(`${name}: ${failure.reason}`);
  }
  throw new Error(`No tfjs backend could be initialised: ${fellBackFrom.join('; ')}.`);
}

/** Environment variable read for {@link SelectBackendOptions.wasmThreads}. */
export const WASM_THREADS_ENV_VAR = 'STN_WASM_THREADS';

function resolveThreads(
  option: number | undefined,
  env: Record<string, string | undefined>,
): number {
  const raw = option ?? env[WASM_THREADS_ENV_VAR];
  if (raw === undefined || String(raw).trim() === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new Error(
      `Invalid ${option !== undefined ? 'options.wasmThreads' : WASM_THREADS_ENV_VAR} '${raw}': expected an integer from 1 to 64.`,
    );
  }
  return n;
}

function resolveRequest(
  option: BackendRequest | undefined,
  env: Record<string, string | undefined>,
): { requested: BackendRequest; source: BackendInfo['source'] } {
  if (option !== undefined)
    return { requested: parseRequest(option, 'options.backend'), source: 'option' };
  const fromEnv = env[BACKEND_ENV_VAR];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { requested: parseRequest(fromEnv, BACKEND_ENV_VAR), source: 'env' };
  }
  return { requested: 'auto', source: 'default' };
}

/** Parses a backend request (case-insensitive), e.g. from a CLI flag; throws listing the valid values. */
export function parseBackendRequest(value: string): BackendRequest {
  return parseRequest(value, 'backend');
}

function parseRequest(value: string, what: string): BackendRequest {
  const v = String(value).trim().toLowerCase();
  if (v === 'auto' || (BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendRequest;
  throw new Error(`Invalid ${what} '${value}': expected one of auto, ${BACKEND_NAMES.join(', ')}.`);
}

interface Failure {
  reason: string;
  notInstalled: boolean;
}

interface WasmSetup {
  platform: Platform;
  threads: number;
  wasmPaths: SelectBackendOptions['wasmPaths'];
}

async function tryBackend(
  name: BackendName,
  importModule: (pkg: string) => Promise<unknown>,
  setup: WasmSetup,
): Promise<Failure | null> {
  const { pkg, tfName } = PROVIDERS[name];
  try {
    if (name === 'tensorflow-gpu' || name === 'tensorflow') {
      if (!setup.platform.nodeBackends) {
        return {
          reason: `${pkg} is Node-only: use selectBackend from '@3dmm-stn/backend/node'`,
          notInstalled: false,
        };
      }
      try {
        await importModule(pkg);
      } catch (e) {
        if (isModuleNotFound(e, pkg))
          return { reason: `${pkg} is not installed`, notInstalled: true };
        return { reason: `${pkg} failed to load: ${message(e)}`, notInstalled: false };
      }
      if (tf.findBackendFactory(tfName) == null) {
        // tfjs-node registered itself into another copy of tfjs-core.
        return {
          reason:
            `${pkg} loaded but did not register a '${tfName}' backend with this copy of ` +
            `@tensorflow/tfjs (are there two versions of @tensorflow/tfjs-core installed?)`,
          notInstalled: false,
        };
      }
    }
    if (name === 'webgl' || name === 'webgpu') {
      const g = globalThis as {
        document?: unknown;
        OffscreenCanvas?: unknown;
        navigator?: { gpu?: unknown };
      };
      if (name === 'webgl' && g.document === undefined && g.OffscreenCanvas === undefined) {
        return { reason: 'no WebGL outside a browser', notInstalled: false };
      }
      if (name === 'webgpu' && g.navigator?.gpu === undefined) {
        return { reason: 'this browser has no WebGPU (navigator.gpu)', notInstalled: false };
      }
      if (tf.findBackendFactory(tfName) == null) {
        return {
          reason: `'${tfName}' is not registered: import ${pkg} (or @tensorflow/tfjs) in the page`,
          notInstalled: true,
        };
      }
    }
    let init = () => tf.setBackend(tfName);
    if (name === 'wasm') {
      const prepared = await prepareWasm(importModule, setup);
      if ('reason' in prepared) return prepared;
      init = prepared.init ?? init;
    }
    const ok = await init();
    if (!ok)
      return { reason: `tf.setBackend('${tfName}') failed to initialise it`, notInstalled: false };
    await tf.ready();
    return null;
  } catch (e) {
    return { reason: message(e), notInstalled: false };
  }
}

/**
 * Loads @tensorflow/tfjs-backend-wasm and points it at its `.wasm` binaries (in Node: inside its
 * own `node_modules` folder, a file path, never a URL; in a page: the URLs the app passes);
 * single-threaded unless `threads` > 1 in Node, which returns the initialiser that starts the
 * threaded SIMD build (`prepareWasmThreads`). A page stays single-threaded: threads need
 * cross-origin isolation headers that a plain static host does not send.
 */
async function prepareWasm(
  importModule: (pkg: string) => Promise<unknown>,
  { platform, threads, wasmPaths }: WasmSetup,
): Promise<Failure | { init: (() => Promise<boolean>) | null }> {
  const pkg = PROVIDERS.wasm.pkg;
  let mod: WasmModule;
  try {
    mod = (await importModule(pkg)) as typeof mod;
  } catch (e) {
    if (isModuleNotFound(e, pkg)) return { reason: `${pkg} is not installed`, notInstalled: true };
    return { reason: `${pkg} failed to load: ${message(e)}`, notInstalled: false };
  }
  if (tf.findBackendFactory('wasm') == null) {
    return {
      reason: `${pkg} loaded but did not register 'wasm' with this copy of @tensorflow/tfjs`,
      notInstalled: false,
    };
  }
  if (initialisedWasmBackend() === null) {
    // Not initialised yet: flags and paths still take effect. (`tf.findBackend` would start the
    // initialisation, reading the thread flag before it is set.)
    try {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      if (wasmPaths !== undefined && typeof mod.setWasmPaths === 'function') {
        mod.setWasmPaths(wasmPaths);
      }
      if (threads > 1) {
        if (platform.prepareWasmThreads === undefined) {
          return {
            reason: `wasm threads (${threads}) need '@3dmm-stn/backend/node' (Node only)`,
            notInstalled: false,
          };
        }
        return { init: platform.prepareWasmThreads(mod, threads) };
      }
    } catch {
      // Only hints: the wasm backend's own defaults (its package folder) still work.
      return { init: null };
    }
  }
  return { init: null };
}

/** The error a missing package gives (so that it reads as "not installed"). */
function moduleNotFound(pkg: string): Error {
  return Object.assign(new Error(`Cannot find module '${pkg}'`), { code: 'ERR_MODULE_NOT_FOUND' });
}

function isModuleNotFound(e: unknown, pkg: string): boolean {
  const code = (e as { code?: string } | null)?.code;
  const msg = message(e);
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return msg.includes(pkg);
  // Bundlers and test runners (vite) resolve imports themselves and word the error differently.
  return (
    msg.includes(pkg) &&
    /cannot find (module|package)|could not resolve|failed to resolve/i.test(msg)
  );
}

function explain(name: BackendName, failure: Failure, source: BackendInfo['source']): string {
  const how = source === 'env' ? `${BACKEND_ENV_VAR}=${name}` : `backend '${name}'`;
  const pkg = PROVIDERS[name].pkg;
  if (failure.notInstalled) {
    const extra =
      name === 'tensorflow-gpu'
        ? ' (Linux x64 with CUDA 11.2 and cuDNN 8.1; its install script downloads libtensorflow)'
        : name === 'tensorflow'
          ? ' (its install script downloads libtensorflow)'
          : '';
    return (
      `${how} was requested, but ${pkg} is not installed. Install it beside @tensorflow/tfjs: ` +
      `npm install ${pkg}@^4.22.0${extra}, or choose another backend (auto, wasm, cpu).`
    );
  }
  return `${how} was requested, but it could not be initialised: ${failure.reason}.`;
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e !== null && typeof e === 'object' && 'message' in e) return String(e.message);
  return String(e);
}

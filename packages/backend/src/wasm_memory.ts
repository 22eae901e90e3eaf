import * as tf from '@tensorflow/tfjs';

/** The wasm32 heap limit of tfjs-backend-wasm 4.22 (emscripten's `getHeapMax()`: 4 GiB − 64 KiB). */
export const WASM_HEAP_MAX_BYTES = 4294901760;

/**
 * The wasm heap could not supply a tensor's memory. tfjs-backend-wasm does not check `malloc`:
 * without this error a full heap shows up later as `RuntimeError: memory access out of bounds`
 * (or as wrong values). Thrown by the allocation itself once {@link guardWasmAllocations} ran
 * (`selectBackend` on wasm does).
 */
export class WasmOutOfMemoryError extends Error {
  override readonly name = 'WasmOutOfMemoryError';
  constructor(
    /** bytes the failed allocation asked for */
    readonly requestedBytes: number,
    /** size of the wasm heap when it failed (it only grows) */
    readonly heapBytes: number,
    readonly maxHeapBytes: number = WASM_HEAP_MAX_BYTES,
  ) {
    super(
      `The wasm backend is out of memory: a tensor of ${formatBytes(requestedBytes)} did not fit ` +
        `in the wasm heap (${formatBytes(heapBytes)} in use of at most ${formatBytes(maxHeapBytes)}). ` +
        'Use a smaller batch or model, or the tensorflow backend (@tensorflow/tfjs-node), whose memory is not capped.',
    );
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} B`;
}

/**
 * A bare emscripten `Aborted()` counts as out of memory when the heap had grown to within this
 * share of its limit: a C++ allocation (XNNPACK's packed weights, its scratch) that fails there
 * aborts without saying why (measured: VGG-16@224 training at B = 1 aborts at 3.97 of 4 GiB).
 */
export const ABORT_NEAR_FULL_HEAP = 0.9;

/**
 * True for the ways a full wasm heap surfaces from tfjs-backend-wasm or XNNPACK. `heapBytes`:
 * the heap's size when it failed (default: the initialised wasm backend's), used to read a bare
 * `Aborted()` as a full heap (see {@link ABORT_NEAR_FULL_HEAP}).
 */
export function isWasmOutOfMemory(e: unknown, heapBytes = currentHeapBytes()): boolean {
  if (e instanceof WasmOutOfMemoryError) return true;
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (
    /memory access out of bounds|out of memory|Cannot enlarge memory|Aborted\(OOM\)|xnn_status_out_of_memory/i.test(
      msg,
    )
  ) {
    return true;
  }
  return /\bAborted\(\)/.test(msg) && heapBytes >= ABORT_NEAR_FULL_HEAP * WASM_HEAP_MAX_BYTES;
}

function currentHeapBytes(): number {
  return initialisedWasmBackend<{ wasm?: WasmModule }>()?.wasm?.HEAPU8.length ?? 0;
}

interface WasmModule {
  _malloc(n: number): number;
  HEAPU8: Uint8Array;
}

const GUARDED = Symbol.for('@3dmm-stn/backend:malloc-guard');

/**
 * The wasm backend if it is initialised, else null. (Not `tf.findBackend`: that starts the
 * backend's initialisation as a side effect, before flags such as the thread count are set.)
 */
export function initialisedWasmBackend<T = unknown>(): T | null {
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  return (registry.wasm as T | undefined) ?? null;
}

/**
 * Makes every tensor allocation of the wasm backend check `malloc`'s result and throw
 * {@link WasmOutOfMemoryError} when it fails (malloc returns 0), instead of registering a tensor
 * at address 0. Idempotent; returns false when the wasm backend is not initialised.
 * (XNNPACK's own scratch allocations happen inside C++; when they fail, the kernel's error or
 * the "memory access out of bounds" that follows is recognised by {@link isWasmOutOfMemory}.)
 */
export function guardWasmAllocations(): boolean {
  const wasm = initialisedWasmBackend<{ wasm?: WasmModule }>()?.wasm;
  if (!wasm) return false;
  const current = wasm._malloc as WasmModule['_malloc'] & { [GUARDED]?: boolean };
  if (current[GUARDED]) return true;
  const malloc = current.bind(wasm);
  const guarded = (n: number): number => {
    const p = malloc(n);
    if (p === 0 && n > 0) throw new WasmOutOfMemoryError(n, wasm.HEAPU8.length);
    return p;
  };
  Object.defineProperty(guarded, GUARDED, { value: true });
  wasm._malloc = guarded;
  return true;
}

/** Size of the wasm heap now (it only grows, so this is the peak so far); null off wasm. */
export function wasmHeapBytes(): number | null {
  const wasm = initialisedWasmBackend<{ wasm?: WasmModule }>()?.wasm;
  return wasm ? wasm.HEAPU8.length : null;
}

/** XNNPACK threads of the initialised wasm backend (1 = single-threaded), or 0 off wasm. */
export function wasmThreadCount(): number {
  const backend = initialisedWasmBackend<{ wasm?: { tfjs?: { getThreadsCount(): number } } }>();
  return backend?.wasm?.tfjs?.getThreadsCount() ?? 0;
}

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  guardWasmAllocations,
  isWasmOutOfMemory,
  selectBackend,
  WASM_HEAP_MAX_BYTES,
  WasmOutOfMemoryError,
  wasmHeapBytes,
} from '@3dmm-stn/backend/node';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

/** What wasm throws on an access past the heap (`WebAssembly.RuntimeError`). */
const wasmRuntimeError = (msg: string): Error =>
  new (
    globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }
  ).WebAssembly.RuntimeError(msg);

describe('wasm out-of-memory', () => {
  it('an allocation the heap cannot hold throws WasmOutOfMemoryError, and the backend still works', async () => {
    await tf.setBackend('wasm');
    expect(guardWasmAllocations()).toBe(true); // selectBackend already guarded: idempotent
    const backend = tf.backend() as BackendWasm;
    const heap = wasmHeapBytes() ?? 0;
    // Just under the 4 GiB limit: with the heap's current contents it can never fit, and
    // emscripten refuses to grow before allocating anything.
    const n = Math.floor((WASM_HEAP_MAX_BYTES - 1024) / 4);
    let err: unknown;
    try {
      backend.makeOutput([n], 'float32');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WasmOutOfMemoryError);
    const oom = err as WasmOutOfMemoryError;
    expect(oom.requestedBytes).toBe(n * 4);
    expect(oom.heapBytes).toBeGreaterThanOrEqual(heap);
    expect(oom.message).toMatch(/out of memory: a tensor of 4\.00 GiB did not fit/);
    expect(oom.message).toMatch(/smaller batch or model|tfjs-node/);
    expect(isWasmOutOfMemory(oom)).toBe(true);
    expect(isWasmOutOfMemory(wasmRuntimeError('memory access out of bounds'))).toBe(true);
    expect(isWasmOutOfMemory(new Error('shape mismatch'))).toBe(false);
    // A bare emscripten abort is a full heap only when the heap had grown near its limit.
    const abort = wasmRuntimeError('Aborted(). Build with -sASSERTIONS for more info.');
    expect(isWasmOutOfMemory(abort, 3.97 * 2 ** 30)).toBe(true);
    expect(isWasmOutOfMemory(abort, 200 * 2 ** 20)).toBe(false);
    // Nothing half-registered: ordinary work continues.
    expect(Array.from(tf.add(tf.ones([3]), 1).dataSync())).toEqual([2, 2, 2]);
  });
});

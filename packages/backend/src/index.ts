// Browser-safe entry (no Node built-ins). Node-only parts: `@3dmm-stn/backend/node`.
export { type AdamUpdate, adamUpdateHostMoments, adamUpdateInPlace } from './adam_in_place';
export {
  registerWasmTrainingKernels,
  WASM_TRAINING_KERNELS,
} from './register_wasm_training_kernels';
export {
  formatBytes,
  guardWasmAllocations,
  isWasmOutOfMemory,
  WASM_HEAP_MAX_BYTES,
  WasmOutOfMemoryError,
  wasmHeapBytes,
  wasmThreadCount,
} from './wasm_memory';
export {
  BACKEND_ENV_VAR,
  BACKEND_NAMES,
  BackendUnavailableError,
  BROWSER_AUTO,
  NODE_AUTO,
  parseBackendRequest,
  selectBackend,
  WASM_THREADS_ENV_VAR,
} from './select_backend';
export type {
  BackendInfo,
  BackendName,
  BackendRequest,
  SelectBackendOptions,
} from './select_backend';

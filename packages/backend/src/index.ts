export { type AdamUpdate, adamUpdateInPlace } from './adam_in_place';
export { fileSystemIO, MODEL_JSON, ModelFileError, WEIGHTS_BIN } from './file_system_io';
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
} from './wasm_memory';
export {
  BACKEND_ENV_VAR,
  BACKEND_NAMES,
  BackendUnavailableError,
  parseBackendRequest,
  selectBackend,
  WASM_THREADS_ENV_VAR,
} from './select_backend';
export { wasmThreadCount } from './wasm_threads';
export type {
  BackendInfo,
  BackendName,
  BackendRequest,
  SelectBackendOptions,
} from './select_backend';

export { fileSystemIO, MODEL_JSON, ModelFileError, WEIGHTS_BIN } from './file_system_io';
export {
  registerWasmTrainingKernels,
  WASM_TRAINING_KERNELS,
} from './register_wasm_training_kernels';
export {
  BACKEND_ENV_VAR,
  BACKEND_NAMES,
  BackendUnavailableError,
  parseBackendRequest,
  selectBackend,
} from './select_backend';
export type {
  BackendInfo,
  BackendName,
  BackendRequest,
  SelectBackendOptions,
} from './select_backend';

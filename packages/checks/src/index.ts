export { assertShape, ModelFormatError, ShapeError } from './errors';

// --- the typed-array view of backend memory shared by the project's JS kernels ---
export { HEAP_BACKENDS, isHeapBackend, memoryOf } from './kernel_memory';
export type { HeapBackend, KernelMemory, KernelOutputDtype, TensorInfoLike } from './kernel_memory';

// --- the programs' error boundary: one line and an exit code per typed error ---
export type { ErrorReport } from './report';
export { EXIT_CODES, errorKind, reportError, takeDebugFlag } from './report';

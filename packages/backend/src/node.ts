// Node-only entry of @3dmm-stn/backend: everything of the browser-safe entry, plus tfjs-node(-gpu)
// selection and the file-system IOHandler. `export *` on purpose (this entry is the main entry
// plus the Node-only names, and can never lag behind it); the explicit `selectBackend` below
// takes precedence over the main entry's (ES module rule).
export * from './index';
export { fileSystemIO, MODEL_JSON, ModelFileError, WEIGHTS_BIN } from './file_system_io';
export { selectBackend } from './node_select_backend';

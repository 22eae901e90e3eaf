export { fileSystemIO, ModelFileError, MODEL_JSON, WEIGHTS_BIN } from './file_system_io';

/** The shared checks and typed errors live in `@3dmm-stn/checks`; re-exported (the same classes) for this package's modules and its users. */
export { assertShape, ModelFormatError, ShapeError } from '@3dmm-stn/checks';

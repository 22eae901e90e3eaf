export { assertShape, ModelFormatError, ShapeError } from './errors';

/** A mesh whose topology or symmetry does not allow the requested operation (e.g. no boundary, a mirror map that is not an involution). */
export class GeometryError extends Error {
  override readonly name = 'GeometryError';
}

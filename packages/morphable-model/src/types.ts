/**
 * The model types every package shares. Flat typed arrays, one documented layout per field.
 *
 * Convention (DESIGN.md): model space is millimetres, right-handed, y up, z towards the
 * camera, the face looking along +z; x runs to the subject's left. Vertex arrays are
 * interleaved `x0 y0 z0 x1 y1 z1 …`. A basis of D modes over N vertices is mode-major
 * `[D, N, 3]` (mode k of vertex i, coordinate c at `k*3N + 3i + c`) — the same bytes as
 * eos' column-major 3N × D matrix, and the `[D, 3N]` right operand of `α · basis`.
 */

/** ibug 68-point landmark map: `vertex[k]` is the vertex of ibug point k+1, or -1 if none. */
export type LandmarkMap = Int32Array; // [68]

export interface ModelMetadata {
  /** Human-readable name, e.g. "Surrey Face Model 3448". */
  name: string;
  /** Where the model came from: a file path, "default", … */
  source: string;
  /** Format it was read from: 'eos' | 'bfm-h5' | 'obj' | '3dmm' | 'generated' | … */
  format: string;
  /** Licence or usage note carried from the source, if known. */
  licence?: string;
  /** Free-form extra facts (kept by the project's own format). */
  extra?: Record<string, unknown>;
}

/** A linear (PCA or blendshape) model of per-vertex offsets. */
export interface LinearBasis {
  /** Number of modes D. */
  numModes: number;
  /** [D, N, 3] offsets, scaled so that coefficients are ~ N(0, I) where `variance` is known. */
  basis: Float32Array;
  /** [D] the variances the basis was scaled by (PCA eigenvalues), if the source had them. */
  variance?: Float32Array;
  /** [D] mode names (blendshapes: "anger", "jawOpen", …), if the source had them. */
  names?: string[];
  /**
   * The range every coefficient lives in, when bounded: `[0, 1]` for blendshape weights (ARKit /
   * ICT-FaceKit expressions). Undefined for PCA modes (coefficients ~ N(0, 1), unbounded).
   */
  range?: [number, number];
}

/**
 * Jawline candidates for contour fitting: vertices of the subject's right and left jaw, each
 * ordered from the top of the jaw to the chin. A 2D detector puts ibug 1–8 / 10–17 on the
 * visible silhouette; a contour fit picks, among these, the vertex on the current silhouette.
 */
export interface ContourCandidates {
  /** Vertex ids on the subject's right jaw (image left in a frontal photo). */
  right: Int32Array;
  /** Vertex ids on the subject's left jaw. */
  left: Int32Array;
}

/**
 * A 3D morphable model: X(α, β) = mean + Σ αₖ shape.basis[k] + Σ βₖ expression.basis[k].
 *
 * | field | layout | units |
 * |---|---|---|
 * | mean | [N, 3] | mm |
 * | shape.basis | [D, N, 3], column k scaled by √variance[k] | mm |
 * | triangles | [F, 3] vertex ids, counter-clockwise seen from +z | — |
 * | texCoords | [N, 2] (u, v), u right, v up, in [0, 1] | — |
 * | color.mean / color.basis | [N, 3] / [D, N, 3] RGB in [0, 1] | — |
 * | landmarks | [68] ibug point k+1 → vertex id or -1 | — |
 * | symmetry | [N] mirror vertex of each vertex | — |
 */
export interface MorphableModel {
  numVertices: number;
  /** [N, 3] mean shape, mm. */
  mean: Float32Array;
  /** Identity shape modes (α). */
  shape: LinearBasis;
  /** Expression modes (blendshapes or expression PCA), if any. */
  expression?: LinearBasis;
  /** Per-vertex colour model, if any. */
  color?: { mean: Float32Array; basis: LinearBasis };
  /** [F, 3] triangle vertex ids, CCW seen from +z. */
  triangles: Uint32Array;
  /** [N, 2] texture coordinates, if the source had them. */
  texCoords?: Float32Array;
  /** [68] ibug landmark → vertex (-1 where the model has no vertex for that point). */
  landmarks: LandmarkMap;
  /** [N] left-right mirror of each vertex, if known (see `computeSymmetry`). */
  symmetry?: Int32Array;
  /** Jawline candidates for contour fitting, if the model defines them. */
  contour?: ContourCandidates;
  metadata: ModelMetadata;
}

/**
 * A model resampled onto a res × res UV grid (`resampleToGrid`): what the STN layer consumes.
 * Grid point (i, j), row i from the top of the face, is vertex `i*res + j`; its mirror is
 * (i, res−1−j). Basis modes are the selected identity modes followed by expression modes.
 */
export interface GridModel {
  res: number;
  /** D = number of modes (identity then expression). */
  numModes: number;
  /** How many of the D modes are identity modes (the rest are expression). */
  numShapeModes: number;
  /** [res², 3] mean at each grid point, mm (0 where invalid). */
  mean: Float32Array;
  /** [D, res², 3] basis at each grid point (0 where invalid). */
  basis: Float32Array;
  /** [res²] 1 where the mesh covers the grid point, else 0. */
  valid: Uint8Array;
  /** [F, 3] triangles of the grid over valid points, CCW seen from +z. */
  triangles: Uint32Array;
  /** [L] ibug ids (1-based) of the landmark rows below. */
  landmarkIds: Int32Array;
  /** [L, 3] landmark positions on the original model's vertices. */
  landmarkMean: Float32Array;
  /** [D, L, 3] basis rows of the landmark vertices. */
  landmarkBasis: Float32Array;
  /** [res²] grid mirror map: (i, j) ↔ (i, res−1−j). */
  mirror: Uint32Array;
  /** [D − numShapeModes] names of the expression modes, if the model named them. */
  expressionNames?: string[];
  /** The range of the expression coefficients, if bounded (`[0, 1]` for blendshapes). */
  expressionRange?: [number, number];
  /**
   * Jawline candidates on the original model's vertices, for contour fitting: ids, positions and
   * basis rows (the same D modes as `basis`), right jaw then left jaw.
   */
  contour?: {
    /** [C] original vertex ids: the first `numRight` on the right jaw, the rest on the left. */
    vertices: Int32Array;
    numRight: number;
    /** [C, 3] mean positions, mm. */
    mean: Float32Array;
    /** [D, C, 3] basis rows. */
    basis: Float32Array;
  };
  metadata: ModelMetadata;
}

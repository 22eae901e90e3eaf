/**
 * The STN's UV grid of a model: its symmetric Tutte embedding, resampled at res × res. The one
 * implementation the trainer, the CLI and the web app call (DESIGN.md: one home per convention).
 *
 * Why symmetric: the symmetry loss compares UV pixel (i, j) with (i, res − 1 − j), which is the
 * mirror point of the face only when the embedding satisfies u(m(v)) = 1 − u(v), v(m(v)) = v for
 * the mesh's mirror map m. A model's own texture coordinates (e.g. the SFM's texture atlas) do
 * not, so they are never used — except the default model's, which are this very embedding.
 */
import type { GridModel, MorphableModel } from '../types';
import { type ResampleOptions, resampleToGrid } from './resample';
import { computeSymmetry } from './symmetry';
import { type TutteResult, tutteEmbedding } from './tutte';

export interface SymmetricGridOptions extends ResampleOptions {
  /**
   * Reuse `model.texCoords` when the model says they are this embedding (the generated default
   * model, `metadata.format === 'generated'`). Default true; false always solves.
   */
  reuseDefaultTexCoords?: boolean;
}

export interface SymmetricGrid {
  grid: GridModel;
  /** How the embedding was obtained. */
  embedding: 'model texCoords (symmetric Tutte of the default model)' | 'symmetric Tutte';
  /** Flipped (folded) UV triangles of the embedding: 0 for a bijective one. */
  flippedTriangles: number;
  /** [N, 2] the embedding itself (u right, v up, in [0, 1]²). */
  uv: Float32Array;
}

/**
 * Symmetric mean-value Tutte embedding of a model's mean mesh onto the unit square; the mirror
 * map is `model.symmetry` when the model has one, else `computeSymmetry(model)`.
 */
export function symmetricTutte(model: MorphableModel): TutteResult {
  const symmetry = model.symmetry ?? computeSymmetry(model);
  return tutteEmbedding(
    { positions: model.mean, triangles: model.triangles },
    { weights: 'meanValue', boundary: 'square', symmetric: true, symmetry },
  );
}

/**
 * The STN's GridModel of `model` at `res`: `symmetricTutte(model)` resampled by `resampleToGrid`
 * (modes as `options`). `grid.metadata.extra.uvEmbedding` records which embedding was used.
 *
 * Convention: grid point (i, j) at u = j/(res−1), v = 1 − i/(res−1); its mirror (i, res−1−j) is
 * the mirror surface point.
 */
export function symmetricGrid(
  model: MorphableModel,
  res: number,
  options: SymmetricGridOptions = {},
): SymmetricGrid {
  const { reuseDefaultTexCoords = true, ...resample } = options;
  let uv: Float32Array;
  let embedding: SymmetricGrid['embedding'];
  let flippedTriangles = 0;
  if (
    reuseDefaultTexCoords &&
    (model.metadata.format === 'generated' || model.metadata.format === 'ict-embedded') &&
    model.texCoords
  ) {
    uv = model.texCoords;
    embedding = 'model texCoords (symmetric Tutte of the default model)';
  } else {
    const t = symmetricTutte(model);
    uv = t.uv;
    embedding = 'symmetric Tutte';
    flippedTriangles = t.flippedTriangles;
  }
  const grid = resampleToGrid(model, uv, res, resample);
  grid.metadata = {
    ...grid.metadata,
    extra: { ...(grid.metadata.extra ?? {}), uvEmbedding: embedding },
  };
  return { grid, embedding, flippedTriangles, uv };
}

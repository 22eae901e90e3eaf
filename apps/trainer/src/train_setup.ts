import { type LossWeights, paperLossWeights, resolveLossWeights } from '@3dmm-stn/losses';
import * as MM from '@3dmm-stn/morphable-model/node';
import type { GridModel, MorphableModel } from '@3dmm-stn/morphable-model/node';
import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from './config';
import { buildNetwork, type Network } from './network';
import { GroupOptimizer } from './optimizer';
import { meanFaceWidth } from './synthetic';

/**
 * The model and its UV grid, as configured. The grid is the model's symmetric Tutte embedding
 * resampled at `model.res` (`symmetricGrid`, the one the CLI and the web app use): the symmetry
 * loss mirrors UV column j to res − 1 − j, which is the mirror point of the face only on a
 * symmetric embedding — never a model's own texture atlas. The returned model carries that
 * embedding as its `texCoords`, so synthetic textures (drawn in UV space, bilaterally symmetric)
 * are symmetric on the face too.
 *
 * A model file holding a GridModel (a resampled `.3dmm`) is used as the grid directly; it can
 * train on folder data only (synthetic faces are rendered from the full mesh).
 */
export async function prepareModel(
  config: TrainConfig,
  given?: MorphableModel,
): Promise<{ model: MorphableModel | null; grid: GridModel }> {
  let loaded =
    given ?? (config.model.path ? await MM.loadModel(config.model.path) : MM.defaultModel());
  // A model with ARKit blendshapes (the default ICT model) trains on the compact set, most
  // landmark-moving first, so that "the first k expression modes" means something.
  const have = MM.isGridModel(loaded) ? undefined : loaded.expression?.names;
  if (!MM.isGridModel(loaded) && have?.includes('jawOpen')) {
    const names = MM.ARKIT_COMPACT_EXPRESSIONS.filter((n) => have.includes(n));
    const rest = have.filter((n) => !names.includes(n));
    loaded = MM.selectExpressions(loaded, [...names, ...rest]);
  }
  if (MM.isGridModel(loaded)) {
    if (config.data.source === 'synthetic') {
      throw new Error(
        `${config.model.path}: holds a UV-grid model; synthetic training renders the full mesh: give the MorphableModel it was resampled from`,
      );
    }
    return { model: null, grid: loaded };
  }
  const { grid, uv, flippedTriangles } = MM.symmetricGrid(loaded, config.model.res, {
    shapeModes: Math.min(config.model.shapeModes, loaded.shape.numModes),
    expressionModes: Math.min(config.model.expressionModes, loaded.expression?.numModes ?? 0),
  });
  if (flippedTriangles > 0) {
    throw new MM.GeometryError(
      `${config.model.path ?? loaded.metadata.name}: its symmetric Tutte embedding folds ${flippedTriangles} triangle(s); the mesh must be a disc (one boundary loop) with a mirror map`,
    );
  }
  return { model: { ...loaded, texCoords: uv }, grid };
}

/** What is trained: the network (localiser + STN) and its optimiser. */
export interface Trainable {
  net: Network;
  opt: GroupOptimizer;
  /** The localiser's weights in checkpoint order (trainable and not). */
  weights(): { name: string; val: tf.Variable }[];
}

/**
 * Build the network for `grid` (the localiser's initial scale from the mean face width: of the
 * mesh when there is one, else of the grid's landmark rows) and an optimiser with two groups:
 * the backbone at `lr`, the θ head at `lr · headLrMultiplier`.
 */
export function buildTrainable(
  config: TrainConfig,
  mm: MorphableModel | null,
  grid: GridModel,
): Trainable {
  const net = buildNetwork({
    backbone: config.localiser.backbone,
    inputSize: config.localiser.inputSize,
    grid,
    meanFaceWidth: mm ? meanFaceWidth(mm) : gridFaceWidth(grid),
    fill: config.data.synthetic.faceFill,
    dropout: config.localiser.dropout,
    inputScale: config.localiser.inputScale,
    seed: config.seed,
  });
  const opt = new GroupOptimizer(
    [
      { name: 'backbone', variables: net.backboneVariables, lrMultiplier: 1 },
      { name: 'head', variables: net.headVariables, lrMultiplier: config.train.headLrMultiplier },
    ],
    {
      kind: config.train.optimizer,
      beta1: config.train.beta1,
      beta2: config.train.beta2,
      epsilon: config.train.epsilon,
      momentum: config.train.momentum,
    },
  );
  const weights = () =>
    net.localiser.weights.map((w) => ({ name: w.name, val: w.read() as tf.Variable }));
  return { net, opt, weights };
}

/** x extent of the grid's landmark rows (mm), for the initial scale when only a grid is known. */
function gridFaceWidth(grid: GridModel): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < grid.landmarkIds.length; k++) {
    lo = Math.min(lo, grid.landmarkMean[3 * k]);
    hi = Math.max(hi, grid.landmarkMean[3 * k]);
  }
  return hi > lo ? hi - lo : 150;
}

/**
 * The weights the four loss terms get in training. With `train.lossBalance: 'paper'` the
 * configured weights are the original's, converted to this input size and landmark count
 * (`paperLossWeights`): the symmetry and multi-view terms as strong, relative to the landmark
 * term, as in the original. 'raw' (default) uses them as given: the UV terms are then ~10⁴ times
 * weaker, which gives a lower landmark NME and shape error on the demo, and less UV consistency.
 */
export function trainingLossWeights(config: TrainConfig, grid: GridModel): Readonly<LossWeights> {
  const w = config.train.lossWeights;
  if (config.train.lossBalance === 'raw') return resolveLossWeights(w);
  return paperLossWeights(
    { inputSize: config.localiser.inputSize, numLandmarks: grid.landmarkIds.length },
    w,
  );
}

/**
 * Registers the package's layer classes for serialisation (`tf.loadLayersModel` finds
 * `MorphableModelSTN` by its `className`). Side-effect module, imported by `index.ts`.
 */
import { serialization } from '@tensorflow/tfjs-core';
import { MorphableModelSTN } from './layer/morphable_model_stn';

serialization.registerClass(MorphableModelSTN);

import * as tf from '@tensorflow/tfjs-core';
import { assertShape } from '@3dmm-stn/checks';
import { VGG_FACE_MEAN_RGB } from './constants';

/**
 * The localiser's input normalisation: RGB 0..255 → BGR with the VGG-Face means
 * subtracted, exactly Keras VGGFace `preprocess_input(x, version=1)`:
 * out[..., 0] = B − 93.5940, out[..., 1] = G − 104.7624, out[..., 2] = R − 129.1863.
 *
 * Why BGR: the Keras VGGFace weights (converted from the Caffe release) expect BGR, and
 * {@link loadVggFaceWeightsH5} imports conv1_1 unchanged; keeping the Keras order means
 * the imported network sees what it was trained on. (The MatConvNet `vgg-face.mat` of the
 * original uses RGB with the same means; its conv1_1 is the same filter bank with the
 * input channels in the other order.)
 *
 * **Convention:** NHWC; any H, W; input RGB in 0..255 (int32 or float32); output float32.
 *
 * @param images `[B, H, W, 3]` RGB, 0..255.
 * @returns `[B, H, W, 3]` BGR minus the VGG-Face means.
 */
export function preprocess(images: tf.Tensor): tf.Tensor4D {
  assertShape('preprocess', 'images', images.shape, ['B', 'H', 'W', 3]);
  return tf.tidy(() => {
    const bgr = tf.reverse(tf.cast(images, 'float32'), 3);
    const [r, g, b] = VGG_FACE_MEAN_RGB;
    return tf.sub(bgr, tf.tensor1d([b, g, r])) as tf.Tensor4D;
  });
}

import * as tf from '@tensorflow/tfjs';

/**
 * A faster `Conv2DBackpropInput` for the wasm backend, for stride-1, dilation-1, NHWC
 * convolutions (every convolution of the VGG-style localisers): tfjs-backend-wasm 4.22 ships a
 * plain loop for this kernel that took ≈ 60% of a training step here (827 ms of 1.5 s for
 * vgg-tiny at 64², B = 16), while the same arithmetic as a forward `Conv2D` (XNNPACK) is ~7×
 * faster:
 *
 *   dx = conv2d(dy, W′, explicit padding [kh−1−top, kh−1−bottom] × [kw−1−left, kw−1−right]),
 *   W′[i, j, co, ci] = W[kh−1−i, kw−1−j, ci, co]   (flipped in space, in/out channels swapped)
 *
 * Other geometries (strides, dilations, NCHW) fall through to the original kernel.
 * (This belongs in @3dmm-stn/backend beside its other wasm kernels; it lives here until moved.)
 */

type Info = tf.TensorInfo;
interface BackendLike {
  disposeData(dataId: object): void;
}

let original: tf.KernelFunc | null = null;

function run(
  name: string,
  inputs: Record<string, Info>,
  attrs: tf.NamedAttrMap,
  backend: unknown,
): Info {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} missing`);
  return k.kernelFunc({ inputs, attrs, backend: backend as never }) as Info;
}

function fastConv2DBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): Info {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs & {
    dilations?: number | [number, number];
  };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const s = typeof strides === 'number' ? [strides, strides] : strides;
  const d =
    attrs.dilations === undefined
      ? [1, 1]
      : typeof attrs.dilations === 'number'
        ? [attrs.dilations, attrs.dilations]
        : attrs.dilations;
  const dy = inputs.dy as Info;
  const filter = inputs.filter as Info;
  if (
    s[0] !== 1 ||
    s[1] !== 1 ||
    d[0] !== 1 ||
    d[1] !== 1 ||
    (dataFormat !== undefined && dataFormat !== 'NHWC')
  ) {
    return original!(args as never) as Info;
  }
  const [kh, kw] = filter.shape;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    1,
    1,
    pad,
    dimRoundingMode,
  );
  const p = info.padInfo;
  const b = backend as BackendLike;
  const flipped = run('Reverse', { x: filter }, { dims: [0, 1] }, backend);
  const wT = run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }, backend);
  b.disposeData(flipped.dataId);
  const out = run(
    'Conv2D',
    { x: dy, filter: wT },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [kh - 1 - p.top, kh - 1 - p.bottom],
        [kw - 1 - p.left, kw - 1 - p.right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    },
    backend,
  );
  b.disposeData(wT.dataId);
  return out;
}

/** Replace wasm's `Conv2DBackpropInput` by the composition above (idempotent). Returns whether it did. */
export function registerFastConv2DBackpropInput(): boolean {
  if (original) return false;
  const k = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (!k) return false;
  original = k.kernelFunc as tf.KernelFunc;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({ ...k, kernelFunc: fastConv2DBackpropInput as unknown as tf.KernelFunc });
  return true;
}

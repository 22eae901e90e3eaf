import { memoryOf } from '@3dmm-stn/checks';
import * as tf from '@tensorflow/tfjs';

/** Hyper-parameters of one Adam update (the bias corrections are computed by the caller). */
export interface AdamUpdate {
  /** step size: lr · multiplier / (1 − β₁ᵗ) */
  stepSize: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β₂ᵗ */
  biasCorrection2: number;
  /** multiplies the gradient first (global-norm clipping), 1 for none */
  gradScale: number;
}

interface HeapBackend {
  dataIdMap: { has(id: object): boolean };
  refCount(dataId: object): number;
}

/**
 * One Adam update of `w` with its moments `m`, `v` from the gradient `g` in one pass over the
 * wasm heap: the moments are updated **in place**, the weights written to one new buffer (the
 * only allocation) that `w` is then assigned:
 *
 *   g′ = gradScale·g, m ← β₁m + (1−β₁)g′, v ← β₂v + (1−β₂)g′²,
 *   w ← w − stepSize · m / (√(v / biasCorrection2) + ε)
 *
 * (arithmetic in float64, stored as float32). The tf-ops form of the same update allocates
 * about six tensors of w's size at once — 2.5 GB for VGG-16's fc6 — which is what made Adam
 * run out of the 4 GiB wasm heap. Works on the `wasm` backend when all four tensors are
 * float32, of one size and live on it (a moment sharing its buffer with another tensor first
 * gets its own copy); returns false otherwise, changing nothing (the caller then uses tf ops:
 * on tfjs-node memory is not capped, and the cpu backend may hold a caller's own typed array as
 * a tensor's storage, which must never be written).
 */
export function adamUpdateInPlace(
  w: tf.Variable,
  m: tf.Variable,
  v: tf.Variable,
  g: tf.Tensor,
  o: AdamUpdate,
): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const n = w.size;
  if ([w, m, v, g].some((t) => t.dtype !== 'float32' || t.size !== n)) return false;
  const backend = tf.backend() as unknown as HeapBackend;
  if (![w, m, v, g].every((t) => backend.dataIdMap.has(t.dataId))) return false;
  // Writing the moments in place is only invisible when nothing else reads their buffers: a
  // slot that shares its buffer (e.g. just assigned a tensor the caller still holds) first gets
  // a copy of its own, so that the arithmetic — and so a resumed run — is the same either way.
  for (const t of [m, v]) {
    if (backend.refCount(t.dataId) === 1) continue;
    const own = tf.clone(t); // wasm's Identity copies into a new heap buffer
    t.assign(own);
    own.dispose();
    if (backend.refCount(t.dataId) !== 1) return false;
  }
  // The weights get a new buffer: the wasm backend caches XNNPACK operators (with the filter
  // packed inside) by the filter's buffer, so a conv whose filter changed in place would keep
  // computing with the old weights.
  // Every element of the new weights is written: no zero-fill. The input views are taken after
  // the allocation (it can grow, and detach, the heap): the shared adapter's rule.
  const out = memoryOf<tf.TensorInfo>('wasm', backend).output(
    w.shape,
    (W1, read) => adamLoop(read(w), read(m), read(v), read(g), W1, o),
    false,
  );
  const next = tf.engine().makeTensorFromTensorInfo(out);
  w.assign(next);
  next.dispose();
  return true;
}

/**
 * The same Adam update with the moments `m`, `v` in **host memory** (plain `Float32Array`s
 * outside the wasm heap), updated in place: on wasm the heap holds only the weights, the
 * gradient and the one new weight buffer — Adam's two moments (twice the weights: 1 GiB for
 * VGG-16) leave the 4 GiB heap. Float32 storage and float64 arithmetic as `adamUpdateInPlace`,
 * so the two give bit-identical weights and moments. On other backends the weights and the
 * gradient are read with `dataSync` and the new weights uploaded (correct, not fast: meant for
 * wasm and the cpu backend).
 *
 * @throws RangeError when a moment's length is not w's size, or w / g are not float32 of that size.
 */
export function adamUpdateHostMoments(
  w: tf.Variable,
  m: Float32Array,
  v: Float32Array,
  g: tf.Tensor,
  o: AdamUpdate,
): void {
  const n = w.size;
  if (
    m.length !== n ||
    v.length !== n ||
    g.size !== n ||
    w.dtype !== 'float32' ||
    g.dtype !== 'float32'
  )
    throw new RangeError(
      `adamUpdateHostMoments: w, g (float32) and the moments must all have ${n} values, got g ${g.size} (${g.dtype}), m ${m.length}, v ${v.length}`,
    );
  const backend = tf.backend() as unknown as HeapBackend;
  if (
    tf.getBackend() === 'wasm' &&
    backend.dataIdMap.has(w.dataId) &&
    backend.dataIdMap.has(g.dataId)
  ) {
    const out = memoryOf<tf.TensorInfo>('wasm', backend).output(
      w.shape,
      (W1, read) => adamLoop(read(w), m, v, read(g), W1, o),
      false,
    );
    const next = tf.engine().makeTensorFromTensorInfo(out);
    w.assign(next);
    next.dispose();
    return;
  }
  const W1 = new Float32Array(n);
  adamLoop(w.dataSync() as Float32Array, m, v, g.dataSync() as Float32Array, W1, o);
  const next = tf.tensor(W1, w.shape, 'float32');
  w.assign(next);
  next.dispose();
}

/** One pass of Adam: moments M, V in place, new weights into W1 (float64 arithmetic). */
function adamLoop(
  W: Float32Array,
  M: Float32Array,
  V: Float32Array,
  G: Float32Array,
  W1: Float32Array,
  o: AdamUpdate,
): void {
  const { stepSize, beta1, beta2, epsilon, biasCorrection2, gradScale } = o;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const c2 = 1 / biasCorrection2;
  const n = W1.length;
  for (let i = 0; i < n; i++) {
    const gi = G[i] * gradScale;
    const mi = beta1 * M[i] + a1 * gi;
    const vi = beta2 * V[i] + a2 * gi * gi;
    M[i] = mi;
    V[i] = vi;
    W1[i] = W[i] - (stepSize * mi) / (Math.sqrt(vi * c2) + epsilon);
  }
}

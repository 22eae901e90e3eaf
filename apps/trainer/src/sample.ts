/** One face, ready for a batch. */
export interface FaceSample {
  /** `[S, S, 3]` RGB in [0, 255], row-major HWC. */
  image: Float32Array;
  /** S: the square side, pixels. */
  size: number;
  /** `[68, 2]` ibug landmarks, 0-based pixels of `image` (x right, y down); NaN where undefined. */
  landmarks: Float32Array;
  /** `[68]` landmark weights for the loss: 0 where undefined. */
  confidence: Float32Array;
  /** `[68]` 1 where the point is visible (not self-occluded), if known; else all 1. */
  visible: Uint8Array;
  /** Identity label (for multi-view pairs and per-identity means), or null. */
  identity: string | null;
  /** `[6 + D]` the true θ (synthetic data only). */
  theta?: Float32Array;
  /** Where it came from: a file path, or `synthetic:<split>:<identity>:<view>`. */
  source: string;
}

/** Check that a sample holds only finite values where it matters (image, confident landmarks). */
export function sampleProblem(s: FaceSample): string | null {
  const n = s.size * s.size * 3;
  if (s.image.length !== n) return `image has ${s.image.length} values, expected ${n}`;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(s.image[i])) return `image value ${i} is ${s.image[i]}`;
  }
  let defined = 0;
  for (let i = 0; i < 68; i++) {
    if (s.confidence[i] > 0) {
      defined++;
      if (!Number.isFinite(s.landmarks[2 * i]) || !Number.isFinite(s.landmarks[2 * i + 1])) {
        return `landmark ${i + 1} is not finite but has confidence ${s.confidence[i]}`;
      }
    }
  }
  if (defined === 0) return 'no landmark has a positive confidence';
  return null;
}

/** A static 3D k-d tree over `points` ([N, 3]) for k-nearest-neighbour queries. */
export class KdTree {
  private readonly idx: Uint32Array;
  private readonly dim: Uint8Array;
  /** Traversal stack, 3 numbers per pending range; the depth is ≤ 2·log₂N + 2. */
  private readonly stack = new Float64Array(3 * 160);
  private static readonly LEAF = 8;

  constructor(private readonly points: ArrayLike<number>) {
    const n = Math.floor(points.length / 3);
    this.idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.idx[i] = i;
    this.dim = new Uint8Array(n);
    this.build(0, n);
  }

  private build(lo: number, hi: number): void {
    if (hi - lo <= KdTree.LEAF) return;
    const p = this.points;
    let best = 0;
    let bestExtent = -1;
    for (let d = 0; d < 3; d++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let k = lo; k < hi; k++) {
        const v = p[3 * this.idx[k] + d];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (mx - mn > bestExtent) {
        bestExtent = mx - mn;
        best = d;
      }
    }
    const mid = (lo + hi) >> 1;
    this.select(lo, hi - 1, mid, best);
    this.dim[mid] = best;
    this.build(lo, mid);
    this.build(mid + 1, hi);
  }

  /** Quickselect: puts the k-th smallest (by coordinate d) of idx[l..r] at k. */
  private select(l: number, r: number, k: number, d: number): void {
    const p = this.points;
    const idx = this.idx;
    while (r > l) {
      const pivot = p[3 * idx[(l + r) >> 1] + d];
      let i = l;
      let j = r;
      while (i <= j) {
        while (p[3 * idx[i] + d] < pivot) i++;
        while (p[3 * idx[j] + d] > pivot) j--;
        if (i <= j) {
          const t = idx[i];
          idx[i] = idx[j];
          idx[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) r = j;
      else if (k >= i) l = i;
      else return;
    }
  }

  /**
   * The k nearest points to (x, y, z): fills `outIdx`/`outDist2` ([k], ascending squared
   * distance) and returns how many were found (min(k, N)).
   */
  knn(
    x: number,
    y: number,
    z: number,
    k: number,
    outIdx: Int32Array,
    outDist2: Float64Array,
  ): number {
    outDist2.fill(Infinity, 0, k);
    outIdx.fill(-1, 0, k);
    let found = 0;
    const p = this.points;
    const idx = this.idx;
    const dim = this.dim;
    const leaf = KdTree.LEAF;
    // Explicit stack of (lo, hi, bound²) ranges, no closures: this is the hot loop.
    const stack = this.stack;
    let sp = 0;
    stack[sp++] = 0;
    stack[sp++] = idx.length;
    stack[sp++] = 0;
    while (sp > 0) {
      const bound = stack[--sp];
      const hi = stack[--sp];
      const lo = stack[--sp];
      if (bound >= outDist2[k - 1]) continue;
      const isLeaf = hi - lo <= leaf;
      const mid = (lo + hi) >> 1;
      const first = isLeaf ? lo : mid;
      const last = isLeaf ? hi : mid + 1;
      for (let t = first; t < last; t++) {
        const i = idx[t];
        const dx = p[3 * i] - x;
        const dy = p[3 * i + 1] - y;
        const dz = p[3 * i + 2] - z;
        const d2 = dx * dx + dy * dy + dz * dz;
        if (d2 >= outDist2[k - 1]) continue;
        let s = k - 1;
        while (s > 0 && outDist2[s - 1] > d2) {
          outDist2[s] = outDist2[s - 1];
          outIdx[s] = outIdx[s - 1];
          s--;
        }
        outDist2[s] = d2;
        outIdx[s] = i;
        if (found < k) found++;
      }
      if (isLeaf) continue;
      const d = dim[mid];
      const diff = (d === 0 ? x : d === 1 ? y : z) - p[3 * idx[mid] + d];
      const far = diff * diff;
      // Push the far side first so that the near side is searched first.
      if (diff < 0) {
        stack[sp++] = mid + 1;
        stack[sp++] = hi;
        stack[sp++] = far;
        stack[sp++] = lo;
        stack[sp++] = mid;
        stack[sp++] = 0;
      } else {
        stack[sp++] = lo;
        stack[sp++] = mid;
        stack[sp++] = far;
        stack[sp++] = mid + 1;
        stack[sp++] = hi;
        stack[sp++] = 0;
      }
    }
    return found;
  }
}

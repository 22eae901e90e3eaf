/** A static 3D k-d tree over `points` ([N, 3]) for k-nearest-neighbour queries. */
export class KdTree {
  private readonly idx: Uint32Array;
  private readonly dim: Uint8Array;
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
    const visit = (lo: number, hi: number): void => {
      if (hi - lo <= KdTree.LEAF) {
        for (let t = lo; t < hi; t++) consider(idx[t]);
        return;
      }
      const mid = (lo + hi) >> 1;
      const d = this.dim[mid];
      const q = d === 0 ? x : d === 1 ? y : z;
      const diff = q - p[3 * idx[mid] + d];
      consider(idx[mid]);
      if (diff < 0) {
        visit(lo, mid);
        if (diff * diff < outDist2[k - 1]) visit(mid + 1, hi);
      } else {
        visit(mid + 1, hi);
        if (diff * diff < outDist2[k - 1]) visit(lo, mid);
      }
    };
    const consider = (i: number): void => {
      const dx = p[3 * i] - x;
      const dy = p[3 * i + 1] - y;
      const dz = p[3 * i + 2] - z;
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 >= outDist2[k - 1]) return;
      let s = k - 1;
      while (s > 0 && outDist2[s - 1] > d2) {
        outDist2[s] = outDist2[s - 1];
        outIdx[s] = outIdx[s - 1];
        s--;
      }
      outDist2[s] = d2;
      outIdx[s] = i;
      if (found < k) found++;
    };
    visit(0, idx.length);
    return found;
  }
}

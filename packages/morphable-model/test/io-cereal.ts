/**
 * A minimal cereal BinaryOutputArchive writer for tests: builds eos archives of every class
 * version (the fixtures only cover version 1), following eos' serialize() functions.
 */
export class CerealWriter {
  private chunks: Uint8Array[] = [];

  private push(b: Uint8Array): this {
    this.chunks.push(b);
    return this;
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return this.push(b);
  }
  i32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return this.push(b);
  }
  u64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return this.push(b);
  }
  bool(v: boolean): this {
    return this.push(Uint8Array.of(v ? 1 : 0));
  }
  string(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u64(b.length).push(b);
  }
  /** Eigen matrix: int32 rows, int32 cols, column-major float32. */
  matrix(rows: number, cols: number, colMajor: ArrayLike<number>): this {
    this.i32(rows).i32(cols);
    return this.push(new Uint8Array(Float32Array.from(colMajor).buffer));
  }
  f64Pairs(pairs: ArrayLike<number>): this {
    this.u64(pairs.length / 2);
    return this.push(new Uint8Array(Float64Array.from(pairs).buffer));
  }
  triangles(t: ArrayLike<number>): this {
    this.u64(t.length / 3);
    return this.push(new Uint8Array(Int32Array.from(t).buffer));
  }
  /** eos PcaModel (unversioned): mean, orthonormal basis, eigenvalues, triangles. */
  pca(p: { mean: number[]; basis: number[]; eig: number[]; tris: number[] } | null): this {
    if (!p) return this.matrix(0, 0, []).matrix(0, 0, []).matrix(0, 0, []).u64(0);
    return this.matrix(p.mean.length, 1, p.mean)
      .matrix(p.mean.length, p.eig.length, p.basis)
      .matrix(p.eig.length, 1, p.eig)
      .triangles(p.tris);
  }
  bytes(): Uint8Array {
    const n = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** A 4-vertex, 2-triangle test model with a 2-mode orthonormal basis (column-major 12 × 2). */
export function tinyPca(): { mean: number[]; basis: number[]; eig: number[]; tris: number[] } {
  const mean = [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0];
  const b0 = new Array(12).fill(0);
  b0[2] = 1; // z of vertex 0
  const b1 = new Array(12).fill(0);
  b1[3] = 0.6; // x of vertex 1
  b1[7] = 0.8; // y of vertex 2
  return { mean, basis: [...b0, ...b1], eig: [4, 9], tris: [0, 1, 2, 0, 2, 3] };
}

import {
  biCgStab,
  boundaryLoops,
  checkOrientation,
  conjugateGradient,
  type CsrMatrix,
  csrFromTriplets,
  csrMultiply,
  GeometryError,
  meshEdges,
  ShapeError,
  signedAreas2D,
  subdivideMesh,
  triangleAdjacency,
  vertexAdjacency,
} from '@3dmm-stn/morphable-model';
import { describe, expect, it } from 'vitest';
import { AmgPreconditioner } from '../src/geometry/amg';

/** (m+1)² grid on [-1, 1]², CCW from +z, minus the cells `drop(x, y)` selects (cell centres). */
function grid(m: number, drop: (x: number, y: number) => boolean = () => false) {
  const pos: number[] = [];
  const tri: number[] = [];
  for (let i = 0; i <= m; i++)
    for (let j = 0; j <= m; j++) pos.push(-1 + (2 * j) / m, -1 + (2 * i) / m, 0);
  const id = (i: number, j: number) => i * (m + 1) + j;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (drop(-1 + (2 * (j + 0.5)) / m, -1 + (2 * (i + 0.5)) / m)) continue;
      tri.push(id(i, j), id(i, j + 1), id(i + 1, j + 1), id(i, j), id(i + 1, j + 1), id(i + 1, j));
    }
  }
  return { positions: Float32Array.from(pos), triangles: Uint32Array.from(tri), n: (m + 1) ** 2 };
}

function loopArea(p: Float32Array, loop: Uint32Array): number {
  let a = 0;
  for (let k = 0; k < loop.length; k++) {
    const i = loop[k];
    const j = loop[(k + 1) % loop.length];
    a += p[3 * i] * p[3 * j + 1] - p[3 * j] * p[3 * i + 1];
  }
  return a / 2;
}

function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Dense Gaussian elimination with partial pivoting (the slow reference). */
function denseSolve(a: CsrMatrix, b: Float64Array): Float64Array {
  const n = a.rows;
  const m = new Float64Array(n * (n + 1));
  for (let i = 0; i < n; i++) {
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) m[i * (n + 1) + a.colIdx[k]] += a.values[k];
    m[i * (n + 1) + n] = b[i];
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs(m[r * (n + 1) + c]) > Math.abs(m[p * (n + 1) + c])) p = r;
    for (let k = 0; k <= n; k++)
      [m[c * (n + 1) + k], m[p * (n + 1) + k]] = [m[p * (n + 1) + k], m[c * (n + 1) + k]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * (n + 1) + c] / m[c * (n + 1) + c];
      for (let k = c; k <= n; k++) m[r * (n + 1) + k] -= f * m[c * (n + 1) + k];
    }
  }
  return Float64Array.from({ length: n }, (_, i) => m[i * (n + 1) + n] / m[i * (n + 1) + i]);
}

/** A random sparse, diagonally dominant matrix on a grid graph; symmetric or not. */
function randomSystem(side: number, symmetric: boolean, seed: number) {
  const rnd = mulberry32(seed);
  const n = side * side;
  const I: number[] = [];
  const J: number[] = [];
  const V: number[] = [];
  const diag = new Float64Array(n).fill(0.05);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const i = r * side + c;
      for (const [dr, dc] of [
        [0, 1],
        [1, 0],
        [1, 1],
      ]) {
        if (r + dr >= side || c + dc >= side) continue;
        const j = (r + dr) * side + c + dc;
        const w1 = 0.2 + rnd();
        const w2 = symmetric ? w1 : 0.2 + rnd();
        I.push(i, j);
        J.push(j, i);
        V.push(-w1, -w2);
        diag[i] += w1;
        diag[j] += w2;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    I.push(i);
    J.push(i);
    V.push(diag[i]);
  }
  const b = Float64Array.from({ length: n }, () => rnd() - 0.5);
  return { a: csrFromTriplets(n, n, I, J, V), b };
}

describe('mesh topology', () => {
  it('vertexAdjacency is symmetric, sorted and matches the grid degrees', () => {
    const g = grid(4);
    const adj = vertexAdjacency(g.triangles, g.n);
    for (let i = 0; i < g.n; i++) {
      const row = Array.from(adj.neighbors.subarray(adj.offsets[i], adj.offsets[i + 1]));
      expect(row).toEqual([...row].sort((a, b) => a - b));
      for (const j of row) {
        expect(Array.from(adj.neighbors.subarray(adj.offsets[j], adj.offsets[j + 1]))).toContain(i);
      }
    }
    const degree = (i: number) => adj.offsets[i + 1] - adj.offsets[i];
    expect(degree(2 * 5 + 2)).toBe(6); // interior vertex of the diagonal-split grid
    expect(degree(0)).toBe(3); // corner with the diagonal
    expect(degree(4)).toBe(2); // the other corner
    // Euler: V − E + F = 1 for a disc.
    expect(g.n - adj.neighbors.length / 2 + g.triangles.length / 3).toBe(1);
  });

  it('boundaryLoops: outer loop first and CCW, a hole CW; checkOrientation finds flips', () => {
    const g = grid(10, (x, y) => Math.abs(x) < 0.25 && Math.abs(y) < 0.25);
    const loops = boundaryLoops(g.triangles, g.n, g.positions);
    expect(loops.length).toBe(2);
    expect(loops[0].length).toBe(40);
    expect(loops[1].length).toBe(8);
    expect(loopArea(g.positions, loops[0])).toBeCloseTo(4, 10);
    expect(loopArea(g.positions, loops[1])).toBeCloseTo(-0.16, 6);
    // Without positions the order is by edge count: same answer here.
    expect(boundaryLoops(g.triangles, g.n)[0]).toEqual(loops[0]);
    expect(checkOrientation(g.triangles, g.n)).toEqual({
      duplicateHalfEdges: 0,
      boundaryHalfEdges: 48,
      degenerateTriangles: 0,
    });
    const flipped = Uint32Array.from(g.triangles);
    [flipped[1], flipped[2]] = [flipped[2], flipped[1]];
    expect(checkOrientation(flipped, g.n).duplicateHalfEdges).toBeGreaterThan(0);
  });

  it('meshEdges and triangleAdjacency agree with a brute-force scan', () => {
    const g = grid(5, (x, y) => Math.abs(x) < 0.25 && Math.abs(y) < 0.25);
    const edges = meshEdges(g.triangles, g.n);
    const set = new Set<string>();
    const t = g.triangles;
    for (let k = 0; k < t.length; k += 3) {
      for (let e = 0; e < 3; e++) {
        const a = t[k + e];
        const b = t[k + ((e + 1) % 3)];
        set.add(`${Math.min(a, b)},${Math.max(a, b)}`);
      }
    }
    expect(edges.length / 2).toBe(set.size);
    for (let e = 0; e < edges.length; e += 2) {
      expect(edges[e]).toBeLessThan(edges[e + 1]);
      expect(set.has(`${edges[e]},${edges[e + 1]}`)).toBe(true);
    }
    const adj = triangleAdjacency(t, g.n);
    let boundary = 0;
    for (let k = 0; k < t.length; k++) {
      const a = t[k];
      const b = t[k - (k % 3) + (((k % 3) + 1) % 3)];
      let want = -1;
      for (let u = 0; u < t.length / 3; u++) {
        for (let e = 0; e < 3; e++)
          if (t[3 * u + e] === b && t[3 * u + ((e + 1) % 3)] === a) want = u;
      }
      expect(adj[k]).toBe(want);
      if (want === -1) boundary++;
    }
    expect(boundary).toBe(checkOrientation(t, g.n).boundaryHalfEdges);
  });

  it('boundaryLoops rejects a pinched boundary and bad ids', () => {
    // Two triangles sharing only vertex 0.
    const bow = Uint32Array.from([0, 1, 2, 0, 3, 4]);
    expect(() => boundaryLoops(bow, 5)).toThrow(ShapeError);
    expect(() => boundaryLoops(Uint32Array.from([0, 1, 7]), 3)).toThrow(/references vertex 7/);
    expect(GeometryError).toBeDefined();
  });

  it('subdivideMesh: 1-to-4 keeps orientation, Euler characteristic and area', () => {
    const g = grid(3, (x, y) => x > 0.5 && Math.abs(y) < 0.5);
    const s = subdivideMesh(g.positions, g.triangles);
    const adj = vertexAdjacency(g.triangles, g.n);
    expect(s.positions.length / 3).toBe(g.n + adj.neighbors.length / 2);
    expect(s.triangles.length).toBe(4 * g.triangles.length);
    const uv = (p: Float32Array) =>
      Float32Array.from({ length: (p.length / 3) * 2 }, (_, k) => p[3 * (k >> 1) + (k & 1)]);
    const a0 = signedAreas2D(uv(g.positions), g.triangles).reduce((x, y) => x + y, 0);
    const areas = signedAreas2D(uv(s.positions), s.triangles);
    expect(Math.min(...areas)).toBeGreaterThan(0);
    expect(areas.reduce((x, y) => x + y, 0)).toBeCloseTo(a0, 5);
    expect(checkOrientation(s.triangles, s.positions.length / 3).duplicateHalfEdges).toBe(0);
    const sadj = vertexAdjacency(s.triangles, s.positions.length / 3);
    expect(s.positions.length / 3 - sadj.neighbors.length / 2 + s.triangles.length / 3).toBe(1);
  });
});

describe('sparse solvers', () => {
  it('csrFromTriplets sums duplicates and csrMultiply matches the dense product', () => {
    const a = csrFromTriplets(2, 3, [0, 1, 0, 1], [2, 0, 2, 1], [1, 2, 3, 4]);
    expect(Array.from(a.rowPtr)).toEqual([0, 1, 3]);
    expect(Array.from(a.colIdx)).toEqual([2, 0, 1]);
    expect(Array.from(a.values)).toEqual([4, 2, 4]);
    expect(
      Array.from(csrMultiply(a, Float64Array.from([1, 10, 100]), new Float64Array(2))),
    ).toEqual([400, 42]);
  });

  for (const preconditioner of ['amg', 'jacobi', 'none'] as const) {
    it(`conjugateGradient (${preconditioner}) solves an SPD system like dense elimination`, () => {
      const { a, b } = randomSystem(12, true, 7);
      const ref = denseSolve(a, b);
      const r = conjugateGradient(a, b, undefined, { tolerance: 1e-12, preconditioner });
      expect(r.converged).toBe(true);
      expect(r.residual).toBeLessThan(1e-11);
      for (let i = 0; i < ref.length; i++) expect(r.x[i]).toBeCloseTo(ref[i], 8);
    });

    it(`biCgStab (${preconditioner}) solves a non-symmetric system like dense elimination`, () => {
      const { a, b } = randomSystem(12, false, 11);
      const ref = denseSolve(a, b);
      const r = biCgStab(a, b, undefined, { tolerance: 1e-12, preconditioner });
      expect(r.converged).toBe(true);
      expect(r.residual).toBeLessThan(1e-11);
      for (let i = 0; i < ref.length; i++) expect(r.x[i]).toBeCloseTo(ref[i], 8);
    });
  }

  it('AMG keeps the iteration count low on a large Laplacian-like system (multilevel hierarchy)', () => {
    const { a, b } = randomSystem(90, true, 3);
    const amg = conjugateGradient(a, b, undefined, { tolerance: 1e-10, preconditioner: 'amg' });
    const jac = conjugateGradient(a, b, undefined, { tolerance: 1e-10, preconditioner: 'jacobi' });
    expect(amg.converged && jac.converged).toBe(true);
    expect(amg.iterations * 3).toBeLessThan(jac.iterations);
  });

  it('AMG stays a valid preconditioner when coarsening stalls (no strong connections: Gauss–Seidel coarse solve)', () => {
    const { a, b } = randomSystem(30, true, 5);
    const stalled = new AmgPreconditioner(a, { strength: 10 });
    expect(stalled.sizes).toEqual([900]);
    const ref = conjugateGradient(a, b, undefined, { tolerance: 1e-12, preconditioner: 'jacobi' });
    const r = conjugateGradient(a, b, undefined, {
      tolerance: 1e-12,
      preconditioner: (x, z) => stalled.apply(x, z),
    });
    expect(r.converged).toBe(true);
    for (let i = 0; i < ref.x.length; i++) expect(r.x[i]).toBeCloseTo(ref.x[i], 8);
    expect(new AmgPreconditioner(a).sizes.length).toBeGreaterThan(1);
  });

  it('reports shape errors and an unknown preconditioner', () => {
    const { a } = randomSystem(3, true, 1);
    expect(() => conjugateGradient(a, new Float64Array(4))).toThrow(/b must have shape \[9\]/);
    expect(() =>
      biCgStab(a, new Float64Array(9), undefined, { preconditioner: 'ilu' as unknown as 'none' }),
    ).toThrow(/amg, jacobi, none/);
  });
});

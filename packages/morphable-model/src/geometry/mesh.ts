/**
 * Triangle-mesh topology on flat typed arrays: vertex adjacency, boundary loops, orientation.
 *
 * Convention: `triangles` is `[F, 3]` 0-based vertex ids, counter-clockwise seen from +z (the
 * front of the face) — the project's mesh convention. A half-edge `a → b` belongs to the
 * triangle that lists `a` then `b` (cyclically); it is a boundary half-edge when no triangle has
 * `b → a`. With CCW triangles the outer boundary then runs CCW seen from +z and holes run CW.
 */
import { ShapeError } from '../errors';

/** Sorted, de-duplicated neighbours of every vertex in CSR layout. */
export interface VertexAdjacency {
  numVertices: number;
  /** [N + 1] neighbours of vertex i are `neighbors[offsets[i] .. offsets[i+1])`. */
  offsets: Uint32Array;
  /** [2E] neighbour ids, ascending within each vertex. */
  neighbors: Uint32Array;
}

/** Checks `triangles` is a flat `[F, 3]` array of ids `< numVertices`. */
export function checkTriangles(op: string, triangles: Uint32Array, numVertices: number): void {
  if (triangles.length % 3 !== 0) {
    throw new ShapeError(
      `Error in ${op}: triangles must have shape [F,3], but got length ${triangles.length}.`,
    );
  }
  for (let k = 0; k < triangles.length; k++) {
    if (triangles[k] >= numVertices) {
      throw new ShapeError(
        `Error in ${op}: triangles[${Math.floor(k / 3)}] references vertex ${triangles[k]}, but there are only ${numVertices} vertices.`,
      );
    }
  }
}

/** Undirected vertex adjacency (each edge of a triangle links its two vertices). */
export function vertexAdjacency(triangles: Uint32Array, numVertices: number): VertexAdjacency {
  checkTriangles('vertexAdjacency', triangles, numVertices);
  const count = new Uint32Array(numVertices + 1);
  for (let k = 0; k < triangles.length; k++) count[triangles[k] + 1] += 2;
  for (let i = 0; i < numVertices; i++) count[i + 1] += count[i];
  const raw = new Uint32Array(count[numVertices]);
  const fill = count.slice(0, numVertices);
  for (let t = 0; t < triangles.length; t += 3) {
    const a = triangles[t];
    const b = triangles[t + 1];
    const c = triangles[t + 2];
    raw[fill[a]++] = b;
    raw[fill[a]++] = c;
    raw[fill[b]++] = c;
    raw[fill[b]++] = a;
    raw[fill[c]++] = a;
    raw[fill[c]++] = b;
  }
  // Sort and de-duplicate each vertex's short list in place, then compact.
  const offsets = new Uint32Array(numVertices + 1);
  let out = 0;
  for (let i = 0; i < numVertices; i++) {
    const lo = count[i];
    const hi = count[i + 1];
    // Insertion sort: rows are short (twice the vertex degree).
    for (let k = lo + 1; k < hi; k++) {
      const v = raw[k];
      let q = k - 1;
      while (q >= lo && raw[q] > v) {
        raw[q + 1] = raw[q];
        q--;
      }
      raw[q + 1] = v;
    }
    offsets[i] = out;
    for (let k = lo; k < hi; k++) {
      if (k === lo || raw[k] !== raw[k - 1]) raw[out++] = raw[k];
    }
  }
  offsets[numVertices] = out;
  return { numVertices, offsets, neighbors: raw.slice(0, out) };
}

/** The undirected edges `[E, 2]` (a < b), ordered by a then b. */
export function meshEdges(triangles: Uint32Array, numVertices: number): Uint32Array {
  const adj = vertexAdjacency(triangles, numVertices);
  const edges = new Uint32Array(adj.neighbors.length); // 2E entries = E pairs
  let e = 0;
  for (let a = 0; a < numVertices; a++) {
    for (let k = adj.offsets[a]; k < adj.offsets[a + 1]; k++) {
      const b = adj.neighbors[k];
      if (b > a) {
        edges[e++] = a;
        edges[e++] = b;
      }
    }
  }
  return edges;
}

/**
 * Triangle adjacency `[F, 3]`: entry (t, k) is the triangle across edge k of t — the edge from
 * corner k to corner k+1 — or -1 on the boundary (or where the twin half-edge is missing
 * because of inconsistent orientation).
 */
export function triangleAdjacency(triangles: Uint32Array, numVertices: number): Int32Array {
  checkTriangles('triangleAdjacency', triangles, numVertices);
  const { offsets, targets } = outgoingHalfEdges(triangles, numVertices);
  // Triangle of each outgoing half-edge slot, in the same order outgoingHalfEdges fills them.
  const owner = new Uint32Array(triangles.length);
  const fill = offsets.slice(0, numVertices);
  for (let t = 0; t < triangles.length; t += 3) {
    for (let e = 0; e < 3; e++) owner[fill[triangles[t + e]]++] = t / 3;
  }
  const out = new Int32Array(triangles.length).fill(-1);
  for (let t = 0; t < triangles.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const a = triangles[t + e];
      const b = triangles[t + ((e + 1) % 3)];
      for (let k = offsets[b]; k < offsets[b + 1]; k++) {
        if (targets[k] === a) {
          out[t + e] = owner[k];
          break;
        }
      }
    }
  }
  return out;
}

/** Outgoing half-edges per vertex: `out[i]` lists the `b` of every half-edge `i → b`. */
function outgoingHalfEdges(triangles: Uint32Array, numVertices: number) {
  const offsets = new Uint32Array(numVertices + 1);
  for (let k = 0; k < triangles.length; k++) offsets[triangles[k] + 1]++;
  for (let i = 0; i < numVertices; i++) offsets[i + 1] += offsets[i];
  const targets = new Uint32Array(triangles.length);
  const fill = offsets.slice(0, numVertices);
  for (let t = 0; t < triangles.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const a = triangles[t + e];
      targets[fill[a]++] = triangles[t + ((e + 1) % 3)];
    }
  }
  return { offsets, targets };
}

function hasHalfEdge(offsets: Uint32Array, targets: Uint32Array, a: number, b: number): number {
  let n = 0;
  for (let k = offsets[a]; k < offsets[a + 1]; k++) if (targets[k] === b) n++;
  return n;
}

/** Counts of topological defects; all zero for a consistently oriented manifold mesh. */
export interface OrientationReport {
  /** Half-edges `a → b` that occur in more than one triangle (inconsistent orientation or a non-manifold edge). */
  duplicateHalfEdges: number;
  /** Boundary half-edges (no twin `b → a`). */
  boundaryHalfEdges: number;
  /** Triangles with a repeated vertex. */
  degenerateTriangles: number;
}

/** Orientation and manifoldness check of a triangle list. */
export function checkOrientation(triangles: Uint32Array, numVertices: number): OrientationReport {
  checkTriangles('checkOrientation', triangles, numVertices);
  const { offsets, targets } = outgoingHalfEdges(triangles, numVertices);
  let duplicateHalfEdges = 0;
  let boundaryHalfEdges = 0;
  for (let a = 0; a < numVertices; a++) {
    for (let k = offsets[a]; k < offsets[a + 1]; k++) {
      const b = targets[k];
      if (hasHalfEdge(offsets, targets, a, b) > 1) duplicateHalfEdges++;
      if (hasHalfEdge(offsets, targets, b, a) === 0) boundaryHalfEdges++;
    }
  }
  let degenerateTriangles = 0;
  for (let t = 0; t < triangles.length; t += 3) {
    const a = triangles[t];
    const b = triangles[t + 1];
    const c = triangles[t + 2];
    if (a === b || b === c || a === c) degenerateTriangles++;
  }
  return { duplicateHalfEdges, boundaryHalfEdges, degenerateTriangles };
}

/**
 * The boundary loops of a triangle mesh, each as vertex ids in the order of its boundary
 * half-edges (outer loop CCW seen from +z for CCW triangles, holes CW).
 *
 * The first loop is the outer one: the longest, by arc length when `positions` ([N, 3]) are
 * given, else by number of edges. Throws a ShapeError for non-manifold boundaries (a vertex
 * with two outgoing boundary half-edges), which have no well-defined loops.
 */
export function boundaryLoops(
  triangles: Uint32Array,
  numVertices: number,
  positions?: Float32Array | Float64Array,
): Uint32Array[] {
  checkTriangles('boundaryLoops', triangles, numVertices);
  if (positions && positions.length !== numVertices * 3) {
    throw new ShapeError(
      `Error in boundaryLoops: positions must have shape [${numVertices},3], but got length ${positions.length}.`,
    );
  }
  const { offsets, targets } = outgoingHalfEdges(triangles, numVertices);
  const next = new Int32Array(numVertices).fill(-1);
  for (let a = 0; a < numVertices; a++) {
    for (let k = offsets[a]; k < offsets[a + 1]; k++) {
      const b = targets[k];
      if (hasHalfEdge(offsets, targets, b, a) === 0) {
        if (next[a] !== -1 && next[a] !== b) {
          throw new ShapeError(
            `Error in boundaryLoops: vertex ${a} has two outgoing boundary edges (to ${next[a]} and ${b}); the boundary is not manifold.`,
          );
        }
        next[a] = b;
      }
    }
  }
  const seen = new Uint8Array(numVertices);
  const loops: { loop: Uint32Array; length: number }[] = [];
  for (let start = 0; start < numVertices; start++) {
    if (next[start] === -1 || seen[start]) continue;
    const loop: number[] = [];
    let v = start;
    while (!seen[v]) {
      seen[v] = 1;
      loop.push(v);
      v = next[v];
      if (v === -1) {
        throw new ShapeError(
          `Error in boundaryLoops: the boundary through vertex ${start} is open.`,
        );
      }
    }
    let length = loop.length;
    if (positions) {
      length = 0;
      for (let k = 0; k < loop.length; k++) {
        length += distance3(positions, loop[k], loop[(k + 1) % loop.length]);
      }
    }
    loops.push({ loop: Uint32Array.from(loop), length });
  }
  loops.sort((p, q) => q.length - p.length);
  return loops.map((l) => l.loop);
}

export function distance3(p: ArrayLike<number>, a: number, b: number): number {
  const dx = p[3 * a] - p[3 * b];
  const dy = p[3 * a + 1] - p[3 * b + 1];
  const dz = p[3 * a + 2] - p[3 * b + 2];
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/**
 * Twice the signed area of every triangle in a 2D embedding `uv` ([N, 2]); positive means
 * counter-clockwise (u right, v up). Returns [F].
 */
export function signedAreas2D(uv: ArrayLike<number>, triangles: Uint32Array): Float64Array {
  const f = triangles.length / 3;
  const out = new Float64Array(f);
  for (let t = 0; t < f; t++) {
    const a = triangles[3 * t];
    const b = triangles[3 * t + 1];
    const c = triangles[3 * t + 2];
    const ux = uv[2 * b] - uv[2 * a];
    const uy = uv[2 * b + 1] - uv[2 * a + 1];
    const vx = uv[2 * c] - uv[2 * a];
    const vy = uv[2 * c + 1] - uv[2 * a + 1];
    out[t] = ux * vy - uy * vx;
  }
  return out;
}

/**
 * The fold check: the number of triangles whose embedding is not counter-clockwise
 * (signed area ≤ 0, so degenerate triangles count as flipped).
 */
export function countFlippedTriangles(uv: ArrayLike<number>, triangles: Uint32Array): number {
  const areas = signedAreas2D(uv, triangles);
  let n = 0;
  for (let t = 0; t < areas.length; t++) if (!(areas[t] > 0)) n++;
  return n;
}

/**
 * 1-to-4 midpoint subdivision: every edge gets a new vertex at its midpoint and every triangle
 * becomes four, keeping orientation. Returns positions [N + E, 3] and triangles [4F, 3].
 */
export function subdivideMesh(
  positions: Float32Array,
  triangles: Uint32Array,
): { positions: Float32Array; triangles: Uint32Array } {
  const n = positions.length / 3;
  const adj = vertexAdjacency(triangles, n);
  // Edge (a, b), a < b, gets the id n + (its index among a's larger neighbours, counted globally).
  const edgeBase = new Uint32Array(n + 1);
  for (let a = 0; a < n; a++) {
    let c = 0;
    for (let k = adj.offsets[a]; k < adj.offsets[a + 1]; k++) if (adj.neighbors[k] > a) c++;
    edgeBase[a + 1] = edgeBase[a] + c;
  }
  const numEdges = edgeBase[n];
  const edgeId = (a: number, b: number): number => {
    if (a > b) [a, b] = [b, a];
    let c = 0;
    for (let k = adj.offsets[a]; k < adj.offsets[a + 1]; k++) {
      const j = adj.neighbors[k];
      if (j === b) return n + edgeBase[a] + c;
      if (j > a) c++;
    }
    throw new Error(`subdivideMesh: missing edge ${a}-${b}`);
  };
  const out = new Float32Array((n + numEdges) * 3);
  out.set(positions);
  for (let a = 0; a < n; a++) {
    for (let k = adj.offsets[a]; k < adj.offsets[a + 1]; k++) {
      const b = adj.neighbors[k];
      if (b <= a) continue;
      const e = edgeId(a, b);
      for (let c = 0; c < 3; c++)
        out[3 * e + c] = 0.5 * (positions[3 * a + c] + positions[3 * b + c]);
    }
  }
  const tris = new Uint32Array(triangles.length * 4);
  for (let t = 0, o = 0; t < triangles.length; t += 3) {
    const a = triangles[t];
    const b = triangles[t + 1];
    const c = triangles[t + 2];
    const ab = edgeId(a, b);
    const bc = edgeId(b, c);
    const ca = edgeId(c, a);
    tris.set([a, ab, ca, ab, b, bc, ca, bc, c, ab, bc, ca], o);
    o += 12;
  }
  return { positions: out, triangles: tris };
}

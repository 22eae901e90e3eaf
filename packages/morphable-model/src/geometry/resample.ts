/**
 * Resampling a morphable model onto a res × res UV grid (the STN's output grid).
 *
 * Convention (DESIGN.md UV grid): grid point (i, j), row i from the top of the face, column j
 * from the image left, sits at u = j / (res − 1), v = 1 − i / (res − 1) and is vertex
 * `i * res + j`. Its mirror is (i, res − 1 − j). With a left-right symmetric embedding
 * (`tutteEmbedding(…, { symmetric: true })`) the mirror grid point is the mirror surface point.
 */
import type { GridModel, MorphableModel } from '../types';
import { ShapeError } from '../errors';
import { checkTriangles } from './mesh';

export interface ResampleOptions {
  /** Identity modes kept (the first ones). Default min(5, available). */
  shapeModes?: number;
  /**
   * Expression modes kept after them: a count (the first ones) or the modes' names (a model with
   * named expressions, e.g. ARKit blendshapes). Default min(5, available; 0 without an
   * expression model).
   */
  expressionModes?: number | readonly string[];
}

export interface GridLocation {
  /** [res²] triangle containing each grid point, or -1 where the embedding does not cover it. */
  triangle: Int32Array;
  /** [res², 3] barycentric coordinates in that triangle (sum 1; 0 where invalid). */
  bary: Float64Array;
}

/** A grid point counts as inside a triangle if its smallest barycentric coordinate is ≥ −EPS (so points on shared edges and on the square's border are found). */
const EPS = 1e-9;

/**
 * The triangle of `uv` ([N, 2]) containing each point of the res × res grid, with barycentric
 * coordinates. Triangles are bucketed in a uniform √F × √F index over [0, 1]², so each grid
 * point tests only the few triangles overlapping its bucket. Degenerate or non-finite UV
 * triangles are skipped; a point on an edge takes the triangle it is deepest inside.
 */
export function locateGridPoints(
  uv: Float32Array | Float64Array,
  triangles: Uint32Array,
  res: number,
): GridLocation {
  if (!(Number.isInteger(res) && res >= 2))
    throw new RangeError(`locateGridPoints: res must be an integer ≥ 2, got ${res}.`);
  if (uv.length % 2 !== 0) {
    throw new ShapeError(
      `Error in locateGridPoints: uv must have shape [N,2], but got length ${uv.length}.`,
    );
  }
  checkTriangles('locateGridPoints', triangles, uv.length / 2);
  const f = triangles.length / 3;
  const nb = Math.max(1, Math.ceil(Math.sqrt(f)));
  const cell = (x: number) => Math.min(nb - 1, Math.max(0, Math.floor(x * nb)));
  // Bucket CSR: count pass, then fill pass.
  const start = new Uint32Array(nb * nb + 1);
  const box = new Int32Array(f * 4).fill(-1);
  for (let t = 0; t < f; t++) {
    let u0 = Infinity;
    let u1 = -Infinity;
    let v0 = Infinity;
    let v1 = -Infinity;
    for (let c = 0; c < 3; c++) {
      const v = triangles[3 * t + c];
      u0 = Math.min(u0, uv[2 * v]);
      u1 = Math.max(u1, uv[2 * v]);
      v0 = Math.min(v0, uv[2 * v + 1]);
      v1 = Math.max(v1, uv[2 * v + 1]);
    }
    if (!(Number.isFinite(u0) && Number.isFinite(u1) && Number.isFinite(v0) && Number.isFinite(v1)))
      continue;
    if (u1 < 0 || u0 > 1 || v1 < 0 || v0 > 1) continue;
    box[4 * t] = cell(u0);
    box[4 * t + 1] = cell(u1);
    box[4 * t + 2] = cell(v0);
    box[4 * t + 3] = cell(v1);
    for (let by = box[4 * t + 2]; by <= box[4 * t + 3]; by++) {
      for (let bx = box[4 * t]; bx <= box[4 * t + 1]; bx++) start[by * nb + bx + 1]++;
    }
  }
  for (let k = 0; k < nb * nb; k++) start[k + 1] += start[k];
  const items = new Uint32Array(start[nb * nb]);
  const fill = start.slice(0, nb * nb);
  for (let t = 0; t < f; t++) {
    if (box[4 * t] < 0) continue;
    for (let by = box[4 * t + 2]; by <= box[4 * t + 3]; by++) {
      for (let bx = box[4 * t]; bx <= box[4 * t + 1]; bx++) items[fill[by * nb + bx]++] = t;
    }
  }
  const np = res * res;
  const triangle = new Int32Array(np).fill(-1);
  const bary = new Float64Array(np * 3);
  for (let i = 0; i < res; i++) {
    const v = 1 - i / (res - 1);
    for (let j = 0; j < res; j++) {
      const u = j / (res - 1);
      const b = cell(v) * nb + cell(u);
      let best = -1;
      let bestMin = -EPS;
      let l0 = 0;
      let l1 = 0;
      let l2 = 0;
      for (let k = start[b]; k < start[b + 1]; k++) {
        const t = items[k];
        const a = triangles[3 * t];
        const bb = triangles[3 * t + 1];
        const c = triangles[3 * t + 2];
        const ax = uv[2 * a];
        const ay = uv[2 * a + 1];
        const e1x = uv[2 * bb] - ax;
        const e1y = uv[2 * bb + 1] - ay;
        const e2x = uv[2 * c] - ax;
        const e2y = uv[2 * c + 1] - ay;
        const det = e1x * e2y - e1y * e2x;
        if (!(Math.abs(det) > 0)) continue;
        const px = u - ax;
        const py = v - ay;
        const m1 = (px * e2y - py * e2x) / det;
        const m2 = (e1x * py - e1y * px) / det;
        const m0 = 1 - m1 - m2;
        const mn = Math.min(m0, m1, m2);
        if (mn >= bestMin) {
          bestMin = mn;
          best = t;
          l0 = m0;
          l1 = m1;
          l2 = m2;
          // Strictly inside: in an embedding no other triangle can be deeper.
          if (mn > EPS) break;
        }
      }
      if (best >= 0) {
        const p = i * res + j;
        triangle[p] = best;
        bary[3 * p] = l0;
        bary[3 * p + 1] = l1;
        bary[3 * p + 2] = l2;
      }
    }
  }
  return { triangle, bary };
}

/**
 * Resamples `model` onto the res × res UV grid of the embedding `uv` ([N, 2], e.g. from
 * `tutteEmbedding`): each covered grid point is a fixed barycentric combination of the three
 * vertices of its UV triangle, applied to the mean and to every kept basis mode, so the grid
 * surface for any coefficients α equals the barycentric interpolation of the model's surface.
 *
 * Modes: the first `shapeModes` identity modes, then the first `expressionModes` expression
 * modes. Grid points outside the embedding are invalid (`valid` 0) with zero mean and basis.
 * Grid triangles join valid neighbours (two per fully valid cell, split along the
 * bottom-left–top-right diagonal; one where exactly three corners are valid), counter-clockwise
 * in (u, v), hence CCW seen from +z like the model's triangles for an orientation-preserving
 * embedding. Landmarks are the model's own landmark vertices (ibug points without a vertex are
 * left out), not grid points.
 */
export function resampleToGrid(
  model: MorphableModel,
  uv: Float32Array | Float64Array,
  res: number,
  options: ResampleOptions = {},
): GridModel {
  const n = model.numVertices;
  if (uv.length !== 2 * n) {
    throw new ShapeError(
      `Error in resampleToGrid: uv must have shape [${n},2], but got length ${uv.length}.`,
    );
  }
  const availShape = model.shape.numModes;
  const availExpr = model.expression?.numModes ?? 0;
  const ds = options.shapeModes ?? Math.min(5, availShape);
  const exprIdx = expressionIndices(model, options.expressionModes);
  const de = exprIdx.length;
  if (!(Number.isInteger(ds) && ds >= 0 && ds <= availShape)) {
    throw new RangeError(
      `resampleToGrid: shapeModes must be an integer in [0, ${availShape}], got ${ds}.`,
    );
  }
  const { triangle, bary } = locateGridPoints(uv, model.triangles, res);
  const np = res * res;
  const d = ds + de;
  const valid = new Uint8Array(np);
  for (let p = 0; p < np; p++) valid[p] = triangle[p] >= 0 ? 1 : 0;

  const tri = model.triangles;
  const interpolate = (
    src: Float32Array,
    srcOffset: number,
    dst: Float32Array,
    dstOffset: number,
  ) => {
    for (let p = 0; p < np; p++) {
      const t = triangle[p];
      if (t < 0) continue;
      const a = srcOffset + 3 * tri[3 * t];
      const b = srcOffset + 3 * tri[3 * t + 1];
      const c = srcOffset + 3 * tri[3 * t + 2];
      const wa = bary[3 * p];
      const wb = bary[3 * p + 1];
      const wc = bary[3 * p + 2];
      const o = dstOffset + 3 * p;
      dst[o] = wa * src[a] + wb * src[b] + wc * src[c];
      dst[o + 1] = wa * src[a + 1] + wb * src[b + 1] + wc * src[c + 1];
      dst[o + 2] = wa * src[a + 2] + wb * src[b + 2] + wc * src[c + 2];
    }
  };
  const mean = new Float32Array(np * 3);
  interpolate(model.mean, 0, mean, 0);
  const basis = new Float32Array(d * np * 3);
  for (let k = 0; k < ds; k++) interpolate(model.shape.basis, k * n * 3, basis, k * np * 3);
  for (let k = 0; k < de; k++)
    interpolate(model.expression!.basis, exprIdx[k] * n * 3, basis, (ds + k) * np * 3);

  const gridTris: number[] = [];
  for (let i = 0; i + 1 < res; i++) {
    for (let j = 0; j + 1 < res; j++) {
      const tl = i * res + j;
      const tr = tl + 1;
      const bl = tl + res;
      const br = bl + 1;
      const count = valid[tl] + valid[tr] + valid[bl] + valid[br];
      if (count === 4) gridTris.push(bl, br, tr, bl, tr, tl);
      else if (count === 3) {
        if (!valid[tl]) gridTris.push(bl, br, tr);
        else if (!valid[tr]) gridTris.push(bl, br, tl);
        else if (!valid[br]) gridTris.push(bl, tr, tl);
        else gridTris.push(br, tr, tl);
      }
    }
  }

  const ids: number[] = [];
  for (let k = 0; k < model.landmarks.length; k++) if (model.landmarks[k] >= 0) ids.push(k);
  const nl = ids.length;
  const landmarkIds = Int32Array.from(ids, (k) => k + 1);
  const landmarkMean = new Float32Array(nl * 3);
  const landmarkBasis = new Float32Array(d * nl * 3);
  const vertexRows = (vertices: ArrayLike<number>, what: (l: number) => string) => {
    const nv = vertices.length;
    const rowMean = new Float32Array(nv * 3);
    const rowBasis = new Float32Array(d * nv * 3);
    for (let l = 0; l < nv; l++) {
      const v = vertices[l];
      if (!(v >= 0 && v < n))
        throw new ShapeError(
          `Error in resampleToGrid: ${what(l)} is vertex ${v}, but the model has ${n} vertices.`,
        );
      for (let c = 0; c < 3; c++) {
        rowMean[3 * l + c] = model.mean[3 * v + c];
        for (let m = 0; m < d; m++) {
          const src = m < ds ? model.shape.basis : model.expression!.basis;
          const mode = m < ds ? m : exprIdx[m - ds];
          rowBasis[m * nv * 3 + 3 * l + c] = src[mode * n * 3 + 3 * v + c];
        }
      }
    }
    return { rowMean, rowBasis };
  };
  const lmRows = vertexRows(
    ids.map((k) => model.landmarks[k]),
    (l) => `landmark ${ids[l] + 1}`,
  );
  landmarkMean.set(lmRows.rowMean);
  landmarkBasis.set(lmRows.rowBasis);

  const mirror = new Uint32Array(np);
  for (let i = 0; i < res; i++)
    for (let j = 0; j < res; j++) mirror[i * res + j] = i * res + (res - 1 - j);

  const grid: GridModel = {
    res,
    numModes: d,
    numShapeModes: ds,
    mean,
    basis,
    valid,
    triangles: Uint32Array.from(gridTris),
    landmarkIds,
    landmarkMean,
    landmarkBasis,
    mirror,
    metadata: {
      ...model.metadata,
      extra: {
        ...(model.metadata.extra ?? {}),
        uvGrid: { res, shapeModes: ds, expressionModes: de },
      },
    },
  };
  const names = model.expression?.names;
  if (names && de > 0) grid.expressionNames = exprIdx.map((k) => names[k]);
  if (model.expression?.range && de > 0) grid.expressionRange = [...model.expression.range];
  if (model.contour) {
    const vertices = Int32Array.from([...model.contour.right, ...model.contour.left]);
    const rows = vertexRows(vertices, (l) => `contour candidate ${l}`);
    grid.contour = {
      vertices,
      numRight: model.contour.right.length,
      mean: rows.rowMean,
      basis: rows.rowBasis,
    };
  }
  return grid;
}

/** The expression modes to keep: the first `spec` ones, or those named (model order kept as given). */
function expressionIndices(
  model: MorphableModel,
  spec: number | readonly string[] | undefined,
): number[] {
  const avail = model.expression?.numModes ?? 0;
  if (spec === undefined) spec = Math.min(5, avail);
  if (typeof spec === 'number') {
    if (!(Number.isInteger(spec) && spec >= 0 && spec <= avail)) {
      throw new RangeError(
        `resampleToGrid: expressionModes must be an integer in [0, ${avail}], got ${spec}.`,
      );
    }
    return Array.from({ length: spec }, (_, k) => k);
  }
  const names = model.expression?.names;
  return spec.map((name) => {
    const k = names ? names.indexOf(name) : -1;
    if (k < 0) {
      throw new RangeError(
        `resampleToGrid: expression ${JSON.stringify(name)} is not in the model (${names ? `it has ${names.length} named expressions: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}` : 'its expressions have no names'}).`,
      );
    }
    return k;
  });
}

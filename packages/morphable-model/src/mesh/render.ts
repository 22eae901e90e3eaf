import { ShapeError } from '../errors';
import type { MorphableModel } from '../types';
import { vertexNormals } from './normals';
import { morphRows } from './morph';
import { projectScaledOrthographic, rotationFromAxisAngle } from './rotation';
import { fewPointVisibility } from './visibility';

/** An image or texture: row-major [height, width, channels], row 0 at the top. */
export interface RenderImage {
  /** Uint8Array: 0 … 255; Float32Array: any range (usually 0 … 1), passed through. */
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA: alpha ignored). */
  channels: number;
}

/** Weak-perspective pose, the θ[0..5] of the STN: X' = R(r)·X, p = exp(logS)·[x', −y'] + t. */
export interface RenderPose {
  /** Axis-angle rotation, radians (see `rotationFromAxisAngle`). */
  r: ArrayLike<number>;
  /** Translation in pixels (x right, y down). */
  t: ArrayLike<number>;
  /** Log of the scale in pixels per model unit (mm). */
  logS: number;
}

export interface RenderOptions {
  /** How many identity modes α starts with (a prefix of `model.shape`); default all. */
  numShapeModes?: number;
  /** How many expression modes follow (a prefix of `model.expression`); default all. */
  numExpressionModes?: number;
  /**
   * Background: an RGB image of the output size with the texture's element type, or a constant
   * colour (in the texture's value range). Default black.
   */
  background?: RenderImage | readonly [number, number, number];
  /**
   * Lambert shading: colour = texture × (ambient + (1 − ambient) · max(0, n·l)), with n the
   * interpolated vertex normal in camera space and l the unit direction towards the light in
   * camera space (x right, y up, z towards the camera). Default: no shading (texture only).
   */
  light?: { direction?: readonly [number, number, number]; ambient?: number };
  /** Skip triangles facing away from the camera (default true). */
  cullBackFaces?: boolean;
}

export interface RenderResult {
  /** [H, W, 3] RGB; Uint8Array if the texture is, else Float32Array. */
  image: Uint8Array | Float32Array;
  /** [H, W] z' of the visible surface (rotated model space, mm; larger = nearer); NaN = background. */
  depth: Float32Array;
  /** [H, W, 2] interpolated texture coordinates (u, v), NaN = background. */
  uv: Float32Array;
  /** [H, W] triangle index of the visible surface, -1 = background. */
  faceId: Int32Array;
  /** [68, 2] projected ibug landmarks in pixels (NaN where the model has no vertex). */
  landmarks: Float32Array;
  /** [68] 1 if the landmark's vertex is inside the image and not occluded (exact test). */
  landmarkVisible: Uint8Array;
}

/**
 * Renders a morphable model instance with an orthographic depth test: the projection of the
 * STN, so rendered images come with exact θ.
 *
 * Convention: X = mean + Σ α_k shape_k + Σ β_k expression_k (mm); X' = R(r)·X;
 * p = exp(logS)·[x', −y'] + t in pixels, x right, y down, the centre of pixel (row i, column j)
 * at (j, i). A pixel is covered by a triangle when its centre lies inside or on its edges; the
 * nearest (largest z') wins. Colours come from `uvTexture` at the interpolated texture
 * coordinates (u right, v up, texture row 0 at v = 1; texel centres at ((j + ½)/W, 1 − (i + ½)/H);
 * bilinear, clamped to the edge texels), RGB only.
 *
 * Stages: `synthesise` → `projectWithDepth` → `rasterise` → `lighting` → `texture` →
 * `projectLandmarks`.
 *
 * @param alpha [numShapeModes + numExpressionModes] identity then expression coefficients.
 */
export function render(
  model: MorphableModel,
  alpha: ArrayLike<number>,
  pose: RenderPose,
  uvTexture: RenderImage,
  width: number,
  height: number,
  options: RenderOptions = {},
): RenderResult {
  const op = 'render';
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(
      `Error in ${op}: width and height must be positive integers, but got ${width} × ${height}.`,
    );
  }
  const N = model.numVertices;
  const tc = model.texCoords;
  if (!tc) throw new ShapeError(`Error in ${op}: model "${model.metadata.name}" has no texCoords.`);
  if (tc.length !== 2 * N) {
    throw new ShapeError(
      `Error in ${op}: model.texCoords must have shape [${N},2], but got length ${tc.length}.`,
    );
  }
  checkImage(op, 'uvTexture', uvTexture);
  if (pose.r.length !== 3 || pose.t.length !== 2 || !Number.isFinite(pose.logS)) {
    throw new ShapeError(
      `Error in ${op}: pose must have r [3], t [2] and a finite logS, but got r [${pose.r.length}], t [${pose.t.length}], logS ${pose.logS}.`,
    );
  }

  const X = synthesise(model, alpha, options);
  const P = projectWithDepth(X, pose);
  const raster = rasterise(op, P, model.triangles, width, height, options.cullBackFaces ?? true);
  const light = lighting(op, P, model.triangles, pose, options.light);
  const image = texture(op, model, raster, uvTexture, light, width, height, options.background);
  const { landmarks, landmarkVisible } = projectLandmarks(op, model, P, raster, width, height);
  const { depth, uv, faceId } = raster;
  return { image, depth, uv, faceId, landmarks, landmarkVisible };
}

/**
 * Stage 2: the STN's camera, p = exp(logS)·[x', −y'] + t (`projectScaledOrthographic`), and each
 * vertex's rotated depth z' for the z-buffer: [N, 3] (x px, y px, z' mm).
 */
function projectWithDepth(X: Float64Array, pose: RenderPose): Float64Array {
  const N = X.length / 3;
  const R = rotationFromAxisAngle(pose.r);
  const p2 = projectScaledOrthographic(X, pose.r, pose.t, pose.logS);
  const P = new Float64Array(3 * N); // x px, y px, z' mm
  for (let i = 0; i < N; i++) {
    P[3 * i] = p2[2 * i];
    P[3 * i + 1] = p2[2 * i + 1];
    P[3 * i + 2] = R[6] * X[3 * i] + R[7] * X[3 * i + 1] + R[8] * X[3 * i + 2];
  }
  return P;
}

/** What the rasteriser leaves for the later stages. */
interface Raster {
  /** [H, W] z' of the nearest surface, −∞ = background (NaN after `texture`). */
  depth: Float32Array;
  /** [H, W] triangle index, −1 = background. */
  faceId: Int32Array;
  /**
   * [H, W, 2]: until `texture`, the barycentric weights of each pixel's triangle's 2nd and 3rd
   * vertex (saves a buffer); `texture` replaces them with (u, v).
   */
  uv: Float32Array;
  /** [F] 1 for the triangles drawn (front-facing, or any with culling off). */
  drawn: Uint8Array;
  /** [N] 1 for the vertices of some drawn triangle. */
  onDrawn: Uint8Array;
}

/**
 * Stage 3: z-buffer rasterisation. A pixel is covered by a triangle when its centre lies inside
 * or on its edges; the nearest (largest z') wins.
 */
function rasterise(
  op: string,
  P: Float64Array,
  tri: ArrayLike<number>,
  width: number,
  height: number,
  cull: boolean,
): Raster {
  const N = P.length / 3;
  const F = tri.length / 3;
  let maxId = -1;
  for (let k = 0; k < tri.length; k++) if (tri[k] > maxId) maxId = tri[k];
  if (tri.length % 3 !== 0 || maxId >= N) {
    throw new ShapeError(
      `Error in ${op}: model.triangles must have shape [F,3] with vertex ids < ${N}, but got length ${tri.length} and id ${maxId}.`,
    );
  }
  const HW = width * height;
  const depth = new Float32Array(HW).fill(Number.NEGATIVE_INFINITY);
  const faceId = new Int32Array(HW).fill(-1);
  // Until shading, uv holds the barycentric weights of each pixel's triangle's 2nd and 3rd
  // vertex (saves a buffer); shading replaces them with (u, v).
  const uv = new Float32Array(2 * HW).fill(Number.NaN);
  const bary = uv;
  const drawn = new Uint8Array(F);
  const onDrawn = new Uint8Array(N); // vertex of some drawn triangle

  for (let f = 0; f < F; f++) {
    const a = tri[3 * f];
    const b = tri[3 * f + 1];
    const c = tri[3 * f + 2];
    const ax = P[3 * a];
    const ay = P[3 * a + 1];
    const bx = P[3 * b];
    const by = P[3 * b + 1];
    const cx = P[3 * c];
    const cy = P[3 * c + 1];
    // Front-facing (CCW seen from +z) ⇔ clockwise in y-down pixels ⇔ area < 0.
    const area = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
    if (!(area < 0 || (!cull && area > 0))) continue; // also skips NaN and edge-on
    drawn[f] = 1;
    onDrawn[a] = 1;
    onDrawn[b] = 1;
    onDrawn[c] = 1;
    let x0 = Math.ceil(Math.min(ax, bx, cx));
    let x1 = Math.floor(Math.max(ax, bx, cx));
    let y0 = Math.ceil(Math.min(ay, by, cy));
    let y1 = Math.floor(Math.max(ay, by, cy));
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > width - 1) x1 = width - 1;
    if (y1 > height - 1) y1 = height - 1;
    if (x0 > x1 || y0 > y1) continue;
    const inv = 1 / area;
    const az = P[3 * a + 2];
    const bz = P[3 * b + 2];
    const cz = P[3 * c + 2];
    // Normalised edge functions wb, wc (barycentric weights of b and c) are affine in (x, y):
    // w = w(x0, y) + dx·(x − x0).
    const wbdx = -(ay - cy) * inv;
    const wbdy = (ax - cx) * inv;
    const wcdx = -(by - ay) * inv;
    const wcdy = (bx - ax) * inv;
    const wb0 = ((cx - x0) * (ay - y0) - (ax - x0) * (cy - y0)) * inv;
    const wc0 = ((ax - x0) * (by - y0) - (bx - x0) * (ay - y0)) * inv;
    for (let y = y0; y <= y1; y++) {
      const dy = y - y0;
      const wbRow = wb0 + wbdy * dy;
      const wcRow = wc0 + wcdy * dy;
      let idx = y * width + x0;
      // Weights evaluated directly (not accumulated) so pixels on an edge are decided exactly.
      for (let dx = 0; dx <= x1 - x0; dx++, idx++) {
        const wb = wbRow + wbdx * dx;
        const wc = wcRow + wcdx * dx;
        if (wb < 0 || wc < 0 || wb + wc > 1) continue;
        const z = az + (bz - az) * wb + (cz - az) * wc;
        if (z > depth[idx]) {
          depth[idx] = z;
          faceId[idx] = f;
          bary[2 * idx] = wb;
          bary[2 * idx + 1] = wc;
        }
      }
    }
  }
  return { depth, faceId, uv, drawn, onDrawn };
}

/** Lambert lighting: camera-space vertex normals and the unit light direction. */
interface Lighting {
  normals: Float32Array;
  lx: number;
  ly: number;
  lz: number;
  ambient: number;
}

/** Stage 4: the lighting of `options.light`, or null (texture only). */
function lighting(
  op: string,
  P: Float64Array,
  tri: ArrayLike<number>,
  pose: RenderPose,
  light: RenderOptions['light'],
): Lighting | null {
  if (!light) return null;
  const N = P.length / 3;
  const rotated = new Float32Array(3 * N);
  const s = Math.exp(pose.logS);
  for (let i = 0; i < N; i++) {
    rotated[3 * i] = P[3 * i] - pose.t[0]; // any similarity of camera space keeps normal directions
    rotated[3 * i + 1] = -(P[3 * i + 1] - pose.t[1]);
    rotated[3 * i + 2] = s * P[3 * i + 2];
  }
  const normals = vertexNormals(rotated, tri);
  const d = light.direction ?? [0, 0, 1];
  const l = Math.hypot(d[0], d[1], d[2]);
  if (!(l > 0)) throw new RangeError(`Error in ${op}: light.direction must be non-zero.`);
  const ambient = light.ambient ?? 0.3;
  if (!(ambient >= 0 && ambient <= 1)) {
    throw new RangeError(`Error in ${op}: light.ambient must be in [0, 1], but got ${ambient}.`);
  }
  return { normals, lx: d[0] / l, ly: d[1] / l, lz: d[2] / l, ambient };
}

/**
 * Stage 5: colours of the covered pixels from `uvTexture` at the interpolated texture
 * coordinates (bilinear, clamped to the edge texels), shaded with `light`; the background
 * elsewhere. Turns `raster.uv` into texture coordinates and background depths into NaN.
 */
function texture(
  op: string,
  model: MorphableModel,
  raster: Raster,
  uvTexture: RenderImage,
  light: Lighting | null,
  width: number,
  height: number,
  background: RenderOptions['background'],
): Uint8Array | Float32Array {
  const HW = width * height;
  const { depth, faceId, uv } = raster;
  const bary = uv;
  const tri = model.triangles;
  const tc = model.texCoords as Float32Array;
  const normals = light?.normals ?? null;
  const { lx, ly, lz, ambient } = light ?? { lx: 0, ly: 0, lz: 1, ambient: 0 };
  const isByte = uvTexture.data instanceof Uint8Array;
  const image = isByte ? new Uint8Array(3 * HW) : new Float32Array(3 * HW);
  fillBackground(op, image, background, width, height, isByte);
  const tex = uvTexture.data;
  const TW = uvTexture.width;
  const TH = uvTexture.height;
  const TC = uvTexture.channels;
  const g = TC === 1 ? 0 : 1; // channel offsets: grey replicates
  const bl = TC === 1 ? 0 : 2;
  const rgb = [0, 0, 0];
  for (let idx = 0; idx < HW; idx++) {
    const f = faceId[idx];
    if (f < 0) {
      depth[idx] = Number.NaN;
      continue;
    }
    const a = tri[3 * f];
    const b = tri[3 * f + 1];
    const c = tri[3 * f + 2];
    const wb = bary[2 * idx];
    const wc = bary[2 * idx + 1];
    const wa = 1 - wb - wc;
    const u = wa * tc[2 * a] + wb * tc[2 * b] + wc * tc[2 * c];
    const v = wa * tc[2 * a + 1] + wb * tc[2 * b + 1] + wc * tc[2 * c + 1];
    uv[2 * idx] = u;
    uv[2 * idx + 1] = v;
    // Bilinear, clamp to edge.
    const fx = u * TW - 0.5;
    const fy = (1 - v) * TH - 0.5;
    let j0 = Math.floor(fx);
    let i0 = Math.floor(fy);
    const sx = fx - j0;
    const sy = fy - i0;
    let j1 = j0 + 1;
    let i1 = i0 + 1;
    j0 = j0 < 0 ? 0 : j0 >= TW ? TW - 1 : j0;
    j1 = j1 < 0 ? 0 : j1 >= TW ? TW - 1 : j1;
    i0 = i0 < 0 ? 0 : i0 >= TH ? TH - 1 : i0;
    i1 = i1 < 0 ? 0 : i1 >= TH ? TH - 1 : i1;
    const p00 = (i0 * TW + j0) * TC;
    const p01 = (i0 * TW + j1) * TC;
    const p10 = (i1 * TW + j0) * TC;
    const p11 = (i1 * TW + j1) * TC;
    const w00 = (1 - sx) * (1 - sy);
    const w01 = sx * (1 - sy);
    const w10 = (1 - sx) * sy;
    const w11 = sx * sy;
    rgb[0] = w00 * tex[p00] + w01 * tex[p01] + w10 * tex[p10] + w11 * tex[p11];
    rgb[1] = w00 * tex[p00 + g] + w01 * tex[p01 + g] + w10 * tex[p10 + g] + w11 * tex[p11 + g];
    rgb[2] = w00 * tex[p00 + bl] + w01 * tex[p01 + bl] + w10 * tex[p10 + bl] + w11 * tex[p11 + bl];
    let shade = 1;
    if (normals) {
      let nx = wa * normals[3 * a] + wb * normals[3 * b] + wc * normals[3 * c];
      let ny = wa * normals[3 * a + 1] + wb * normals[3 * b + 1] + wc * normals[3 * c + 1];
      let nz = wa * normals[3 * a + 2] + wb * normals[3 * b + 2] + wc * normals[3 * c + 2];
      if (nz < 0) {
        // a back face seen from behind (cullBackFaces: false) is lit on its visible side
        nx = -nx;
        ny = -ny;
        nz = -nz;
      }
      const nl = Math.sqrt(nx * nx + ny * ny + nz * nz);
      const d = nl > 0 ? (nx * lx + ny * ly + nz * lz) / nl : 0;
      shade = ambient + (1 - ambient) * Math.max(d, 0);
    }
    const o = 3 * idx;
    if (isByte) {
      image[o] = Math.round(rgb[0] * shade);
      image[o + 1] = Math.round(rgb[1] * shade);
      image[o + 2] = Math.round(rgb[2] * shade);
    } else {
      image[o] = rgb[0] * shade;
      image[o + 1] = rgb[1] * shade;
      image[o + 2] = rgb[2] * shade;
    }
  }

  return image;
}

/**
 * Stage 6: the 68 ibug landmarks' pixels and whether each is inside the image and not occluded
 * (exact point queries against the drawn triangles).
 */
function projectLandmarks(
  op: string,
  model: MorphableModel,
  P: Float64Array,
  raster: Raster,
  width: number,
  height: number,
): { landmarks: Float32Array; landmarkVisible: Uint8Array } {
  const N = P.length / 3;
  const tri = model.triangles;
  const { drawn, onDrawn } = raster;
  // Landmarks.
  const landmarks = new Float32Array(2 * 68).fill(Number.NaN);
  const lmVertices: number[] = [];
  const lmIndex: number[] = [];
  for (let k = 0; k < 68; k++) {
    const v = model.landmarks[k];
    if (v < 0) continue;
    if (v >= N) {
      throw new RangeError(
        `Error in ${op}: model.landmarks[${k}] = ${v} is not a vertex id (N = ${N}).`,
      );
    }
    landmarks[2 * k] = P[3 * v];
    landmarks[2 * k + 1] = P[3 * v + 1];
    lmVertices.push(v);
    lmIndex.push(k);
  }
  const vis = fewPointVisibility(P, tri, drawn, Uint32Array.from(lmVertices), width, height);
  const landmarkVisible = new Uint8Array(68);
  lmIndex.forEach((k, q) => {
    landmarkVisible[k] = vis[q] && onDrawn[lmVertices[q]] ? 1 : 0;
  });

  return { landmarks, landmarkVisible };
}

/** Stage 1: X = mean + Σ α_k shape_k + Σ β_k expression_k as [N, 3] float64 (`morphRows`). */
function synthesise(
  model: MorphableModel,
  alpha: ArrayLike<number>,
  options: RenderOptions,
): Float64Array {
  const N = model.numVertices;
  const ds = options.numShapeModes ?? model.shape.numModes;
  const de = options.numExpressionModes ?? model.expression?.numModes ?? 0;
  if (!(Number.isInteger(ds) && ds >= 0 && ds <= model.shape.numModes)) {
    throw new RangeError(
      `Error in render: numShapeModes must be an integer in 0 … ${model.shape.numModes}, but got ${ds}.`,
    );
  }
  const maxDe = model.expression?.numModes ?? 0;
  if (!(Number.isInteger(de) && de >= 0 && de <= maxDe)) {
    throw new RangeError(
      `Error in render: numExpressionModes must be an integer in 0 … ${maxDe}, but got ${de}.`,
    );
  }
  if (alpha.length !== ds + de) {
    throw new ShapeError(
      `Error in render: alpha must have shape [${ds + de}] (${ds} identity + ${de} expression), but got [${alpha.length}].`,
    );
  }
  if (model.mean.length !== 3 * N) {
    throw new ShapeError(
      `Error in render: model.mean must have shape [${N},3], but got length ${model.mean.length}.`,
    );
  }
  for (const [name, b] of [
    ['shape', model.shape],
    ['expression', model.expression],
  ] as const) {
    if (b && b.basis.length !== b.numModes * 3 * N) {
      throw new ShapeError(
        `Error in render: model.${name}.basis must have shape [${b.numModes},${N},3], but got length ${b.basis.length}.`,
      );
    }
  }
  const X = morphRows(model.mean, model.shape.basis, alpha, { modes: ds });
  if (de > 0) morphRows(X, model.expression!.basis, alpha, { offset: ds, modes: de, out: X });
  return X;
}

function checkImage(op: string, name: string, img: RenderImage): void {
  const { width, height, channels, data } = img;
  if (
    !(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0) ||
    !(channels === 1 || channels === 3 || channels === 4) ||
    data.length !== width * height * channels
  ) {
    throw new ShapeError(
      `Error in ${op}: ${name} must be [H,W,C] with C in {1,3,4} and data.length = H·W·C, but got [${height},${width},${channels}] with data.length ${data.length}.`,
    );
  }
}

function fillBackground(
  op: string,
  image: Uint8Array | Float32Array,
  bg: RenderOptions['background'],
  width: number,
  height: number,
  isByte: boolean,
): void {
  if (bg === undefined) return;
  if ('data' in bg) {
    if (bg.width !== width || bg.height !== height || bg.channels !== 3) {
      throw new ShapeError(
        `Error in ${op}: background must have shape [${height},${width},3], but got [${bg.height},${bg.width},${bg.channels}].`,
      );
    }
    if (bg.data instanceof Uint8Array !== isByte || bg.data.length !== 3 * width * height) {
      throw new ShapeError(
        `Error in ${op}: background data must be a ${isByte ? 'Uint8Array' : 'Float32Array'} (the texture's type) of length ${3 * width * height}.`,
      );
    }
    image.set(bg.data);
    return;
  }
  if (bg.length !== 3) {
    throw new ShapeError(`Error in ${op}: background colour must have 3 entries.`);
  }
  for (let k = 0; k < image.length; k += 3) {
    image[k] = bg[0];
    image[k + 1] = bg[1];
    image[k + 2] = bg[2];
  }
}

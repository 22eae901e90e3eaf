/**
 * Wavefront OBJ: triangle meshes with optional texture coordinates and per-vertex colours
 * (`v x y z r g b`, the common extension). Polygons are triangulated as fans.
 */
import { ModelFormatError } from '../errors';

/** A mesh read from an OBJ file. */
export interface ObjMesh {
  /** [N, 3] vertex positions (`v`). */
  positions: Float32Array;
  /** [F, 3] 0-based vertex ids, polygons fan-triangulated, winding as in the file. */
  triangles: Uint32Array;
  /** [T, 2] (u, v) texture coordinates (`vt`) in file order, if the file has any. */
  texCoords?: Float32Array;
  /** [F, 3] 0-based `vt` ids of each triangle corner, if every face gives them. */
  faceTexCoords?: Uint32Array;
  /** [N, 3] per-vertex RGB (`v x y z r g b`), if every vertex has one. */
  colors?: Float32Array;
  /** `mtllib` file names, in order. */
  materialLibraries: string[];
}

/** A mesh to write: positions, triangles and optional per-vertex attributes. */
export interface ObjWriteMesh {
  /** [N, 3] */
  positions: Float32Array;
  /** [F, 3] 0-based vertex ids. */
  triangles: Uint32Array | Int32Array;
  /** [N, 2] per-vertex (u, v), written as one `vt` per vertex and `f a/a b/b c/c`. */
  texCoords?: Float32Array;
  /** [N, 3] per-vertex RGB, written as `v x y z r g b`. */
  colors?: Float32Array;
}

export interface ObjWriteOptions {
  /** `mtllib` file name (e.g. "face.mtl"); with it faces use material `materialName`. */
  mtl?: string;
  /** Default "face". */
  materialName?: string;
  /** A `#` comment line at the top (no newlines). */
  comment?: string;
}

/** A growable typed array. */
class Grow<T extends Float32Array | Uint32Array> {
  length = 0;
  constructor(public data: T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new (this.data.constructor as new (n: number) => T)(
        Math.max(16, this.data.length * 2),
      );
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/**
 * Parses OBJ text. Handles `v` (with optional `w` or RGB), `vt`, `vn`, `f` with `v`, `v/vt`,
 * `v//vn`, `v/vt/vn` and negative (relative) indices, `\` line continuations, comments;
 * ignores groups, objects, smoothing and material statements (but lists `mtllib`).
 *
 * @throws ModelFormatError with the line number for malformed numbers, faces with fewer than 3
 *   vertices, index 0 and indices out of range.
 */
export function readObj(text: string, file = '<text>'): ObjMesh {
  const pos = new Grow(new Float32Array(1024));
  const col = new Grow(new Float32Array(1024));
  const tex = new Grow(new Float32Array(1024));
  const tri = new Grow(new Uint32Array(1024));
  const triTex = new Grow(new Uint32Array(1024));
  let numV = 0;
  let numVt = 0;
  let numVn = 0;
  let allColored = true;
  let allFacesTextured = true;
  let anyFace = false;
  const materialLibraries: string[] = [];
  // Positive indices may point forward; they are checked against the final counts.
  let maxV = 0;
  let maxVLine = 0;
  let maxVt = 0;
  let maxVtLine = 0;
  let maxVn = 0;
  let maxVnLine = 0;

  const lines = text.split(/\r?\n/);
  const fail = (line: number, field: string, detail: string) =>
    new ModelFormatError(file, `line ${line}`, `${field}: ${detail}`);
  const num = (s: string | undefined, line: number, what: string): number => {
    const v = s === undefined ? Number.NaN : Number(s);
    if (s === undefined || s === '' || !Number.isFinite(v)) {
      throw fail(
        line,
        what,
        `expected a number, got ${s === undefined ? 'nothing' : JSON.stringify(s)}`,
      );
    }
    return v;
  };
  const idx = (s: string, count: number, line: number, what: string): number => {
    if (!/^[+-]?\d+$/.test(s))
      throw fail(line, what, `expected an integer index, got ${JSON.stringify(s)}`);
    const i = Number(s);
    if (i === 0) throw fail(line, what, 'index 0 is invalid (OBJ indices are 1-based)');
    if (i < 0) {
      if (-i > count)
        throw fail(
          line,
          what,
          `relative index ${i} points before the first element (${count} defined so far)`,
        );
      return count + i;
    }
    return i - 1;
  };

  for (let ln = 0; ln < lines.length; ln++) {
    let line = lines[ln];
    const lineNo = ln + 1;
    while (line.endsWith('\\') && ln + 1 < lines.length)
      line = `${line.slice(0, -1)} ${lines[++ln]}`;
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    const t = line.trim().split(/\s+/);
    const key = t[0];
    if (key === '' || key === undefined) continue;
    if (key === 'v') {
      if (t.length !== 4 && t.length !== 5 && t.length !== 7 && t.length !== 8) {
        throw fail(
          lineNo,
          'v',
          `expected "v x y z [w]" or "v x y z r g b", got ${t.length - 1} numbers`,
        );
      }
      for (let c = 1; c <= 3; c++) pos.push(num(t[c], lineNo, `v coordinate ${c}`));
      if (t.length >= 7) {
        const o = t.length - 3;
        for (let c = 0; c < 3; c++) col.push(num(t[o + c], lineNo, `v colour ${c + 1}`));
      } else {
        if (t.length === 5) num(t[4], lineNo, 'v w');
        allColored = false;
      }
      numV++;
    } else if (key === 'vt') {
      if (t.length < 2 || t.length > 4)
        throw fail(lineNo, 'vt', `expected "vt u [v [w]]", got ${t.length - 1} numbers`);
      tex.push(num(t[1], lineNo, 'vt u'));
      tex.push(t.length > 2 ? num(t[2], lineNo, 'vt v') : 0);
      if (t.length > 3) num(t[3], lineNo, 'vt w');
      numVt++;
    } else if (key === 'vn') {
      if (t.length !== 4)
        throw fail(lineNo, 'vn', `expected "vn x y z", got ${t.length - 1} numbers`);
      for (let c = 1; c <= 3; c++) num(t[c], lineNo, `vn ${c}`);
      numVn++;
    } else if (key === 'f') {
      if (t.length < 4)
        throw fail(lineNo, 'f', `a face needs at least 3 vertices, got ${t.length - 1}`);
      anyFace = true;
      const vs: number[] = [];
      const vts: number[] = [];
      for (let k = 1; k < t.length; k++) {
        const parts = t[k].split('/');
        if (parts.length > 3)
          throw fail(lineNo, 'f', `bad vertex reference ${JSON.stringify(t[k])}`);
        const v = idx(parts[0], numV, lineNo, `f vertex ${k}`);
        if (v + 1 > maxV) {
          maxV = v + 1;
          maxVLine = lineNo;
        }
        vs.push(v);
        if (parts.length > 1 && parts[1] !== '') {
          const vt = idx(parts[1], numVt, lineNo, `f texture coordinate ${k}`);
          if (vt + 1 > maxVt) {
            maxVt = vt + 1;
            maxVtLine = lineNo;
          }
          vts.push(vt);
        }
        if (parts.length > 2 && parts[2] !== '') {
          const vn = idx(parts[2], numVn, lineNo, `f normal ${k}`);
          if (vn + 1 > maxVn) {
            maxVn = vn + 1;
            maxVnLine = lineNo;
          }
        }
      }
      const textured = vts.length === vs.length;
      if (vts.length !== 0 && !textured) {
        throw fail(lineNo, 'f', 'some corners have a texture coordinate and some do not');
      }
      if (!textured) allFacesTextured = false;
      for (let k = 1; k + 1 < vs.length; k++) {
        tri.push(vs[0]);
        tri.push(vs[k]);
        tri.push(vs[k + 1]);
        if (textured) {
          triTex.push(vts[0]);
          triTex.push(vts[k]);
          triTex.push(vts[k + 1]);
        }
      }
    } else if (key === 'mtllib') {
      materialLibraries.push(...t.slice(1));
    }
    // o, g, s, usemtl, l, p and other statements carry nothing a triangle mesh keeps.
  }
  if (maxV > numV)
    throw fail(
      maxVLine,
      'f',
      `vertex index ${maxV} is out of range (the file has ${numV} vertices)`,
    );
  if (maxVt > numVt) {
    throw fail(
      maxVtLine,
      'f',
      `texture coordinate index ${maxVt} is out of range (the file has ${numVt} vt lines)`,
    );
  }
  if (maxVn > numVn)
    throw fail(
      maxVnLine,
      'f',
      `normal index ${maxVn} is out of range (the file has ${numVn} vn lines)`,
    );

  const mesh: ObjMesh = { positions: pos.done(), triangles: tri.done(), materialLibraries };
  if (numVt > 0) mesh.texCoords = tex.done();
  if (anyFace && allFacesTextured && numVt > 0) mesh.faceTexCoords = triTex.done();
  if (numV > 0 && allColored) mesh.colors = col.done();
  return mesh;
}

/**
 * Per-vertex texture coordinates [N, 2] from an OBJ mesh, when every vertex uses one `vt`
 * (no seams); undefined otherwise.
 */
export function perVertexTexCoords(mesh: ObjMesh): Float32Array | undefined {
  const { texCoords, faceTexCoords, triangles } = mesh;
  if (!texCoords || !faceTexCoords) return undefined;
  const n = mesh.positions.length / 3;
  const assigned = new Int32Array(n).fill(-1);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < triangles.length; i++) {
    const v = triangles[i];
    const t = faceTexCoords[i];
    if (assigned[v] === -1) {
      assigned[v] = t;
      out[2 * v] = texCoords[2 * t];
      out[2 * v + 1] = texCoords[2 * t + 1];
    } else if (
      assigned[v] !== t &&
      (texCoords[2 * t] !== out[2 * v] || texCoords[2 * t + 1] !== out[2 * v + 1])
    ) {
      return undefined;
    }
  }
  return assigned.every((a) => a >= 0) ? out : undefined;
}

/** Shortest decimal that reads back as the same float32 (so OBJ round trips are exact). */
export function formatFloat32(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  for (let p = 6; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(Number(x.toPrecision(9)));
}

/**
 * Writes a mesh as OBJ text. With `texCoords` each vertex gets its `vt` (same index) and faces
 * are `f a/a b/b c/c`; with `mtl` the file starts with `mtllib` and `usemtl`.
 */
export function writeObj(mesh: ObjWriteMesh, options: ObjWriteOptions = {}): string {
  const n = mesh.positions.length / 3;
  if (!Number.isInteger(n))
    throw new ModelFormatError(
      '<mesh>',
      'positions',
      `length ${mesh.positions.length} is not a multiple of 3`,
    );
  if (mesh.triangles.length % 3 !== 0)
    throw new ModelFormatError(
      '<mesh>',
      'triangles',
      `length ${mesh.triangles.length} is not a multiple of 3`,
    );
  if (mesh.texCoords && mesh.texCoords.length !== 2 * n) {
    throw new ModelFormatError(
      '<mesh>',
      'texCoords',
      `expected [N, 2] = ${2 * n} values, got ${mesh.texCoords.length}`,
    );
  }
  if (mesh.colors && mesh.colors.length !== 3 * n) {
    throw new ModelFormatError(
      '<mesh>',
      'colors',
      `expected [N, 3] = ${3 * n} values, got ${mesh.colors.length}`,
    );
  }
  for (let i = 0; i < mesh.triangles.length; i++) {
    if (mesh.triangles[i] < 0 || mesh.triangles[i] >= n) {
      throw new ModelFormatError(
        '<mesh>',
        'triangles',
        `entry ${i} is ${mesh.triangles[i]}, expected 0 ≤ id < ${n}`,
      );
    }
  }
  const out: string[] = [];
  if (options.comment) out.push(`# ${options.comment.replace(/[\r\n]+/g, ' ')}`);
  if (options.mtl) out.push(`mtllib ${options.mtl}`);
  const p = mesh.positions;
  const c = mesh.colors;
  const f = formatFloat32;
  for (let i = 0; i < n; i++) {
    const xyz = `v ${f(p[3 * i])} ${f(p[3 * i + 1])} ${f(p[3 * i + 2])}`;
    out.push(c ? `${xyz} ${f(c[3 * i])} ${f(c[3 * i + 1])} ${f(c[3 * i + 2])}` : xyz);
  }
  const tc = mesh.texCoords;
  if (tc) for (let i = 0; i < n; i++) out.push(`vt ${f(tc[2 * i])} ${f(tc[2 * i + 1])}`);
  if (options.mtl) out.push(`usemtl ${options.materialName ?? 'face'}`);
  const t = mesh.triangles;
  for (let k = 0; k < t.length; k += 3) {
    const a = t[k] + 1;
    const b = t[k + 1] + 1;
    const d = t[k + 2] + 1;
    out.push(tc ? `f ${a}/${a} ${b}/${b} ${d}/${d}` : `f ${a} ${b} ${d}`);
  }
  return `${out.join('\n')}\n`;
}

/** A minimal MTL file: one material with a diffuse texture (`map_Kd`). */
export function writeMtl(textureFile: string, materialName = 'face'): string {
  return [
    `newmtl ${materialName}`,
    'Ka 1 1 1',
    'Kd 1 1 1',
    'Ks 0 0 0',
    'd 1',
    'illum 1',
    `map_Kd ${textureFile}`,
    '',
  ].join('\n');
}

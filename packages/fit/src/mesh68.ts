/**
 * MediaPipe FaceMesh (468 points, as `@vladmandic/human` returns them) → ibug-68, browser-safe.
 *
 * The correspondence is the widely used one (e.g. PeizhiYan/Mediapipe_2_Dlib_Landmarks, whose
 * table this follows): each ibug point is one mesh vertex or the mean of two. The 17 jaw points
 * are vertices of the mesh's face oval, so they are **3D-consistent** (where the jaw vertex
 * projects, also when it is hidden behind the turned head: AFLW2000-3D's convention). With
 * `jaw: 'silhouette'` each jaw point is moved out to the mesh's visible outline along its ray
 * from the face centre (a 2D annotator's convention: dlib, 300-W), see {@link silhouetteJaw}.
 */

/** ibug point k (0-based) ← mean of these MediaPipe vertices. */
export const MESH_TO_IBUG68: readonly (readonly number[])[] = [
  // jaw 1–17: the face oval, subject's right (image left) to subject's left
  [127],
  [234],
  [93],
  [132, 58],
  [58, 172],
  [136],
  [150],
  [176],
  [152],
  [400],
  [379],
  [365],
  [397, 288],
  [361],
  [323],
  [454],
  [356],
  // brows 18–27
  [70],
  [63],
  [105],
  [66],
  [107],
  [336],
  [296],
  [334],
  [293],
  [300],
  // nose 28–36
  [168, 6],
  [197, 195],
  [5],
  [4],
  [75],
  [97],
  [2],
  [326],
  [305],
  // eyes 37–48
  [33],
  [160],
  [158],
  [133],
  [153],
  [144],
  [362],
  [385],
  [387],
  [263],
  [373],
  [380],
  // outer lip 49–60
  [61],
  [39],
  [37],
  [0],
  [267],
  [269],
  [291],
  [321],
  [314],
  [17],
  [84],
  [91],
  // inner lip 61–68
  [78],
  [82],
  [13],
  [312],
  [308],
  [317],
  [14],
  [87],
];

export type MeshJaw = 'fixed' | 'silhouette';

/** One mesh point: `[x, y]` or `[x, y, z]`, image pixels. */
export type MeshPoint = readonly number[];

/**
 * The 68 ibug points of a 468-point MediaPipe mesh → `Float32Array(136)` (x, y per point, the
 * mesh's pixel coordinates). `jaw: 'silhouette'` moves the 17 jaw points to the outline.
 */
export function meshToIbug68(mesh: readonly MeshPoint[], jaw: MeshJaw = 'fixed'): Float32Array {
  if (mesh.length < 468)
    throw new Error(`expected a 468-point MediaPipe face mesh, got ${mesh.length} points`);
  const out = new Float32Array(136);
  MESH_TO_IBUG68.forEach((ids, k) => {
    let x = 0;
    let y = 0;
    for (const i of ids) {
      x += mesh[i][0];
      y += mesh[i][1];
    }
    out[2 * k] = x / ids.length;
    out[2 * k + 1] = y / ids.length;
  });
  if (jaw === 'silhouette') silhouetteJaw(mesh, out);
  return out;
}

/**
 * In place: each of the 17 jaw points of `lm68` moved to the farthest mesh vertex from the face
 * centre (the mean of the mesh) within a narrow band (4 % of the mesh's larger extent) about its
 * ray from that centre — where the visible outline of the head crosses the ray. A jaw point that
 * is already the outermost (the side facing the camera) stays.
 */
export function silhouetteJaw(mesh: readonly MeshPoint[], lm68: Float32Array): Float32Array {
  const n = Math.min(mesh.length, 468);
  let cx = 0;
  let cy = 0;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const [x, y] = mesh[i];
    cx += x;
    cy += y;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  cx /= n;
  cy /= n;
  const band = 0.04 * Math.max(x1 - x0, y1 - y0);
  for (let k = 0; k < 17; k++) {
    const px = lm68[2 * k] - cx;
    const py = lm68[2 * k + 1] - cy;
    const len = Math.hypot(px, py);
    if (len === 0) continue;
    const dx = px / len;
    const dy = py / len;
    let best = len;
    let bx = lm68[2 * k];
    let by = lm68[2 * k + 1];
    for (let i = 0; i < n; i++) {
      const rx = mesh[i][0] - cx;
      const ry = mesh[i][1] - cy;
      const along = rx * dx + ry * dy;
      if (along <= best || Math.abs(rx * dy - ry * dx) > band) continue;
      best = along;
      // The point on the ray at the outline's distance (not the vertex itself, which can sit up
      // to `band` beside the ray).
      bx = cx + along * dx;
      by = cy + along * dy;
    }
    lm68[2 * k] = bx;
    lm68[2 * k + 1] = by;
  }
  return lm68;
}

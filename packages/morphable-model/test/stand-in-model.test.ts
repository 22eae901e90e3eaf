import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../testing/fixtures';
import { IBUG_MIRROR } from '../src/default/landmarks';
import {
  standInModel,
  readEosModel,
  readLandmarkMapping,
  render,
  rotationFromAxisAngle,
} from '../src/index';

/** Largest eigenvector of a symmetric 4×4 matrix by cyclic Jacobi. */
function topEigenvector4(A: number[][]): number[] {
  const a = A.map((r) => [...r]);
  const V: number[][] = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < 4; p++) for (let q = p + 1; q < 4; q++) off += a[p][q] ** 2;
    if (off < 1e-20) break;
    for (let p = 0; p < 4; p++) {
      for (let q = p + 1; q < 4; q++) {
        if (Math.abs(a[p][q]) < 1e-30) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 4; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < 4; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < 4; k++) {
          const vkp = V[k][p];
          const vkq = V[k][q];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let k = 1; k < 4; k++) if (a[k][k] > a[best][best]) best = k;
  return [0, 1, 2, 3].map((i) => V[i][best]);
}

/** Similarity (s, R, t) minimising Σ|s·R·a + t − b|² (Horn's quaternion method; Umeyama's scale). */
function similarityAlign(a: number[][], b: number[][]) {
  const n = a.length;
  const ma = [0, 1, 2].map((c) => a.reduce((s, p) => s + p[c], 0) / n);
  const mb = [0, 1, 2].map((c) => b.reduce((s, p) => s + p[c], 0) / n);
  const ac = a.map((p) => p.map((v, c) => v - ma[c]));
  const bc = b.map((p) => p.map((v, c) => v - mb[c]));
  const S = [0, 1, 2].map((i) =>
    [0, 1, 2].map((j) => ac.reduce((s, p, k) => s + p[i] * bc[k][j], 0)),
  );
  const [[xx, xy, xz], [yx, yy, yz], [zx, zy, zz]] = S;
  const q = topEigenvector4([
    [xx + yy + zz, yz - zy, zx - xz, xy - yx],
    [yz - zy, xx - yy - zz, xy + yx, zx + xz],
    [zx - xz, xy + yx, -xx + yy - zz, yz + zy],
    [xy - yx, zx + xz, yz + zy, -xx - yy + zz],
  ]);
  const [w, x, y, z] = q;
  const R = [
    [w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z],
  ];
  const rot = (p: number[]) =>
    [0, 1, 2].map((i) => R[i][0] * p[0] + R[i][1] * p[1] + R[i][2] * p[2]);
  let num = 0;
  let den = 0;
  ac.forEach((p, k) => {
    const r = rot(p);
    num += r[0] * bc[k][0] + r[1] * bc[k][1] + r[2] * bc[k][2];
    den += p[0] ** 2 + p[1] ** 2 + p[2] ** 2;
  });
  const s = num / den;
  const aligned = ac.map((p) => rot(p).map((v, c) => s * v + mb[c]));
  const rms = Math.sqrt(
    aligned.reduce(
      (acc, p, k) => acc + (p[0] - b[k][0]) ** 2 + (p[1] - b[k][1]) ** 2 + (p[2] - b[k][2]) ** 2,
      0,
    ) / n,
  );
  return { s, R, rms, aligned };
}

const vertex = (mean: Float32Array, v: number) => [mean[3 * v], mean[3 * v + 1], mean[3 * v + 2]];

const model = standInModel();
const N = model.numVertices;

describe('stand-in model vs the SFM mean (yardstick)', () => {
  const sfm = readEosModel(
    readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')),
    'sfm_shape_3448.bin',
    {
      landmarks: readLandmarkMapping(
        readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
        'ibug_to_sfm.txt',
      ),
    },
  );

  it('landmarks align by a similarity with RMS < 8 % of the outer-eye-corner distance', () => {
    const ids: number[] = [];
    for (let k = 0; k < 68; k++) if (sfm.landmarks[k] >= 0 && model.landmarks[k] >= 0) ids.push(k);
    expect(ids.length).toBe(50);
    const a = ids.map((k) => vertex(model.mean, model.landmarks[k]));
    const b = ids.map((k) => vertex(sfm.mean, sfm.landmarks[k]));
    const { rms, s, aligned } = similarityAlign(a, b);
    const e37 = vertex(sfm.mean, sfm.landmarks[36]);
    const e46 = vertex(sfm.mean, sfm.landmarks[45]);
    const eyeDist = Math.hypot(e37[0] - e46[0], e37[1] - e46[1], e37[2] - e46[2]);
    const per = ids.map(
      (k, q) => `${k + 1}:${aligned[q].map((v, c) => (v - b[q][c]).toFixed(0)).join('/')}`,
    );
    console.log(
      `rms ${rms.toFixed(2)} mm, ${((100 * rms) / eyeDist).toFixed(1)} % of ${eyeDist.toFixed(1)}; scale ${s.toFixed(3)}\n${per.join(' ')}`,
    );
    expect(rms / eyeDist).toBeLessThan(0.08);
  });
});

describe('stand-in model: mesh, symmetry and texture coordinates', () => {
  it('is generated, fast and deterministic, with fresh arrays on each call', () => {
    const t0 = performance.now();
    const again = standInModel();
    const ms = performance.now() - t0;
    console.log(`standInModel(): ${ms.toFixed(0)} ms (${N} vertices)`);
    const same = (a: ArrayBufferView, b: ArrayBufferView) =>
      Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;
    expect(same(again.mean, model.mean)).toBe(true);
    expect(same(again.texCoords!, model.texCoords!)).toBe(true);
    expect(same(again.shape.basis, model.shape.basis)).toBe(true);
    expect(same(again.expression!.basis, model.expression!.basis)).toBe(true);
    expect(Array.from(again.landmarks)).toEqual(Array.from(model.landmarks));
    expect(again.mean).not.toBe(model.mean);
    expect(model.metadata.format).toBe('generated');
    expect(model.metadata.licence).toMatch(/real 3DMM/);
    expect(N).toBeGreaterThan(2000);
    expect(N).toBeLessThan(10000);
    expect(model.mean.length).toBe(3 * N);
    expect(model.mean.every(Number.isFinite)).toBe(true);
  });

  it('is a consistently oriented disc: one boundary loop, Euler characteristic 1', () => {
    const T = model.triangles;
    const F = T.length / 3;
    const directed = new Set<string>();
    for (let f = 0; f < F; f++) {
      for (let e = 0; e < 3; e++) {
        const key = `${T[3 * f + e]},${T[3 * f + ((e + 1) % 3)]}`;
        if (directed.has(key)) throw new Error(`edge ${key} twice in one direction`);
        directed.add(key);
      }
    }
    // boundary edges: directed edges whose reverse is missing; they must form one cycle
    const next = new Map<number, number>();
    let edges = 0;
    for (const key of directed) {
      const [a, b] = key.split(',').map(Number);
      if (!directed.has(`${b},${a}`)) next.set(a, b);
      edges++;
    }
    const boundaryEdges = next.size;
    const undirected = (edges + boundaryEdges) / 2;
    expect(N - undirected + F).toBe(1);
    const startV = next.keys().next().value as number;
    let v = startV;
    let steps = 0;
    do {
      v = next.get(v)!;
      steps++;
    } while (v !== startV && steps <= boundaryEdges);
    expect(steps).toBe(boundaryEdges);
  });

  it('faces +z: triangles counter-clockwise seen from the front over the face', () => {
    const T = model.triangles;
    const X = model.mean;
    let front = 0;
    let frontArea = 0;
    let backArea = 0;
    for (let f = 0; f < T.length / 3; f++) {
      const [a, b, c] = [T[3 * f], T[3 * f + 1], T[3 * f + 2]];
      const nz =
        (X[3 * b] - X[3 * a]) * (X[3 * c + 1] - X[3 * a + 1]) -
        (X[3 * c] - X[3 * a]) * (X[3 * b + 1] - X[3 * a + 1]);
      if (nz > 0) {
        front++;
        frontArea += nz;
      } else backArea -= nz;
    }
    // only the strip curling under the jaw faces away
    expect(front / (T.length / 3)).toBeGreaterThan(0.9);
    expect(backArea / frontArea).toBeLessThan(0.05);
  });

  it('is exactly left-right symmetric: mesh, modes, landmarks, texture coordinates', () => {
    const S = model.symmetry!;
    let onLine = 0;
    let meanErr = 0;
    let uvErr = 0;
    for (let i = 0; i < N; i++) {
      const m = S[i];
      if (S[m] !== i) throw new Error(`symmetry is not an involution at ${i}`);
      if (m === i) onLine++;
      meanErr = Math.max(
        meanErr,
        Math.abs(model.mean[3 * m] + model.mean[3 * i]),
        Math.abs(model.mean[3 * m + 1] - model.mean[3 * i + 1]),
        Math.abs(model.mean[3 * m + 2] - model.mean[3 * i + 2]),
      );
      uvErr = Math.max(
        uvErr,
        Math.abs(model.texCoords![2 * m] - (1 - model.texCoords![2 * i])),
        Math.abs(model.texCoords![2 * m + 1] - model.texCoords![2 * i + 1]),
      );
    }
    expect(meanErr).toBe(0);
    expect(uvErr).toBeLessThan(1e-5);
    expect(onLine).toBeGreaterThan(50);
    for (const basis of [model.shape, model.expression!]) {
      let worst = 0;
      for (let k = 0; k < basis.numModes; k++) {
        const o = k * 3 * N;
        for (let i = 0; i < N; i++) {
          const m = S[i];
          worst = Math.max(
            worst,
            Math.abs(basis.basis[o + 3 * m] + basis.basis[o + 3 * i]),
            Math.abs(basis.basis[o + 3 * m + 1] - basis.basis[o + 3 * i + 1]),
            Math.abs(basis.basis[o + 3 * m + 2] - basis.basis[o + 3 * i + 2]),
          );
        }
      }
      expect(worst).toBeLessThan(1e-5);
    }
    // triangles map onto triangles
    const tris = new Set<string>();
    const key = (a: number, b: number, c: number) => [a, b, c].sort((p, q) => p - q).join(',');
    const T = model.triangles;
    for (let f = 0; f < T.length / 3; f++) tris.add(key(T[3 * f], T[3 * f + 1], T[3 * f + 2]));
    let unmatched = 0;
    for (let f = 0; f < T.length / 3; f++) {
      if (!tris.has(key(S[T[3 * f]], S[T[3 * f + 1]], S[T[3 * f + 2]]))) unmatched++;
    }
    expect(unmatched).toBe(0);
    // landmark k's mirror point sits on the mirror vertex
    for (let id = 1; id <= 68; id++) {
      expect(model.landmarks[IBUG_MIRROR[id] - 1]).toBe(S[model.landmarks[id - 1]]);
    }
  });

  it('has a flip-free texture embedding in the unit square, the boundary on its edges', () => {
    const uv = model.texCoords!;
    expect(uv.length).toBe(2 * N);
    expect(uv.every((c) => c >= 0 && c <= 1)).toBe(true);
    const T = model.triangles;
    let flipped = 0;
    for (let f = 0; f < T.length / 3; f++) {
      const [a, b, c] = [T[3 * f], T[3 * f + 1], T[3 * f + 2]];
      const area =
        (uv[2 * b] - uv[2 * a]) * (uv[2 * c + 1] - uv[2 * a + 1]) -
        (uv[2 * c] - uv[2 * a]) * (uv[2 * b + 1] - uv[2 * a + 1]);
      if (!(area > 0)) flipped++;
    }
    expect(flipped).toBe(0);
    // the top-left grid corner (forehead, subject's right) lies on the square's boundary
    const u0 = uv[0];
    const v0 = uv[1];
    expect(Math.min(u0, v0, 1 - u0, 1 - v0)).toBeLessThan(1e-6);
    expect(u0).toBeLessThan(0.5);
    expect(v0).toBeGreaterThan(0.5);
  });
});

describe('stand-in model: modes', () => {
  it('has ≥ 5 identity and ≥ 5 expression modes with names and variances Σ offset²', () => {
    expect(model.shape.numModes).toBeGreaterThanOrEqual(5);
    expect(model.expression!.numModes).toBeGreaterThanOrEqual(5);
    expect(model.shape.numModes + model.expression!.numModes).toBeGreaterThanOrEqual(10);
    expect(model.shape.names).toEqual(
      expect.arrayContaining([
        'face width',
        'face height',
        'nose size',
        'jaw width',
        'eye spacing',
      ]),
    );
    expect(model.expression!.names).toEqual(
      expect.arrayContaining(['mouth open', 'smile', 'brow raise']),
    );
    for (const b of [model.shape, model.expression!]) {
      expect(b.basis.length).toBe(b.numModes * 3 * N);
      expect(b.names!.length).toBe(b.numModes);
      for (let k = 0; k < b.numModes; k++) {
        let ss = 0;
        let maxLen = 0;
        for (let i = 0; i < N; i++) {
          const o = k * 3 * N + 3 * i;
          const l2 = b.basis[o] ** 2 + b.basis[o + 1] ** 2 + b.basis[o + 2] ** 2;
          ss += l2;
          maxLen = Math.max(maxLen, Math.sqrt(l2));
        }
        expect(b.variance![k]).toBeCloseTo(ss, -1);
        expect(Math.abs(b.variance![k] - ss) / ss).toBeLessThan(1e-5);
        // 1 SD moves some vertex by a sensible amount: ~1.5 mm (eye spacing) … ~10 mm (jaw drop)
        expect(maxLen, b.names![k]).toBeGreaterThan(1);
        expect(maxLen, b.names![k]).toBeLessThan(12);
        if (k > 0) expect(b.variance![k]).toBeLessThanOrEqual(b.variance![k - 1]);
      }
    }
  });

  it('modes are smooth offset fields: bounded change across every edge', () => {
    const T = model.triangles;
    for (const b of [model.shape, model.expression!]) {
      for (let k = 0; k < b.numModes; k++) {
        let worst = 0;
        const o = k * 3 * N;
        for (let f = 0; f < T.length / 3; f++) {
          for (let e = 0; e < 3; e++) {
            const i = T[3 * f + e];
            const j = T[3 * f + ((e + 1) % 3)];
            const len = Math.hypot(
              ...[0, 1, 2].map((c) => model.mean[3 * i + c] - model.mean[3 * j + c]),
            );
            const d = Math.hypot(
              ...[0, 1, 2].map((c) => b.basis[o + 3 * i + c] - b.basis[o + 3 * j + c]),
            );
            worst = Math.max(worst, d / len);
          }
        }
        // A strain below 1 per SD everywhere, except where the lips part (mouth open): there the
        // transition is a few mm wide on purpose.
        const bound = b.names![k] === 'mouth open' ? 3 : 0.6;
        expect(worst, b.names![k]).toBeLessThan(bound);
      }
    }
  });

  it('expressions move the features they name', () => {
    const D = model.shape.numModes + model.expression!.numModes;
    const lm = (alpha: Float32Array, id: number) => {
      const v = model.landmarks[id - 1];
      const p = [0, 1, 2].map((c) => model.mean[3 * v + c]);
      const bases = [model.shape, model.expression!];
      let k0 = 0;
      for (const b of bases) {
        for (let k = 0; k < b.numModes; k++) {
          for (let c = 0; c < 3; c++) p[c] += alpha[k0 + k] * b.basis[k * 3 * N + 3 * v + c];
        }
        k0 += b.numModes;
      }
      return p;
    };
    const unit = (name: string) => {
      const a = new Float32Array(D);
      const s = model.shape.names!.indexOf(name);
      const e = model.expression!.names!.indexOf(name);
      a[s >= 0 ? s : model.shape.numModes + e] = 1;
      return a;
    };
    const zero = new Float32Array(D);
    const gap = (a: Float32Array) => lm(a, 63)[1] - lm(a, 67)[1];
    expect(gap(unit('mouth open')) - gap(zero)).toBeGreaterThan(3); // inner lips part
    expect(lm(unit('smile'), 49)[1] - lm(zero, 49)[1]).toBeGreaterThan(2); // corners up
    expect(lm(unit('brow raise'), 20)[1] - lm(zero, 20)[1]).toBeGreaterThan(3);
    const width = (a: Float32Array) => lm(a, 46)[0] - lm(a, 37)[0];
    expect(width(unit('eye spacing')) - width(zero)).toBeGreaterThan(2);
    expect(lm(unit('nose size'), 31)[2] - lm(zero, 31)[2]).toBeGreaterThan(2);
    expect(lm(unit('face height'), 9)[1] - lm(zero, 9)[1]).toBeLessThan(-4); // chin down
  });
});

describe('stand-in model: landmarks and rendering', () => {
  it('has all 68 landmarks on distinct vertices, the contour on the jaw outline', () => {
    const L = Array.from(model.landmarks);
    expect(L.every((v) => v >= 0 && v < N)).toBe(true);
    expect(new Set(L).size).toBe(68);
    const p = (id: number) => [0, 1, 2].map((c) => model.mean[3 * L[id - 1] + c]);
    for (let id = 2; id <= 9; id++) {
      expect(p(id)[1], `contour ${id} below ${id - 1}`).toBeLessThan(p(id - 1)[1]);
      // (1–3 run down the side of the face at one longitude: equal x to within the bulge of
      // the cheekbones)
      expect(p(id)[0], `contour ${id} inwards of ${id - 1}`).toBeGreaterThan(p(id - 1)[0] - 0.5);
    }
    expect(p(9)[0]).toBe(0);
    for (let id = 18; id <= 68; id++) expect(p(9)[1]).toBeLessThan(p(id)[1]); // menton lowest
    expect(p(1)[0]).toBeLessThan(p(37)[0] - 15); // the outline is wider than the eyes
    // inner lips: upper above lower
    expect(p(63)[1]).toBeGreaterThan(p(67)[1]);
  });

  it('a frontal render sees every landmark; a 60° yaw hides the far side of the jaw', () => {
    const D = model.shape.numModes + model.expression!.numModes;
    const tex = { data: new Uint8Array([200, 160, 140]), width: 1, height: 1, channels: 3 };
    const front = render(
      model,
      new Float32Array(D),
      { r: [0, 0, 0], t: [112, 112], logS: Math.log(0.9) },
      tex,
      224,
      224,
    );
    expect(Array.from(front.landmarkVisible).every((v) => v === 1)).toBe(true);
    expect(front.faceId[112 * 224 + 112]).toBeGreaterThanOrEqual(0);
    const yaw = render(
      model,
      new Float32Array(D),
      { r: [0, Math.PI / 3, 0], t: [112, 112], logS: Math.log(0.9) },
      tex,
      224,
      224,
    );
    // positive yaw turns the nose to the image right: the subject's left (ibug 10–17) goes behind
    let hiddenLeft = 0;
    for (let id = 11; id <= 17; id++) hiddenLeft += 1 - yaw.landmarkVisible[id - 1];
    expect(hiddenLeft).toBeGreaterThanOrEqual(3);
    for (let id = 1; id <= 4; id++) expect(yaw.landmarkVisible[id - 1]).toBe(1);
    // visible landmarks sit on the rendered surface: z-buffer depth at their pixel ≈ their z'
    const R = rotationFromAxisAngle([0, Math.PI / 3, 0]);
    let checked = 0;
    let onSurface = 0;
    for (let k = 0; k < 68; k++) {
      if (!yaw.landmarkVisible[k]) continue;
      const v = model.landmarks[k];
      const z =
        R[6] * model.mean[3 * v] + R[7] * model.mean[3 * v + 1] + R[8] * model.mean[3 * v + 2];
      const px = Math.round(yaw.landmarks[2 * k]);
      const py = Math.round(yaw.landmarks[2 * k + 1]);
      const d = yaw.depth[py * 224 + px];
      checked++;
      // near a silhouette the nearest pixel centre can fall on the occluder or the background
      if (Math.abs(d - z) < 6) onSurface++;
    }
    expect(checked).toBeGreaterThan(40);
    expect(onSurface / checked).toBeGreaterThan(0.9);
  });

  it("renders a prefix of the modes (the paper's 5 + 5) as the full α with zeros elsewhere", () => {
    const Ds = model.shape.numModes;
    const De = model.expression!.numModes;
    const tex = { data: new Float32Array([0.8, 0.6, 0.5]), width: 1, height: 1, channels: 3 };
    const pose = { r: [0.1, -0.4, 0.05], t: [100, 110], logS: Math.log(0.8) };
    const short = Float32Array.from([0.5, -1, 0.3, 1.2, -0.7, 0.9, -0.2, 0.4, 1.1, -0.6]);
    const full = new Float32Array(Ds + De);
    full.set(short.subarray(0, 5), 0);
    full.set(short.subarray(5), Ds);
    const a = render(model, short, pose, tex, 200, 200, {
      numShapeModes: 5,
      numExpressionModes: 5,
    });
    const b = render(model, full, pose, tex, 200, 200);
    expect(a.landmarks).toEqual(b.landmarks);
    expect(a.faceId).toEqual(b.faceId);
  });
});

describe('render on the SFM (a real model, its own texture coordinates)', () => {
  it('draws the face with every mapped landmark visible from the front', () => {
    const sfm = readEosModel(
      readFileSync(fixturePath('sfm', 'sfm_shape_3448.bin')),
      'sfm_shape_3448.bin',
      {
        landmarks: readLandmarkMapping(
          readFileSync(fixturePath('sfm', 'ibug_to_sfm.txt'), 'utf8'),
          'ibug_to_sfm.txt',
        ),
      },
    );
    const tex = { data: new Uint8Array([200, 160, 140]), width: 1, height: 1, channels: 3 };
    const out = render(
      sfm,
      new Float32Array(63),
      { r: [0, 0, 0], t: [112, 112], logS: Math.log(1) },
      tex,
      224,
      224,
    );
    let mapped = 0;
    for (let k = 0; k < 68; k++) {
      if (sfm.landmarks[k] < 0) {
        expect(out.landmarks[2 * k]).toBeNaN();
        continue;
      }
      mapped++;
      expect(out.landmarkVisible[k], `ibug ${k + 1}`).toBe(1);
      // the landmark's pixel is covered by the face
      const px = Math.round(out.landmarks[2 * k]);
      const py = Math.round(out.landmarks[2 * k + 1]);
      expect(out.faceId[py * 224 + px]).toBeGreaterThanOrEqual(0);
    }
    expect(mapped).toBe(50);
    let covered = 0;
    for (const f of out.faceId) if (f >= 0) covered++;
    expect(covered / (224 * 224)).toBeGreaterThan(0.25);
  });
});

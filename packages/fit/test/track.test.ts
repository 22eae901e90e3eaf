import { selectBackend } from '@3dmm-stn/backend/node';
import { defaultModel, render, resampleToGrid } from '@3dmm-stn/morphable-model';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closedFormFit,
  extractTexture,
  FitStn,
  landmarkJitter,
  OneEuroFilter,
  poseForShape,
  smoothingFactor,
  texelViewCosines,
  UvFusion,
  varianceOfLaplacian,
  withFixedIdentity,
} from '../src/index';

describe('One Euro filter (analytic cases)', () => {
  // minCutoff = 1/(2π) Hz gives τ = 1 s: at dt = 1 s the smoothing factor is exactly ½.
  const f0 = 1 / (2 * Math.PI);
  it('smoothing factor α = 1 / (1 + τ/dt)', () => {
    expect(smoothingFactor(f0, 1)).toBeCloseTo(0.5, 12);
    expect(smoothingFactor(f0, 3)).toBeCloseTo(0.75, 12);
  });
  it('beta = 0 is an exponential smoother: a unit step gives ½, ¾, ⅞', () => {
    const f = new OneEuroFilter(1, { minCutoff: f0, beta: 0, dCutoff: f0 });
    expect(f.filter([0], 1)[0]).toBe(0);
    expect(f.filter([1], 1)[0]).toBeCloseTo(0.5, 12);
    expect(f.filter([1], 1)[0]).toBeCloseTo(0.75, 12);
    expect(f.filter([1], 1)[0]).toBeCloseTo(0.875, 12);
  });
  it('beta raises the cutoff with speed: the step with beta = 1/π gives ⅔', () => {
    // speed estimate ½·(1 − 0)/1 = ½ → fc = 1/(2π) + ½/π = 1/π → τ = ½ → α = ⅔
    const f = new OneEuroFilter(1, { minCutoff: f0, beta: 1 / Math.PI, dCutoff: f0 });
    f.filter([0], 1);
    expect(f.filter([1], 1)[0]).toBeCloseTo(2 / 3, 12);
  });
  it('a constant passes unchanged; the first sample and a reset pass through', () => {
    const f = new OneEuroFilter(2, { minCutoff: 1, beta: 0.5 });
    for (let k = 0; k < 10; k++) expect(Array.from(f.filter([3, -2], 0.04))).toEqual([3, -2]);
    f.reset();
    expect(Array.from(f.filter([10, 10], 0.04))).toEqual([10, 10]);
  });
  it('on a ramp, a larger beta lags less', () => {
    const lag = (beta: number) => {
      const f = new OneEuroFilter(1, { minCutoff: 1, beta });
      let y = 0;
      for (let k = 0; k < 100; k++) y = f.filter([k * 0.1], 0.04)[0];
      return 99 * 0.1 - y;
    };
    expect(lag(0)).toBeGreaterThan(lag(1));
    expect(lag(1)).toBeGreaterThan(0);
    // steady-state lag of an exponential smoother on slope v per frame: v·(1 − α)/α
    const a = smoothingFactor(1, 0.04);
    expect(lag(0)).toBeCloseTo((0.1 * (1 - a)) / a, 6);
  });
  it('rejects bad parameters', () => {
    expect(() => new OneEuroFilter(1, { minCutoff: 0, beta: 0 })).toThrow(RangeError);
  });
});

describe('landmark jitter', () => {
  const norm = new Array(6).fill(2);
  it('is zero for still and uniformly moving points', () => {
    const still = new Array(6).fill([1, 2, 3, 4]);
    expect(landmarkJitter(still, norm).jitter).toBe(0);
    const moving = Array.from({ length: 6 }, (_, t) => [t, 2 * t, 5 - t, 0]);
    expect(landmarkJitter(moving, norm).jitter).toBe(0);
  });
  it('is |a|/2 / norm for a constant acceleration and e / norm for alternating noise', () => {
    const acc = Array.from({ length: 6 }, (_, t) => [0.5 * 3 * t * t, 0]);
    expect(landmarkJitter(acc, norm).jitter).toBeCloseTo(1.5 / 2, 12);
    const alt = Array.from({ length: 6 }, (_, t) => [0, t % 2 ? 0.4 : 0]);
    const j = landmarkJitter(alt, norm);
    expect(j.jitter).toBeCloseTo(0.4 / 2, 12);
    expect(j.terms).toBe(4);
  });
  it('skips frames without points or neighbours and NaN points', () => {
    const frames = [[0, 0], [1, 0], null, [3, 0], [4, 0], [5, 0], [Number.NaN, 0]];
    const j = landmarkJitter(frames, [...norm, 2]);
    expect(j.terms).toBe(1); // only t = 4 has both neighbours and finite points
    expect(j.jitter).toBe(0);
    expect(landmarkJitter([[0, 0]], [1]).jitter).toBeNaN();
  });
});

describe('UV fusion', () => {
  const model = defaultModel();
  const grid = resampleToGrid(model, model.texCoords as Float32Array, 40);
  let stn: FitStn;
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm' });
    stn = new FitStn(grid);
  });
  afterAll(() => stn.dispose());

  // A known face at a yaw, rendered with a colour ramp texture.
  const tex = new Uint8Array(64 * 64 * 3);
  for (let i = 0; i < 64 * 64; i++) tex.set([(i % 64) * 4, Math.floor(i / 64) * 4, 128], 3 * i);
  const texture = { data: tex, width: 64, height: 64, channels: 3 };
  const frame = (yaw: number) => {
    const alpha = new Float32Array(grid.numModes);
    const r = [0, yaw, 0];
    const pose = { r, t: [112, 118], logS: Math.log(1.2) };
    const out = render(model, alpha, pose, texture, 224, 224, {
      numShapeModes: grid.numShapeModes,
      numExpressionModes: grid.numModes - grid.numShapeModes,
    });
    const theta = [...r, 112, 118, Math.log(1.2), ...alpha];
    const image = tf.tensor4d(Float32Array.from(out.image), [1, 224, 224, 3]);
    const fwd = extractTexture(stn, image, theta);
    image.dispose();
    return { fwd, theta, image: out.image };
  };

  it('the cosine to the view: ≈ 1 somewhere on a frontal face, mostly facing, in [−1, 1]; turning lowers it', () => {
    const { fwd, theta } = frame(0);
    const cos = texelViewCosines(grid, fwd.vertices, theta);
    expect(Math.max(...cos)).toBeGreaterThan(0.98);
    const valid = Array.from(cos).filter((_, p) => grid.valid[p]);
    expect(valid.filter((c) => c > 0).length).toBeGreaterThan(0.8 * valid.length);
    const turned = texelViewCosines(grid, fwd.vertices, [0, 0.87, 0]);
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);
    expect(mean(turned)).toBeLessThan(mean(cos));
    for (const c of cos) expect(Math.abs(c)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('two views at yaw ±50° cover more of the grid than either alone', () => {
    const fusion = new UvFusion(grid, 0.2);
    const covered: number[] = [];
    for (const yaw of [-0.87, 0.87]) {
      const { fwd, theta, image } = frame(yaw);
      covered.push(
        fusion.add({
          uv: fwd.uv,
          mask: fwd.mask,
          cosines: texelViewCosines(grid, fwd.vertices, theta),
          pixels: fwd.pixels,
          width: 224,
          height: 224,
          sharpness: varianceOfLaplacian(image, 224, 224),
        }),
      );
    }
    const r = fusion.result();
    expect(r.frames).toBe(2);
    expect(r.covered).toBeGreaterThan(Math.max(...covered) + 0.1);
    expect(r.bestSingle.covered).toBeCloseTo(Math.max(...covered), 12);
    // the two halves: one view sees the left columns, the other the right
    const res = grid.res;
    const side = (lo: number, hi: number) => {
      let n = 0;
      for (let i = 0; i < res; i++)
        for (let j = lo; j < hi; j++) if (r.coverage[i * res + j] > 0) n++;
      return n;
    };
    expect(side(0, res / 2)).toBeGreaterThan(0);
    expect(side(res / 2, res)).toBeGreaterThan(0);
    // fused colours are the texture's (a colour ramp: not all black where covered)
    let lit = 0;
    for (let p = 0; p < res * res; p++)
      if (r.coverage[p] > 0 && r.uv[3 * p] + r.uv[3 * p + 1] > 0) lit++;
    expect(lit).toBeGreaterThan(0.5 * r.covered * grid.valid.reduce((a, b) => a + b, 0));
  });

  it('sharpness: a blurred image scores lower than the sharp one', () => {
    const n = 32;
    const sharp = new Float32Array(n * n * 3);
    for (let i = 0; i < n * n; i++)
      sharp.fill(((i % n) + Math.floor(i / n)) % 2 ? 255 : 0, 3 * i, 3 * i + 3);
    const flat = new Float32Array(n * n * 3).fill(128);
    expect(varianceOfLaplacian(sharp, n, n)).toBeGreaterThan(1000);
    expect(varianceOfLaplacian(flat, n, n)).toBe(0);
  });
});

describe('closed form with a fixed identity (video tracking)', () => {
  const model = defaultModel();
  const grid = resampleToGrid(model, model.texCoords as Float32Array, 40);
  it('recovers pose and expressions of a rendered face whose identity is given', () => {
    const ds = grid.numShapeModes;
    const alpha = new Float32Array(grid.numModes);
    for (let d = 0; d < ds; d++) alpha[d] = 0.8 * Math.sin(d + 1);
    alpha[ds] = 0.6;
    alpha[ds + 3] = 0.3;
    const r = [0.1, -0.4, 0.05];
    const grey = { data: new Uint8Array(12).fill(128), width: 2, height: 2, channels: 3 };
    const out = render(model, alpha, { r, t: [112, 118], logS: Math.log(1.2) }, grey, 224, 224, {
      numShapeModes: ds,
      numExpressionModes: grid.numModes - ds,
    });
    const L = grid.landmarkIds.length;
    const p = new Float32Array(2 * L);
    grid.landmarkIds.forEach((id, l) => {
      p[2 * l] = out.landmarks[2 * (id - 1)];
      p[2 * l + 1] = out.landmarks[2 * (id - 1) + 1];
    });
    const w = new Float32Array(L).fill(1);
    const rows = withFixedIdentity(grid, alpha.subarray(0, ds));
    expect(rows.numModes).toBe(grid.numModes - ds);
    const cf = closedFormFit(rows, p, w, { lambda: 1e-4, contour: false });
    expect(cf.rms).toBeLessThan(0.05);
    for (let k = 0; k < 3; k++) expect(cf.r[k]).toBeCloseTo(r[k], 2);
    expect(cf.alpha[0]).toBeCloseTo(0.6, 1);
    expect(cf.alpha[3]).toBeCloseTo(0.3, 1);
    // and the pose alone for a known shape
    const pose = poseForShape(grid, alpha, p, w, { contour: false });
    for (let k = 0; k < 3; k++) expect(pose.r[k]).toBeCloseTo(r[k], 2);
  });
});

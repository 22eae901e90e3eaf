import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemIO } from '@3dmm-stn/backend/node';
import { ShapeError } from '@3dmm-stn/morphable-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MorphableModelSTN,
  morphableModelSTN,
  registerMorphableModelSTN,
  type STNOutput,
  visibilityMask,
} from '../src/index';
import { BACKENDS, useBackend } from './layer.backends';
import {
  bilinear,
  capGridModel,
  gaussian,
  morph,
  project,
  rng,
  rotate,
  splitTheta64,
} from './layer.helpers';

/** A trainable translation added to θ's t: the only trainable weight of the toy model. */
class ThetaOffset extends tf.layers.Layer {
  static className = 'TestThetaOffset';
  private offset!: tf.LayerVariable;
  override build(): void {
    this.offset = this.addWeight('offset', [2], 'float32', tf.initializers.zeros());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const theta = ([] as tf.Tensor[]).concat(inputs)[0];
      return tf.add(theta, tf.pad(this.offset.read(), [[3, (theta.shape[1] as number) - 5]]));
    });
  }
}
tf.serialization.registerClass(ThetaOffset);

const RES = 10;
const H = 40;
const W = 44;
const C = 2;
const g = capGridModel(RES, { numShapeModes: 2, numExpressionModes: 1, numLandmarks: 6, seed: 4 });
const D = g.numModes;
const N = RES * RES;
const L = g.landmarkIds.length;

/** A smooth non-linear image, so bilinear sampling is not trivially exact. */
function smoothImage(b: number, seed: number, H = 40, W = 44): Float32Array {
  const rand = rng(seed);
  const out = new Float32Array(b * H * W * C);
  const k = Array.from({ length: 6 * C * b }, () => rand());
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < C; c++) {
          const q = k.slice((n * C + c) * 6, (n * C + c) * 6 + 6);
          out[((n * H + y) * W + x) * C + c] =
            Math.sin(0.3 * q[0] * x + 0.2 * q[1] * y + 6 * q[2]) + q[3] * (x / W) + q[4];
        }
      }
    }
  }
  return out;
}

/** θ near a frontal pose: the cap (radius 80 mm) covers ~28 px at s = 0.2. */
function randomTheta(rand: () => number, spread = 0.25): number[] {
  return [
    spread * gaussian(rand),
    spread * gaussian(rand),
    spread * gaussian(rand),
    W / 2 + 2 * gaussian(rand),
    H / 2 + 2 * gaussian(rand),
    Math.log(0.2) + 0.05 * gaussian(rand),
    ...Array.from({ length: D }, () => gaussian(rand)),
  ];
}

/** Float64 forward of the layer for one batch element, given its mask (which has no gradient). */
function reference(img: Float32Array, theta: number[], mask: ArrayLike<number>) {
  const { r, t, logS, alpha } = splitTheta64(theta);
  const p = project(morph(g.mean, g.basis, alpha), r, t, logS);
  const uv = new Float64Array(N * C);
  for (let v = 0; v < N; v++) {
    const s = bilinear(img, H, W, C, p[2 * v], p[2 * v + 1]);
    for (let c = 0; c < C; c++) uv[v * C + c] = s[c] * mask[v];
  }
  const lm = project(morph(g.landmarkMean, g.landmarkBasis, alpha), r, t, logS);
  return { p, uv, lm };
}

describe.each(BACKENDS)('MorphableModelSTN on %s', (backend) => {
  let dir: string;
  beforeAll(async () => {
    await useBackend(backend);
    dir = mkdtempSync(join(tmpdir(), 'stn-layer-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('computes every output as the float64 reference does', () => {
    const rand = rng(21);
    const b = 3;
    const img = smoothImage(b, 2);
    const thetas = [0, 1, 2].map(() => randomTheta(rand));
    const outputs: STNOutput[] = ['maskedUv', 'uv', 'mask', 'landmarks', 'vertices'];
    const layer = morphableModelSTN({ gridModel: g, outputs });
    const got = tf.tidy(() =>
      (layer.apply([tf.tensor4d(img, [b, H, W, C]), tf.tensor2d(thetas)]) as tf.Tensor[]).map(
        (t) => ({
          shape: t.shape,
          data: t.dataSync().slice(),
        }),
      ),
    );
    expect(got.map((o) => o.shape)).toEqual([
      [b, RES, RES, C],
      [b, RES, RES, C],
      [b, RES, RES, 1],
      [b, L, 2],
      [b, RES, RES, 2],
    ]);
    const [maskedUv, uv, mask, lm, verts] = got.map((o) => o.data);
    for (let n = 0; n < b; n++) {
      const { r, alpha } = splitTheta64(thetas[n]);
      const xr = rotate(morph(g.mean, g.basis, alpha), r);
      // The layer uses the host path on cpu/wasm; compare with the all-tensor one.
      const maskRef = tf.tidy(() =>
        visibilityMask(tf.tensor3d(Float32Array.from(xr), [1, N, 3]), g, {
          implementation: 'tensor',
        }).dataSync(),
      );
      const ones = new Float64Array(N).fill(1);
      const ref = reference(img.subarray(n * H * W * C, (n + 1) * H * W * C), thetas[n], ones);
      let visible = 0;
      for (let v = 0; v < N; v++) {
        expect(mask[n * N + v]).toBe(maskRef[v]);
        visible += maskRef[v];
        for (let k = 0; k < 2; k++)
          expect(verts[(n * N + v) * 2 + k]).toBeCloseTo(ref.p[2 * v + k], 3);
        for (let c = 0; c < C; c++) {
          const i = (n * N + v) * C + c;
          expect(Math.abs(uv[i] - ref.uv[v * C + c])).toBeLessThan(1e-4);
          expect(maskedUv[i]).toBe(uv[i] * mask[n * N + v]);
        }
      }
      expect(visible).toBeGreaterThan(0.5 * g.valid.reduce((a, x) => a + x, 0));
      for (let m = 0; m < 2 * L; m++) expect(lm[n * 2 * L + m]).toBeCloseTo(ref.lm[m], 3);
    }
  });

  it('gradients w.r.t. theta and image match float64 central differences', () => {
    const rand = rng(8);
    const b = 2;
    const img = smoothImage(b, 5);
    const thetas = [0, 1].map(() => randomTheta(rand, 0.2));
    const wUv = Array.from({ length: b * N * C }, () => gaussian(rand));
    const wLm = Array.from({ length: b * L * 2 }, () => gaussian(rand));
    const layer = morphableModelSTN({ gridModel: g, outputs: ['maskedUv', 'landmarks', 'mask'] });
    const imageT = tf.tensor4d(img, [b, H, W, C]);
    const thetaT = tf.tensor2d(thetas);
    const loss = (image: tf.Tensor, theta: tf.Tensor) => {
      const [uv, lm] = layer.apply([image, theta]) as tf.Tensor[];
      return tf.add(
        tf.sum(tf.mul(uv, tf.tensor(wUv, uv.shape))),
        tf.sum(tf.mul(lm, tf.tensor(wLm, lm.shape))),
      );
    };
    const [dImage, dTheta] = tf.grads(loss)([imageT, thetaT]);
    const gTheta = dTheta.dataSync();
    const gImage = dImage.dataSync();
    const mask = tf.tidy(() =>
      (layer.apply([imageT, thetaT]) as tf.Tensor[])[2].dataSync().slice(),
    );
    const ref64 = (im: Float32Array | Float64Array, th: number[][]) => {
      let s = 0;
      for (let n = 0; n < b; n++) {
        const r = reference(
          im.subarray(n * H * W * C, (n + 1) * H * W * C) as Float32Array,
          th[n],
          mask.subarray(n * N, (n + 1) * N),
        );
        r.uv.forEach((u, i) => {
          s += u * wUv[n * N * C + i];
        });
        r.lm.forEach((u, i) => {
          s += u * wLm[n * L * 2 + i];
        });
      }
      return s;
    };
    const h = 1e-6;
    let maxScale = 0;
    for (let n = 0; n < b; n++) {
      for (let k = 0; k < 6 + D; k++) {
        const plus = thetas.map((t) => t.slice());
        const minus = thetas.map((t) => t.slice());
        plus[n][k] += h;
        minus[n][k] -= h;
        const cd = (ref64(img, plus) - ref64(img, minus)) / (2 * h);
        maxScale = Math.max(maxScale, Math.abs(cd));
        expect(Math.abs(gTheta[n * (6 + D) + k] - cd), `theta[${n}][${k}]`).toBeLessThan(
          2e-3 * (1 + Math.abs(cd)),
        );
      }
    }
    expect(maxScale).toBeGreaterThan(1); // the check is not vacuous
    // The loss is linear in the image: a central difference is exact up to rounding.
    const img64 = Float64Array.from(img);
    let nonzero = 0;
    for (let q = 0; q < 40; q++) {
      const idx = Math.floor(rand() * img.length);
      const up = img64.slice();
      const dn = img64.slice();
      up[idx] += 0.5;
      dn[idx] -= 0.5;
      const cd = ref64(up, thetas) - ref64(dn, thetas);
      if (cd !== 0) nonzero++;
      expect(Math.abs(gImage[idx] - cd), `image[${idx}]`).toBeLessThan(1e-4 * (1 + Math.abs(cd)));
    }
    expect(nonzero).toBeGreaterThan(5);
    tf.dispose([imageT, thetaT, dImage, dTheta]);
  });

  it('trains inside a functional tf.model with fit: learns a translation offset', async () => {
    // Small images: on the cpu backend the image gradient's UnsortedSegmentSum costs O(H·W·B · n).
    const [h, w] = [16, 16];
    const rand = rng(33);
    const b = 4;
    const img = smoothImage(b, 9, h, w);
    const shift = [2, -1.5];
    const thetas = Array.from({ length: b }, () => {
      const t = randomTheta(rand, 0.15);
      return [
        ...t.slice(0, 3),
        w / 2 + 0.5 * gaussian(rand),
        h / 2 + 0.5 * gaussian(rand),
        Math.log(0.07),
        ...t.slice(6),
      ];
    });
    const targets = thetas.map((t) => [
      ...t.slice(0, 3),
      t[3] + shift[0],
      t[4] + shift[1],
      ...t.slice(5),
    ]);
    // On cpu only the landmark path trains: there the sampler's image gradient (UnsortedSegmentSum,
    // computed by its customGrad even for a constant image) takes seconds per step.
    const outputs: STNOutput[] = backend === 'cpu' ? ['landmarks'] : ['landmarks', 'maskedUv'];
    const imageIn = tf.input({ shape: [h, w, C] });
    const thetaIn = tf.input({ shape: [6 + D] });
    const correction = new ThetaOffset({});
    const theta = correction.apply(thetaIn) as tf.SymbolicTensor;
    const stn = new MorphableModelSTN({ gridModel: g, outputs });
    const outs = ([] as tf.SymbolicTensor[]).concat(
      stn.apply([imageIn, theta]) as tf.SymbolicTensor[],
    );
    const model = tf.model({ inputs: [imageIn, thetaIn], outputs: outs });
    // Per-sample means: tfjs-layers adds the per-output losses before averaging, so they must agree in shape.
    const perSample = (axes: number[], weight: number) => (yTrue: tf.Tensor, yPred: tf.Tensor) =>
      tf.mul(tf.mean(tf.square(tf.sub(yTrue, yPred)), axes), weight);
    model.compile({
      optimizer: tf.train.adam(0.1),
      loss: [perSample([1, 2], 1), perSample([1, 2, 3], 10)].slice(0, outputs.length),
    });
    expect(model.trainableWeights.length).toBe(1); // the GridModel weights are not trainable

    const xImg = tf.tensor4d(img, [b, h, w, C]);
    const xTheta = tf.tensor2d(thetas);
    const ys = tf.tidy(() => {
      const ref = morphableModelSTN({ gridModel: g, outputs });
      return ([] as tf.Tensor[]).concat(ref.apply([xImg, tf.tensor2d(targets)]) as tf.Tensor[]);
    });
    const before = tf.memory().numTensors;
    const history = await model.fit([xImg, xTheta], ys, {
      epochs: 60,
      batchSize: b,
      verbose: 0,
      shuffle: false,
    });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(0.02 * losses[0]);
    const bias = correction.getWeights()[0].dataSync();
    expect(Math.abs(bias[0] - shift[0])).toBeLessThan(0.2);
    expect(Math.abs(bias[1] - shift[1])).toBeLessThan(0.2);
    expect(tf.memory().numTensors - before).toBeLessThan(5); // fit keeps no per-step tensors

    // Save → load through the file IO handler: identical outputs, GridModel carried by weights.
    const path = join(dir, `fit-${backend}`);
    await model.save(fileSystemIO(path));
    const json = JSON.parse(readFileSync(join(path, 'model.json'), 'utf8'));
    const names = json.weightsManifest[0].weights.map(
      (w: { name: string; dtype: string }) => `${w.name}:${w.dtype}`,
    );
    for (const w of ['mean', 'basis', 'landmark_mean', 'landmark_basis', 'valid']) {
      expect(names).toContain(`${stn.name}/${w}:float32`);
    }
    expect(names).toContain(`${stn.name}/triangles:int32`);
    const loaded = await tf.loadLayersModel(fileSystemIO(path));
    const restored = loaded.layers.find((l) => l instanceof MorphableModelSTN) as MorphableModelSTN;
    expect(restored.getConfig()).toEqual(stn.getConfig());
    const a = ([] as tf.Tensor[]).concat(model.predict([xImg, xTheta]) as tf.Tensor[]);
    const c = ([] as tf.Tensor[]).concat(loaded.predict([xImg, xTheta]) as tf.Tensor[]);
    expect(c.length).toBe(outputs.length);
    for (let k = 0; k < c.length; k++)
      expect(Array.from(c[k].dataSync())).toEqual(Array.from(a[k].dataSync()));
    tf.dispose([...a, ...c, xImg, xTheta, ...ys]);
    loaded.dispose();
    model.dispose();
  });

  it('round-trips through getConfig/fromConfig + weights, for every option', async () => {
    const rand = rng(3);
    const img = tf.tensor4d(smoothImage(2, 1), [2, H, W, C]);
    const theta = tf.tensor2d([0, 1].map(() => randomTheta(rand, 0.6)));
    for (const [outputs, padding, visibility] of [
      [['mask'], 'border', 'zbuffer'],
      [['uv', 'vertices', 'landmarks'], 'zeros', 'normals'],
    ] as const) {
      const layer = morphableModelSTN({
        gridModel: g,
        outputs: [...outputs],
        padding,
        visibility,
        name: `stn_${padding}`,
      });
      const out = tf.tidy(() =>
        ([] as tf.Tensor[])
          .concat(layer.apply([img, theta]) as tf.Tensor[])
          .map((t) => t.arraySync()),
      );
      const config = layer.getConfig();
      expect(config).toMatchObject({
        outputs,
        padding,
        visibility,
        res: RES,
        numModes: D,
        name: `stn_${padding}`,
      });
      // Through the serialization registry, as loadLayersModel does.
      expect(registerMorphableModelSTN()).toBe(MorphableModelSTN);
      const [cls, fromConfig] =
        tf.serialization.SerializationMap.getMap().classNameMap.MorphableModelSTN;
      const copy = fromConfig(cls, config) as unknown as MorphableModelSTN;
      expect(copy).toBeInstanceOf(MorphableModelSTN);
      tf.tidy(() => {
        copy.apply([img, theta]); // builds (zero weights)
        copy.setWeights(layer.getWeights());
        const again = ([] as tf.Tensor[])
          .concat(copy.apply([img, theta]) as tf.Tensor[])
          .map((t) => t.arraySync());
        expect(again).toEqual(out);
      });
      layer.dispose();
      copy.dispose();
    }
    tf.dispose([img, theta]);
  });

  it("carries the grid's expression names through getConfig/fromConfig; refuses a wrong count", () => {
    // an underscore name: tfjs's config casing would turn browDown_L into browDownL
    const named = { ...g, expressionNames: ['browDown_L'] };
    const layer = morphableModelSTN({ gridModel: named, outputs: ['landmarks'] });
    const config = layer.getConfig();
    expect(typeof config.expressionNamesHex).toBe('string');
    const [cls, fromConfig] =
      tf.serialization.SerializationMap.getMap().classNameMap.MorphableModelSTN;
    const copy = fromConfig(cls, config) as unknown as MorphableModelSTN;
    expect(copy.expressionNames).toEqual(['browDown_L']);
    // without names (an unnamed grid) the config has none
    const plain = morphableModelSTN({ gridModel: g, outputs: ['landmarks'] });
    expect(plain.getConfig().expressionNamesHex).toBeUndefined();
    expect(() =>
      morphableModelSTN({ gridModel: { ...g, expressionNames: ['a', 'b'] }, outputs: ['mask'] }),
    ).toThrow(/expressionNames must be 1 strings/);
  });

  it('works without modes and without landmarks (D = 0, L = 0)', () => {
    const g0 = capGridModel(RES, { numShapeModes: 0, numExpressionModes: 0, numLandmarks: 0 });
    const layer = morphableModelSTN({ gridModel: g0, outputs: ['landmarks', 'vertices', 'mask'] });
    const th = [0.1, -0.2, 0.05, W / 2, H / 2, Math.log(0.2)];
    const [lm, verts, mask] = tf.tidy(() =>
      (layer.apply([tf.zeros([1, H, W, C]), tf.tensor2d([th])]) as tf.Tensor[]).map((t) => ({
        shape: t.shape,
        data: t.dataSync().slice(),
      })),
    );
    expect(lm.shape).toEqual([1, 0, 2]);
    expect(mask.shape).toEqual([1, RES, RES, 1]);
    const ref = project(g0.mean, th.slice(0, 3), th.slice(3, 5), th[5]);
    for (let k = 0; k < 2 * N; k++) expect(verts.data[k]).toBeCloseTo(ref[k], 3);
    layer.dispose();
  });

  it('declares output shapes symbolically, one output as a tensor, several as an array', () => {
    const image = tf.input({ shape: [64, 48, 3] });
    const theta = tf.input({ shape: [6 + D] });
    const all = morphableModelSTN({ gridModel: g }).apply([image, theta]) as tf.SymbolicTensor[];
    expect(all.map((t) => t.shape)).toEqual([
      [null, RES, RES, 3],
      [null, RES, RES, 1],
      [null, L, 2],
    ]);
    const one = morphableModelSTN({ gridModel: g, outputs: ['vertices'] }).apply([
      image,
      theta,
    ]) as tf.SymbolicTensor;
    expect(one.shape).toEqual([null, RES, RES, 2]);
  });

  it('rejects bad arguments with clear errors', () => {
    expect(() => morphableModelSTN({})).toThrow('args.gridModel is required');
    expect(() => morphableModelSTN({ gridModel: g, outputs: ['uvs' as STNOutput] })).toThrow(
      "outputs must be among 'maskedUv', 'uv', 'mask', 'landmarks', 'vertices', but got 'uvs'",
    );
    expect(() => morphableModelSTN({ gridModel: g, outputs: [] })).toThrow('non-empty');
    expect(() => morphableModelSTN({ gridModel: g, outputs: ['mask', 'mask'] })).toThrow(
      'must not repeat',
    );
    expect(() => morphableModelSTN({ gridModel: g, padding: 'reflect' as 'zeros' })).toThrow(
      "padding must be one of 'zeros', 'border', but got 'reflect'",
    );
    expect(() => morphableModelSTN({ gridModel: g, visibility: 'rays' as 'normals' })).toThrow(
      "visibility method must be one of 'normals', 'zbuffer'",
    );
    expect(() => morphableModelSTN({ gridModel: { ...g, basis: g.basis.subarray(1) } })).toThrow(
      `gridModel.basis must be [D, res², 3] = [${D}, ${N}, 3] (${D * N * 3} values), but has ${D * N * 3 - 1}`,
    );
    expect(() =>
      morphableModelSTN({ gridModel: { ...g, landmarkMean: new Float32Array(3) } }),
    ).toThrow(ShapeError);
    const layer = morphableModelSTN({ gridModel: g });
    expect(() => layer.apply([tf.input({ shape: [8, 8, 3] }), tf.input({ shape: [6] })])).toThrow(
      `theta must have shape [B,${6 + D}] (6 + D, D = ${D}), but got [null,6]`,
    );
    expect(() => layer.apply(tf.input({ shape: [8, 8, 3] }))).toThrow('expects two inputs');
    tf.tidy(() => {
      expect(() => layer.apply([tf.zeros([2, 8, 8, 3]), tf.zeros([3, 6 + D])])).toThrow(ShapeError);
    });
  });

  it('does not grow the tensor count over repeated calls and gradient steps', () => {
    const layer = morphableModelSTN({ gridModel: g, visibility: 'zbuffer' });
    const img = tf.tensor4d(smoothImage(2, 3), [2, H, W, C]);
    const theta = tf.tensor2d([0, 1].map(() => randomTheta(rng(2))));
    tf.dispose(layer.apply([img, theta]) as tf.Tensor[]); // build
    const before = tf.memory().numTensors;
    for (let k = 0; k < 10; k++) tf.dispose(layer.apply([img, theta]) as tf.Tensor[]);
    // Few gradient steps: the cpu backend's UnsortedSegmentSum (image gradient) is O(segments · n).
    for (let k = 0; k < 3; k++) {
      const g2 = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
        tf.sum((layer.apply([a, t]) as tf.Tensor[])[0]),
      )([img, theta]);
      tf.dispose(g2);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([img, theta]);
    layer.dispose();
  });
});

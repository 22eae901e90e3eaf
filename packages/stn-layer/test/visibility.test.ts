import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@3dmm-stn/morphable-model';
import '../src/register_all_kernels'; // deep imports of the ops: register as index.ts does
import { beforeAll, describe, expect, it } from 'vitest';
import { visibilityMask } from '../src/visibility/visibility_mask';
import { facingCameraData, vertexNormalZ, vertexNormalZData } from '../src/visibility/normals';
import { buildVisibilityTopology } from '../src/visibility/topology';
import { unoccludedVertices } from '../src/visibility/occlusion';
import {
  capGridModel,
  gaussian,
  morph,
  referenceNormalZ,
  referenceUnoccluded,
  ridgeGrid,
  rng,
  rotate,
} from './layer.helpers';
import { BACKENDS, useBackend } from './layer.backends';

/** The mask by both implementations (tfjs ops and typed arrays); they must agree on these meshes. */
const maskOf = (
  xyz: ArrayLike<number>,
  grid: Parameters<typeof visibilityMask>[1],
  method?: 'normals' | 'zbuffer',
) =>
  tf.tidy(() => {
    const n = grid.res * grid.res;
    const [a, b] = (['tensor', 'host'] as const).map((implementation) =>
      visibilityMask(tf.tensor3d(Float32Array.from(xyz), [1, n, 3]), grid, {
        method,
        implementation,
      })
        .dataSync()
        .slice(),
    );
    expect(Array.from(b)).toEqual(Array.from(a));
    return a;
  });

describe.each(BACKENDS)('visibilityMask on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('frontal convex cap: every valid point visible, invalid points masked, shape [B,res,res,1]', () => {
    const g = capGridModel(24);
    const out = tf.tidy(() => {
      const x = tf.tensor3d(g.mean, [1, 24 * 24, 3]);
      const m = visibilityMask(tf.concat([x, x]) as tf.Tensor3D, g);
      expect(m.shape).toEqual([2, 24, 24, 1]);
      return m.dataSync().slice();
    });
    for (let b = 0; b < 2; b++)
      for (let v = 0; v < 576; v++) expect(out[b * 576 + v]).toBe(g.valid[v]);
    const z = maskOf(g.mean, g, 'zbuffer');
    for (let v = 0; v < 576; v++) expect(z[v]).toBe(g.valid[v]);
  });

  it('cap turned 90° about +y: the +x half (subject’s left) is hidden, the −x half visible', () => {
    const res = 31;
    const g = capGridModel(res);
    const xr = rotate(g.mean, [0, Math.PI / 2, 0]); // z' = −x
    for (const method of ['normals', 'zbuffer'] as const) {
      const m = maskOf(xr, g, method);
      let visible = 0;
      let valid = 0;
      for (let v = 0; v < res * res; v++) {
        if (!g.valid[v]) {
          expect(m[v]).toBe(0);
          continue;
        }
        valid++;
        visible += m[v];
        const x = g.mean[3 * v];
        // Away from the centre column the sign of the (discrete) normal is the sign of −x.
        if (Math.abs(x) > 4) expect(m[v], `${method} vertex ${v} x=${x}`).toBe(x < 0 ? 1 : 0);
      }
      const centre = Array.from(g.valid).filter((f, v) => f && Math.abs(g.mean[3 * v]) <= 4).length;
      expect(Math.abs(visible - (valid - centre) / 2)).toBeLessThanOrEqual(centre);
    }
  });

  it('n_z matches a float64 acos-based reference on perturbed meshes at random poses', () => {
    const g = capGridModel(20, { numShapeModes: 3, numExpressionModes: 0, seed: 7 });
    const rand = rng(11);
    const n = 400;
    const seen = [0, 0]; // valid vertices facing away / towards: both occur, so silhouettes are tested
    for (let trial = 0; trial < 4; trial++) {
      const alpha = [0, 1, 2].map(() => 3 * gaussian(rand));
      const r = [0, 1, 2].map(() => 1.2 * gaussian(rand));
      const xr = rotate(morph(g.mean, g.basis, alpha), r);
      const ref = referenceNormalZ(xr, g.triangles, n);
      const topo = buildVisibilityTopology(g);
      const got = tf.tidy(() =>
        vertexNormalZ(tf.tensor3d(Float32Array.from(xr), [1, n, 3]), {
          triangles: tf.tensor2d(topo.triangles, [topo.numTriangles, 3], 'int32'),
          vertexCorners: tf.tensor2d(topo.vertexCorners, [n, topo.maxCorners], 'int32'),
        })
          .dataSync()
          .slice(),
      );
      const host = vertexNormalZData(Float32Array.from(xr), 1, n, topo.triangles);
      const facing = facingCameraData(Float32Array.from(xr), 1, n, topo.triangles);

      const m = maskOf(xr, g);
      for (let v = 0; v < n; v++) {
        expect(Math.abs(got[v] - ref[v])).toBeLessThan(1e-4 * (1 + Math.abs(ref[v])));
        expect(Math.abs(host[v] - ref[v])).toBeLessThan(1e-5 * (1 + Math.abs(ref[v])));
        // The shortcut gives exactly the sign of the full float64 sum.
        expect(facing[v]).toBe(host[v] >= 0 ? 1 : 0);
        if (g.valid[v]) seen[facing[v]]++;
        if (Math.abs(ref[v]) > 1e-4) expect(m[v]).toBe(g.valid[v] && ref[v] >= 0 ? 1 : 0);
      }
    }
    expect(Math.min(...seen)).toBeGreaterThan(20);
  });

  it('zbuffer: a ridge occludes front-facing points behind it; equals normals ∧ brute-force depth test', () => {
    const grid = ridgeGrid(25);
    const n = 625;
    for (const yaw of [0.7, -0.9, 1.2]) {
      const xr = rotate(grid.xyz, [0.1, yaw, 0]);
      const zb = maskOf(xr, grid, 'zbuffer');
      const nm = maskOf(xr, grid, 'normals');
      const open = referenceUnoccluded(xr, grid.triangles, grid.valid, 1e-5 * 100);
      const nzRef = referenceNormalZ(xr, grid.triangles, n);
      let occludedFrontFacing = 0;
      for (let v = 0; v < n; v++) {
        expect(zb[v]).toBe(nzRef[v] >= 0 && open[v] ? 1 : 0);
        if (nm[v] === 1 && zb[v] === 0) occludedFrontFacing++;
      }
      // The flat floor behind the ridge faces the camera but is hidden: the depth test matters.
      expect(occludedFrontFacing).toBeGreaterThan(10);
    }
  });

  it('binned depth test equals the brute force on random batches of meshes', () => {
    const g = capGridModel(16, { numShapeModes: 2, numExpressionModes: 1, seed: 3 });
    const rand = rng(5);
    const batch = 3;
    const xyz = new Float32Array(batch * 256 * 3);
    const xs: Float64Array[] = [];
    for (let b = 0; b < batch; b++) {
      const x = rotate(
        morph(
          g.mean,
          g.basis,
          [0, 1, 2].map(() => 8 * gaussian(rand)),
        ),
        [0, 2.5 * (rand() - 0.5), 0],
      );
      xs.push(x);
      xyz.set(x, b * 768);
    }
    const got = unoccludedVertices(xyz, batch, Int32Array.from(g.triangles), g.valid);
    let hidden = 0;
    for (let b = 0; b < batch; b++) {
      const ref = referenceUnoccluded(Float32Array.from(xs[b]), g.triangles, g.valid, 1e-5 * 160);
      for (let v = 0; v < 256; v++) {
        expect(got[b * 256 + v]).toBe(ref[v]);
        hidden += g.valid[v] - ref[v];
      }
    }
    expect(hidden).toBeGreaterThan(0); // the poses do hide part of the cap
  });

  it('passes no gradient: d/dXrot of a loss through the mask is exactly zero', () => {
    const g = capGridModel(12);
    const x = tf.tensor3d(g.mean, [1, 144, 3]);
    const w = tf.randomNormal([1, 12, 12, 1], 0, 1, 'float32', 1);
    for (const [method, implementation] of [
      ['normals', 'tensor'],
      ['zbuffer', 'tensor'],
      ['normals', 'host'],
      ['zbuffer', 'host'],
    ] as const) {
      // loss = Σ w·mask(X) + Σ X: its gradient is exactly 1 everywhere if the mask passes none.
      const dx = tf.grad((xr: tf.Tensor) =>
        tf.add(
          tf.sum(tf.mul(w, visibilityMask(xr as tf.Tensor3D, g, { method, implementation }))),
          tf.sum(xr),
        ),
      )(x);
      expect(Array.from(dx.dataSync()).every((d) => d === 1)).toBe(true);
      expect(dx.shape).toEqual([1, 144, 3]);
      dx.dispose();
    }
    tf.dispose([x, w]);
  });

  it('rejects bad arguments with messages that name the problem', () => {
    const g = capGridModel(8);
    const x = tf.zeros([1, 64, 3]) as tf.Tensor3D;
    expect(() => visibilityMask(tf.zeros([1, 63, 3]) as tf.Tensor3D, g)).toThrow(
      'Error in visibilityMask: Xrot must have shape [B,64,3], but got [1,63,3].',
    );
    expect(() => visibilityMask(x, g, { method: 'raycast' as 'zbuffer' })).toThrow(
      "visibility method must be one of 'normals', 'zbuffer', but got \"raycast\"",
    );
    expect(() => visibilityMask(x, g, { implementation: 'gpu' as 'host' })).toThrow(
      "implementation must be one of 'auto', 'tensor', 'host', but got \"gpu\"",
    );
    expect(() => visibilityMask(x, { ...g, valid: new Uint8Array(10) })).toThrow(ShapeError);
    expect(() =>
      visibilityMask(x, {
        ...g,
        triangles: Uint32Array.from([g.triangles[0], g.triangles[1], 99]),
      }),
    ).toThrow('uses vertex 99, outside the 64 grid points');
    const v = g.valid.slice();
    v[g.triangles[0]] = 0;
    expect(() => visibilityMask(x, { ...g, valid: v })).toThrow('which grid.valid marks invalid');
    x.dispose();
  });

  it('does not leak tensors', () => {
    const g = capGridModel(16);
    const x = tf.tensor3d(g.mean, [1, 256, 3]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) {
      tf.dispose(visibilityMask(x, g));
      tf.dispose(visibilityMask(x, g, { method: 'zbuffer' }));
      tf.dispose(visibilityMask(x, g, { implementation: 'tensor' }));
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

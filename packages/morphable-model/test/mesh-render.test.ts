import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { render } from '../src/mesh/render';
import { rotationFromAxisAngle } from '../src/mesh/rotation';
import type { MorphableModel } from '../src/types';

const meta = { name: 'test', source: 'test', format: 'test' };

/** A flat square (±1 mm, z = 0) whose texture coordinates hit the corner texel centres. */
function squareModel(TW: number, TH: number, z = 0): MorphableModel {
  const mean = new Float32Array([-1, -1, z, 1, -1, z, 1, 1, z, -1, 1, z]);
  const u = (X: number) => (0.5 + ((TW - 1) * (X + 1)) / 2) / TW;
  const v = (Y: number) => 1 - (0.5 + ((TH - 1) * (1 - Y)) / 2) / TH;
  const texCoords = new Float32Array([u(-1), v(-1), u(1), v(-1), u(1), v(1), u(-1), v(1)]);
  return {
    numVertices: 4,
    mean,
    shape: { numModes: 1, basis: new Float32Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]) },
    triangles: new Uint32Array([0, 1, 2, 0, 2, 3]),
    texCoords,
    landmarks: Int32Array.from({ length: 68 }, (_, k) => (k < 4 ? k : -1)),
    metadata: meta,
  };
}

/** A texture linear in texel (column, row): bilinear sampling reproduces it exactly. */
function linearTexture(TW: number, TH: number) {
  const data = new Float32Array(TW * TH * 3);
  for (let i = 0; i < TH; i++) {
    for (let j = 0; j < TW; j++) {
      data.set([3 * j + 2 * i, 100 - j, 0.5 * i + 7], 3 * (i * TW + j));
    }
  }
  return { data, width: TW, height: TH, channels: 3 };
}

describe('render: analytic cases', () => {
  const TW = 16;
  const TH = 8;
  const tex = linearTexture(TW, TH);
  const model = squareModel(TW, TH);
  const W = 100;
  const H = 90;
  const s = 40;
  const t = [50, 45];
  const out = render(model, [0], { r: [0, 0, 0], t, logS: Math.log(s) }, tex, W, H, {
    background: [-1, -2, -3],
  });

  it('a flat textured square renders exactly (coverage, colour, uv, depth, face ids)', () => {
    expect(out.image).toBeInstanceOf(Float32Array);
    let covered = 0;
    let colourErr = 0;
    let uvErr = 0;
    const bad: string[] = []; // collected, not asserted per pixel: 9,000 expects are slow
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const idx = i * W + j;
        // pixel centre (j, i) ↔ model X = (j − 50)/40, Y = −(i − 45)/40; edges included
        const X = (j - t[0]) / s;
        const Y = -(i - t[1]) / s;
        const inside = Math.abs(X) <= 1 && Math.abs(Y) <= 1;
        if (!inside) {
          const bg = out.image.subarray(3 * idx, 3 * idx + 3).join(',');
          if (
            out.faceId[idx] !== -1 ||
            bg !== '-1,-2,-3' ||
            !Number.isNaN(out.depth[idx]) ||
            !Number.isNaN(out.uv[2 * idx])
          ) {
            bad.push(`background (${j}, ${i})`);
          }
          continue;
        }
        covered++;
        const fx = ((TW - 1) * (X + 1)) / 2; // texel column
        const fy = ((TH - 1) * (1 - Y)) / 2; // texel row
        colourErr = Math.max(
          colourErr,
          Math.abs(out.image[3 * idx] - (3 * fx + 2 * fy)),
          Math.abs(out.image[3 * idx + 1] - (100 - fx)),
          Math.abs(out.image[3 * idx + 2] - (0.5 * fy + 7)),
        );
        uvErr = Math.max(
          uvErr,
          Math.abs(out.uv[2 * idx] - (0.5 + fx) / TW),
          Math.abs(out.uv[2 * idx + 1] - (1 - (0.5 + fy) / TH)),
        );
        if (out.depth[idx] !== 0) bad.push(`depth (${j}, ${i})`);
        // upper-left half (above the 0–2 diagonal) is triangle 1, lower-right triangle 0
        if (X + 1e-9 < Y && out.faceId[idx] !== 1) bad.push(`face (${j}, ${i})`);
        if (X > Y + 1e-9 && out.faceId[idx] !== 0) bad.push(`face (${j}, ${i})`);
      }
    }
    expect(bad).toEqual([]);
    expect(colourErr).toBeLessThan(1e-4);
    expect(uvErr).toBeLessThan(1e-6);
    expect(covered).toBe(81 * 81);
  });

  it('landmark pixels equal the projection formula, visible when uncovered', () => {
    const X = [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ];
    X.forEach(([x, y], k) => {
      expect(out.landmarks[2 * k]).toBeCloseTo(s * x + t[0], 4);
      expect(out.landmarks[2 * k + 1]).toBeCloseTo(-s * y + t[1], 4);
      expect(out.landmarkVisible[k]).toBe(1);
    });
    expect(out.landmarks[8]).toBeNaN();
    expect(out.landmarkVisible[4]).toBe(0);
  });

  it('a Uint8 texture gives a Uint8 image; Lambert shading scales by ambient + (1 − ambient)·cos', () => {
    const bytes = { data: new Uint8Array(4 * 4 * 3).fill(200), width: 4, height: 4, channels: 3 };
    const sq = squareModel(4, 4);
    const lit = render(sq, [0], { r: [0, 0, 0], t: [10, 10], logS: Math.log(4) }, bytes, 20, 20, {
      light: { direction: [0, Math.sqrt(3), 1], ambient: 0.2 }, // 60° from the normal
    });
    expect(lit.image).toBeInstanceOf(Uint8Array);
    expect(lit.image[3 * (10 * 20 + 10)]).toBe(Math.round(200 * (0.2 + 0.8 * 0.5)));
    const flat = render(sq, [0], { r: [0, 0, 0], t: [10, 10], logS: Math.log(4) }, bytes, 20, 20);
    expect(flat.image[3 * (10 * 20 + 10)]).toBe(200);
    expect(flat.image[0]).toBe(0); // default background black
  });

  it('the nearer of two overlapping triangles wins, whatever their order', () => {
    // Two squares: A at z = 0 (texture value 10), B at z = 5 (value 20), B shifted right.
    const a = squareModel(1, 1, 0);
    const both = (first: 'A' | 'B'): MorphableModel => {
      const mean = new Float32Array(24);
      mean.set(a.mean, first === 'A' ? 0 : 12);
      mean.set(
        a.mean.map((c, k) => (k % 3 === 0 ? c + 1 : k % 3 === 2 ? 5 : c)),
        first === 'A' ? 12 : 0,
      );
      const texCoords = new Float32Array(16);
      // A samples u < 0.5 of a 2×1 texture (value 10), B u > 0.5 (value 20).
      texCoords.set([0.1, 0.5, 0.1, 0.5, 0.1, 0.5, 0.1, 0.5], first === 'A' ? 0 : 8);
      texCoords.set([0.9, 0.5, 0.9, 0.5, 0.9, 0.5, 0.9, 0.5], first === 'A' ? 8 : 0);
      return {
        ...a,
        numVertices: 8,
        mean,
        shape: { numModes: 0, basis: new Float32Array(0) },
        texCoords,
        triangles: new Uint32Array([0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7]),
        landmarks: new Int32Array(68).fill(-1),
      };
    };
    const tex2 = {
      data: new Float32Array([10, 10, 10, 20, 20, 20]),
      width: 2,
      height: 1,
      channels: 3,
    };
    const pose = { r: [0, 0, 0], t: [30, 30], logS: Math.log(10) };
    for (const order of ['A', 'B'] as const) {
      const o = render(both(order), [], pose, tex2, 60, 60);
      // x = 0.5 mm is inside both squares: pixel (35, 30)
      expect(o.image[3 * (30 * 60 + 35)]).toBe(20);
      expect(o.depth[30 * 60 + 35]).toBe(5);
      // x = −0.5 mm is only in A
      expect(o.image[3 * (30 * 60 + 25)]).toBe(10);
      // seen from behind (yaw π, no culling) A is the nearer one in the overlap
      const back = render(both(order), [], { ...pose, r: [0, Math.PI, 0] }, tex2, 60, 60, {
        cullBackFaces: false,
      });
      expect(back.image[3 * (30 * 60 + 25)]).toBe(10); // x' = −0.5 ⇔ x = 0.5
      // culled: seen from behind nothing is drawn
      const culled = render(both(order), [], { ...pose, r: [0, Math.PI, 0] }, tex2, 60, 60);
      expect(culled.faceId.every((f) => f === -1)).toBe(true);
    }
  });

  it("projects with X' = R·X and p = exp(logS)·[x', −y'] + t, α adding the basis", () => {
    const rot = [0.3, -0.5, 0.2];
    const R = rotationFromAxisAngle(rot);
    const o = render(model, [0.7], { r: rot, t: [40, 41], logS: Math.log(12) }, tex, 90, 90);
    const X = [
      [-1, -1, 0],
      [1, -1, 0],
      [1, 1, 0.7],
      [-1, 1, 0],
    ]; // α·basis moves vertex 2 in z
    X.forEach((p, k) => {
      const x = R[0] * p[0] + R[1] * p[1] + R[2] * p[2];
      const y = R[3] * p[0] + R[4] * p[1] + R[5] * p[2];
      expect(o.landmarks[2 * k]).toBeCloseTo(12 * x + 40, 4);
      expect(o.landmarks[2 * k + 1]).toBeCloseTo(-12 * y + 41, 4);
    });
  });

  it('rejects bad arguments with messages naming them', () => {
    const pose = { r: [0, 0, 0], t: [0, 0], logS: 0 };
    expect(() => render(model, [0, 1], pose, tex, 10, 10)).toThrow(ShapeError);
    expect(() => render(model, [0, 1], pose, tex, 10, 10)).toThrow(/alpha must have shape \[1\]/);
    expect(() => render(model, [0], pose, { ...tex, channels: 2 }, 10, 10)).toThrow(
      /uvTexture must be/,
    );
    expect(() => render(model, [0], { ...pose, t: [1] }, tex, 10, 10)).toThrow(/pose must have/);
    expect(() => render({ ...model, texCoords: undefined }, [0], pose, tex, 10, 10)).toThrow(
      /no texCoords/,
    );
    expect(() =>
      render({ ...model, triangles: new Uint32Array([0, 1, 4]) }, [0], pose, tex, 10, 10),
    ).toThrow(/vertex ids < 4, but got length 3 and id 4/);
    expect(() =>
      render(
        { ...model, shape: { numModes: 1, basis: new Float32Array(11) } },
        [0],
        pose,
        tex,
        10,
        10,
      ),
    ).toThrow(/model.shape.basis must have shape \[1,4,3\], but got length 11/);
    expect(() => render(model, [0], pose, tex, 10, 10, { numShapeModes: 2 })).toThrow(
      /numShapeModes/,
    );
    expect(() =>
      render(model, [0], pose, tex, 10, 10, {
        background: { data: new Uint8Array(300), width: 10, height: 10, channels: 3 },
      }),
    ).toThrow(/background data must be a Float32Array/);
  });
});

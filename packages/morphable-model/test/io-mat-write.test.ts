import { describe, expect, it } from 'vitest';
import { encodeMat, readMat } from '../src/index';

describe('encodeMat (level-5 double matrices)', () => {
  it('round-trips through readMat: names, dims, column-major values', async () => {
    const pt = Float64Array.from({ length: 3 * 68 }, (_, i) => i / 7 - 3);
    const bytes = encodeMat({
      pt3d_68: { dims: [3, 68], data: pt },
      Pose_Para: { dims: [1, 7], data: [0.1, -1.2, 0.05, 140, 150, 0, 0.002] },
    });
    const vars = await readMat(bytes);
    const a = vars.get('pt3d_68');
    const b = vars.get('Pose_Para');
    expect(a?.kind).toBe('numeric');
    expect(b?.kind).toBe('numeric');
    if (a?.kind !== 'numeric' || b?.kind !== 'numeric') return;
    expect(a.dims).toEqual([3, 68]);
    expect(Array.from(a.data)).toEqual(Array.from(pt));
    expect(b.dims).toEqual([1, 7]);
    expect(Array.from(b.data)).toEqual([0.1, -1.2, 0.05, 140, 150, 0, 0.002]);
  });

  it('rejects a bad name or a size that does not match the dims', () => {
    expect(() => encodeMat({ '1x': { dims: [1, 1], data: [0] } })).toThrow(RangeError);
    expect(() => encodeMat({ a: { dims: [2, 2], data: [0, 1, 2] } })).toThrow(/2 × 2/);
  });
});

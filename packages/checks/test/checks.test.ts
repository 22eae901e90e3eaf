import { describe, expect, it } from 'vitest';
import { assertShape, ModelFormatError, ShapeError } from '../src/index';

describe('assertShape', () => {
  it('binds free dimensions and returns them', () => {
    expect(assertShape('op', 'x', [2, 64, 64, 3], ['B', 'H', 'W', 3])).toEqual({
      B: 2,
      H: 64,
      W: 64,
    });
  });

  it('names the op, the argument, the expected and the actual shape', () => {
    expect(() => assertShape('gridSample', 'image', [2, 64, 64], ['B', 'H', 'W', 'C'])).toThrow(
      'Error in gridSample: image must have shape [B,H,W,C], but got [2,64,64].',
    );
  });

  it('rejects a fixed size that differs', () => {
    expect(() => assertShape('op', 'x', [2, 4], ['B', 3])).toThrow(ShapeError);
  });

  it('holds a name used twice, and across calls through `bound`', () => {
    expect(() => assertShape('op', 'x', [3, 4], ['N', 'N'])).toThrow(
      'Error in op: x must have shape [N,N], but got [3,4] (N = 3 elsewhere).',
    );
    const bound = assertShape('op', 'a', [5, 2], ['B', 2]);
    expect(() => assertShape('op', 'b', [6, 10], ['B', 'D'], bound)).toThrow(
      'Error in op: b must have shape [B,D], but got [6,10] (B = 5 elsewhere).',
    );
    expect(assertShape('op', 'c', [5, 10], ['B', 'D'], bound)).toEqual({ B: 5, D: 10 });
  });
});

describe('errors', () => {
  it('ModelFormatError keeps file, field and detail', () => {
    const e = new ModelFormatError('m.bin', 'header', 'expected version 1–4');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ModelFormatError');
    expect(e.message).toBe('m.bin: header: expected version 1–4');
    expect([e.file, e.field, e.detail]).toEqual(['m.bin', 'header', 'expected version 1–4']);
  });

  it('ShapeError is an Error with its own name', () => {
    const e = new ShapeError('bad');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ShapeError');
  });
});

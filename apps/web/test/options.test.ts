import { describe, expect, it } from 'vitest';
import { PageOptionError, parsePageOptions, withOption } from '../src/options';

describe('page options from the URL', () => {
  it('defaults to wasm and the optimisation', () => {
    expect(parsePageOptions('')).toEqual({ backend: 'wasm', method: 'optimisation' });
    expect(parsePageOptions('?backend=')).toEqual({ backend: 'wasm', method: 'optimisation' });
  });

  it('reads ?backend and ?method, case-insensitive', () => {
    expect(parsePageOptions('?backend=WebGL&method=pretrained')).toEqual({
      backend: 'webgl',
      method: 'pretrained',
    });
  });

  it('rejects an unknown value, listing the valid ones', () => {
    expect(() => parsePageOptions('?backend=cuda')).toThrow(PageOptionError);
    expect(() => parsePageOptions('?backend=cuda')).toThrow(
      '?backend=cuda is not one of wasm, webgl, cpu.',
    );
    expect(() => parsePageOptions('?method=magic')).toThrow(/optimisation, pretrained/);
  });

  it('withOption keeps the other parameters', () => {
    expect(withOption('?method=pretrained', 'backend', 'webgl')).toBe(
      '?method=pretrained&backend=webgl',
    );
    expect(withOption('?backend=cpu', 'backend', 'wasm')).toBe('?backend=wasm');
  });
});

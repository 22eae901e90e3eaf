// The browser-safe entry's selectBackend, run in Node: no tfjs-node probing, no WebGL.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, selectBackend } from '../src/index';

describe('selectBackend (browser-safe entry)', () => {
  it("'auto' outside a browser is wasm → cpu and never imports tfjs-node", async () => {
    const tried: string[] = [];
    const info = await selectBackend({
      env: {},
      importModule: (pkg) => {
        tried.push(pkg);
        return import('@tensorflow/tfjs-backend-wasm');
      },
    });
    expect(info).toMatchObject({ name: 'wasm', tfBackend: 'wasm', requested: 'auto' });
    expect(info.fellBackFrom).toEqual([]);
    expect(tried).toEqual(['@tensorflow/tfjs-backend-wasm']);
    expect(tf.tidy(() => tf.matMul([[1, 2]], [[3], [4]]).dataSync()[0])).toBe(11);
  });

  it('tfjs-node requested from the browser-safe entry names the Node entry', async () => {
    const err = await selectBackend({ backend: 'tensorflow', env: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.message).toMatch(/Node-only: use selectBackend from '@3dmm-stn\/backend\/node'/);
  });

  it('webgl and webgpu are refused with the reason outside a browser', async () => {
    await expect(selectBackend({ backend: 'webgl', env: {} })).rejects.toThrow(
      /no WebGL outside a browser/,
    );
    await expect(selectBackend({ backend: 'webgpu', env: {} })).rejects.toThrow(
      /no WebGPU \(navigator\.gpu\)/,
    );
  });
});

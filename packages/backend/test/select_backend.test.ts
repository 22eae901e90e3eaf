import * as tf from '@tensorflow/tfjs';
import * as tfCore from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import {
  BackendUnavailableError,
  parseBackendRequest,
  registerWasmTrainingKernels,
  selectBackend,
} from '@3dmm-stn/backend/node';

const noEnv = {} as NodeJS.ProcessEnv;
const OUR_KERNELS = [
  'Conv2DBackpropFilter',
  'UnsortedSegmentSum',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
];

describe('selectBackend', () => {
  it('auto: skips the absent tfjs-node-gpu and tfjs-node, initialises wasm with the training kernels', async () => {
    const lines: string[] = [];
    const info = await selectBackend({ env: noEnv, log: (m) => lines.push(m) });
    expect(info).toMatchObject({
      name: 'wasm',
      tfBackend: 'wasm',
      requested: 'auto',
      source: 'default',
    });
    expect(info.fellBackFrom).toEqual([
      'tensorflow-gpu: @tensorflow/tfjs-node-gpu is not installed',
      'tensorflow: @tensorflow/tfjs-node is not installed',
    ]);
    expect(info.kernelsRegistered).toEqual(OUR_KERNELS);
    expect(tf.getBackend()).toBe('wasm');
    expect(lines.some((l) => l.includes('skipped tensorflow-gpu'))).toBe(true);
    // wasm really computes (its binary was found in node_modules).
    expect(tf.tidy(() => tf.matMul([[1, 2]], [[3], [4]]).dataSync()[0])).toBe(11);
  });

  it('STN_BACKEND overrides auto; the option (CLI flag) overrides STN_BACKEND', async () => {
    const cpu = await selectBackend({ env: { STN_BACKEND: ' CPU ' } });
    expect(cpu).toMatchObject({ name: 'cpu', tfBackend: 'cpu', requested: 'cpu', source: 'env' });
    expect(cpu.fellBackFrom).toEqual([]);
    expect(cpu.kernelsRegistered).toEqual([]);
    expect(tf.getBackend()).toBe('cpu');

    const wasm = await selectBackend({ backend: 'wasm', env: { STN_BACKEND: 'cpu' } });
    expect(wasm).toMatchObject({ name: 'wasm', requested: 'wasm', source: 'option' });
    expect(tf.getBackend()).toBe('wasm');

    const auto = await selectBackend({ env: { STN_BACKEND: 'auto' } });
    expect(auto).toMatchObject({ name: 'wasm', requested: 'auto', source: 'env' });
    // An empty variable means "not set".
    expect(await selectBackend({ env: { STN_BACKEND: '' } })).toMatchObject({ source: 'default' });
  });

  it('an explicit request for an absent tfjs-node is a clear error naming the package', async () => {
    await tf.setBackend('cpu');
    const err = await selectBackend({ backend: 'tensorflow', env: noEnv }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.backend).toBe('tensorflow');
    expect(err.message).toMatch(
      /backend 'tensorflow' was requested, but @tensorflow\/tfjs-node is not installed/,
    );
    expect(err.message).toMatch(/npm install @tensorflow\/tfjs-node@\^4\.22\.0/);

    const gpu = await selectBackend({ env: { STN_BACKEND: 'tensorflow-gpu' } }).catch((e) => e);
    expect(gpu).toBeInstanceOf(BackendUnavailableError);
    expect(gpu.message).toMatch(
      /STN_BACKEND=tensorflow-gpu was requested, but @tensorflow\/tfjs-node-gpu is not installed/,
    );
    expect(gpu.message).toMatch(/npm install @tensorflow\/tfjs-node-gpu@\^4\.22\.0/);
    // Nothing changed.
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects unknown names, listing the valid ones', async () => {
    await expect(selectBackend({ env: { STN_BACKEND: 'gpu' } })).rejects.toThrow(
      "Invalid STN_BACKEND 'gpu': expected one of auto, tensorflow-gpu, tensorflow, webgpu, webgl, wasm, cpu.",
    );
    expect(() => parseBackendRequest('gpu')).toThrow(/expected one of auto, tensorflow-gpu/);
    expect(parseBackendRequest('WASM')).toBe('wasm');
  });

  it('tries tfjs-node-gpu, then tfjs-node, in that order, and reports why gpu was skipped', async () => {
    // A fake tfjs-node: registers a 'tensorflow' backend (here: the cpu backend's class) the way
    // the real package does on import. A fake tfjs-node-gpu that is installed but cannot load CUDA.
    const { MathBackendCPU } = await import('@tensorflow/tfjs-backend-cpu');
    const tried: string[] = [];
    const importModule = async (pkg: string) => {
      tried.push(pkg);
      if (pkg === '@tensorflow/tfjs-node-gpu') {
        throw new Error('libcudart.so.11.0: cannot open shared object file');
      }
      if (pkg === '@tensorflow/tfjs-node') {
        tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
        return {};
      }
      return import(pkg);
    };
    const info = await selectBackend({ env: noEnv, importModule });
    expect(tried).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(info).toMatchObject({
      name: 'tensorflow',
      tfBackend: 'tensorflow',
      kernelsRegistered: [],
    });
    expect(info.fellBackFrom).toEqual([
      'tensorflow-gpu: @tensorflow/tfjs-node-gpu failed to load: libcudart.so.11.0: cannot open shared object file',
    ]);
    // An explicit request for the broken one says so instead of "not installed".
    await expect(selectBackend({ backend: 'tensorflow-gpu', importModule })).rejects.toThrow(
      /backend 'tensorflow-gpu' was requested, but it could not be initialised: .*libcudart/,
    );
    tf.removeBackend('tensorflow');
  });

  it('is safe to import twice and to register twice; one tfjs engine', async () => {
    await selectBackend({ backend: 'wasm' });
    expect(registerWasmTrainingKernels()).toEqual(OUR_KERNELS);
    const warn = vi.spyOn(console, 'warn');
    vi.resetModules();
    const second = await import('../src/node');
    expect(second.registerWasmTrainingKernels).not.toBe(registerWasmTrainingKernels);
    // The second copy recognises the first copy's kernels as ours and does not re-register.
    expect(second.registerWasmTrainingKernels()).toEqual(OUR_KERNELS);
    expect((await second.selectBackend({ backend: 'wasm' })).kernelsRegistered).toEqual(
      OUR_KERNELS,
    );
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    // @tensorflow/tfjs and @tensorflow/tfjs-core resolve to one copy: one engine, one registry.
    expect(tfCore.engine()).toBe(tf.engine());
    expect(tfCore.getBackend()).toBe('wasm');
  });
});

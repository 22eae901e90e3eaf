/**
 * Registration discipline (tfjs's): the op modules have no side effects; `register_all_kernels`
 * registers every kernel for cpu and wasm and every gradient, without any backend loaded.
 */
import { getGradient, getKernel, serialization } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { gridSampleKernelConfigs } from '../src/ops/grid_sample_kernels';
import { morphProjectKernelConfigs } from '../src/ops/morph_project';
import { projectVerticesKernelConfigs } from '../src/ops/project_vertices_kernels';
import { rotationKernelConfigs } from '../src/ops/rotation_kernels';

const ALL = [
  ...rotationKernelConfigs,
  ...projectVerticesKernelConfigs,
  ...morphProjectKernelConfigs,
  ...gridSampleKernelConfigs,
];
const FORWARD = [
  'StnAxisAngleToRotation',
  'StnRotateVertices',
  'StnProjectVertices',
  'StnMorphProject',
  'StnGridSample',
  'StnGridSampleMasked',
];

describe('kernel registration', () => {
  it('importing the op and kernel modules registers nothing', () => {
    expect(ALL.length).toBeGreaterThan(20);
    for (const c of ALL) expect(getKernel(c.kernelName, c.backendName)).toBeUndefined();
    for (const name of FORWARD) expect(getGradient(name)).toBeUndefined();
  });

  it('register_all_kernels registers every kernel for cpu and wasm and every gradient', async () => {
    await import('../src/register_all_kernels');
    for (const c of ALL)
      expect(getKernel(c.kernelName, c.backendName)?.kernelFunc).toBe(c.kernelFunc);
    for (const backend of ['cpu', 'wasm']) {
      for (const name of FORWARD) expect(getKernel(name, backend)).toBeDefined();
    }
    for (const name of FORWARD) expect(getGradient(name)).toBeDefined();
  });

  it('the package entry also registers the layer class for loading', async () => {
    const { MorphableModelSTN } = await import('../src/index');
    const registered =
      serialization.SerializationMap.getMap().classNameMap[MorphableModelSTN.className];
    expect(registered?.[0]).toBe(MorphableModelSTN);
  });
});

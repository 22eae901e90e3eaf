import { describe, expect, it } from 'vitest';
import { memoryOf, type TensorInfoLike } from '../src/index';

/** A wasm-like backend: one growable heap; growing replaces the buffer (as wasm memory does). */
function fakeWasm() {
  let heap = new ArrayBuffer(64);
  const where = new Map<object, { off: number; n: number; dtype: string }>();
  let top = 0;
  return {
    heapBuffer: () => heap,
    makeOutput(shape: number[], dtype: string): TensorInfoLike {
      const n = shape.reduce((a, b) => a * b, 1);
      if (top + 4 * n > heap.byteLength) {
        const bigger = new ArrayBuffer(2 * (top + 4 * n));
        new Uint8Array(bigger).set(new Uint8Array(heap));
        heap = bigger; // old views now read the old buffer: they must be taken again
      }
      const dataId = {};
      where.set(dataId, { off: top, n, dtype });
      top += 4 * n;
      new Uint8Array(heap, where.get(dataId)!.off, 4 * n).fill(0xff); // garbage, like malloc
      return { dataId, shape, dtype };
    },
    typedArrayFromHeap(t: TensorInfoLike) {
      const { off, n, dtype } = where.get(t.dataId)!;
      return dtype === 'int32' ? new Int32Array(heap, off, n) : new Float32Array(heap, off, n);
    },
  };
}

describe('memoryOf', () => {
  it('wasm: zero-fills the output and hands fill views taken after the allocation', () => {
    const b = fakeWasm();
    const mem = memoryOf('wasm', b);
    const x = b.makeOutput([4], 'float32');
    b.typedArrayFromHeap(x).set([1, 2, 3, 4]);
    // 100 floats do not fit in the 64-byte heap: the allocation grows it.
    const y = mem.output([100], (out, read) => {
      expect(out.every((v) => v === 0)).toBe(true);
      const xv = read(x);
      expect(xv.buffer).toBe(b.heapBuffer());
      for (let i = 0; i < 4; i++) out[i] = 2 * xv[i];
    });
    expect(Array.from(mem.read(y).subarray(0, 5))).toEqual([2, 4, 6, 8, 0]);
  });

  it('wasm: zeroed = false leaves the buffer to fill; int32 outputs', () => {
    const b = fakeWasm();
    const mem = memoryOf('wasm', b);
    let seen = 0;
    const t = mem.output<Int32Array>(
      [3],
      (out) => {
        seen = out[0];
        out.set([7, 8, 9]);
      },
      false,
      'int32',
    );
    expect(seen).toBe(-1); // 0xffffffff: not zeroed
    expect(t.dtype).toBe('int32');
    expect(Array.from(mem.view(t))).toEqual([7, 8, 9]);
  });

  it('cpu: reads the backend values and makes a tensor info of a fresh array', () => {
    const store = new Map<object, { values: unknown }>();
    const b = {
      data: { get: (id: object) => store.get(id)! },
      makeTensorInfo(shape: number[], dtype: string, values?: unknown): TensorInfoLike {
        const dataId = {};
        store.set(dataId, { values });
        return { dataId, shape, dtype };
      },
    };
    const x = b.makeTensorInfo([2], 'float32', Float32Array.from([3, 4]));
    const mem = memoryOf('cpu', b);
    const y = mem.output([2], (out, read) => {
      out[0] = read(x)[0] + read(x)[1];
    });
    expect(Array.from(mem.read(y))).toEqual([7, 0]);
    expect(y.dtype).toBe('float32');
  });
});

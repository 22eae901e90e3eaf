import { describe, expect, it } from 'vitest';
import { BoundedQueue, prefetch } from '../src/stream';

describe('bounded prefetch', () => {
  it('never holds more than its capacity for a large listing, and keeps order', async () => {
    const listing = Array.from({ length: 100_000 }, (_, i) => `img/${i}.jpg`);
    let produced = 0;
    let consumed = 0;
    let maxInFlight = 0;
    async function* load() {
      for (const p of listing) {
        produced++;
        maxInFlight = Math.max(maxInFlight, produced - consumed);
        yield { path: p, pixels: new Float32Array(16) };
        if (produced >= 5000) return;
      }
    }
    const it = prefetch(load(), 8);
    let expected = 0;
    for await (const s of it) {
      expect(s.path).toBe(`img/${expected++}.jpg`);
      consumed++;
      if (consumed % 97 === 0) await new Promise((r) => setTimeout(r, 0)); // a slow consumer
    }
    expect(consumed).toBe(5000);
    expect(it.queue.highWater).toBeLessThanOrEqual(8);
    // queue capacity + the item being pushed + the one the consumer holds
    expect(maxInFlight).toBeLessThanOrEqual(8 + 2);
  });
  it('stops the producer when the consumer stops early', async () => {
    let produced = 0;
    async function* inf() {
      for (;;) {
        produced++;
        yield produced;
      }
    }
    const it = prefetch(inf(), 3);
    for await (const v of it) if (v >= 10) break;
    await new Promise((r) => setTimeout(r, 20));
    const after = produced;
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBe(after);
    expect(produced).toBeLessThanOrEqual(10 + 3 + 2);
  });
  it('passes a producer error to the consumer', async () => {
    async function* bad() {
      yield 1;
      throw new Error('disk gone');
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const v of prefetch(bad(), 2)) got.push(v);
      })(),
    ).rejects.toThrow('disk gone');
    expect(got).toEqual([1]);
  });
  it('rejects a bad capacity', () => {
    expect(() => new BoundedQueue(0)).toThrow(/capacity/);
  });
});

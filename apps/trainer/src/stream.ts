/**
 * Streaming with prefetch in bounded memory: a producer fills a queue of at most `capacity`
 * items while the consumer trains; the producer waits when the queue is full, so at most
 * `capacity` decoded samples (plus the one being produced) exist at once, however large the
 * dataset.
 */

/** An async FIFO with a fixed capacity: `push` waits while full, `shift` waits while empty. */
export class BoundedQueue<T> {
  private items: T[] = [];
  private waitingPush: (() => void)[] = [];
  private waitingShift: (() => void)[] = [];
  private closed = false;
  private failure: { error: unknown } | null = null;
  /** The largest size the queue has had (for tests and memory reports). */
  highWater = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`BoundedQueue: capacity must be an integer ≥ 1, got ${capacity}`);
    }
  }

  get size(): number {
    return this.items.length;
  }

  /** Add an item; resolves once there was room. Throws if the queue was closed. */
  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) {
      await new Promise<void>((resolve) => this.waitingPush.push(resolve));
    }
    if (this.closed) throw new Error('BoundedQueue: push after close');
    this.items.push(item);
    if (this.items.length > this.highWater) this.highWater = this.items.length;
    this.waitingShift.shift()?.();
  }

  /** Take the oldest item; `undefined` once closed and drained. Rethrows a producer failure. */
  async shift(): Promise<T | undefined> {
    while (this.items.length === 0) {
      if (this.failure) throw this.failure.error;
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => this.waitingShift.push(resolve));
    }
    const item = this.items.shift() as T;
    this.waitingPush.shift()?.();
    return item;
  }

  /** No more items will come; waiting consumers get `undefined` after the rest. */
  close(): void {
    this.closed = true;
    for (const w of this.waitingShift.splice(0)) w();
    for (const w of this.waitingPush.splice(0)) w();
  }

  /** The producer failed: consumers get `error` once the queue is empty. */
  fail(error: unknown): void {
    this.failure = { error };
    this.close();
  }
}

/**
 * Iterate `source` through a bounded queue filled ahead of the consumer. Returning early from the
 * consumer's loop stops the producer (the queue is closed and its `push` rejects).
 */
export function prefetch<T>(
  source: AsyncIterable<T> | Iterable<T>,
  capacity: number,
): AsyncIterableIterator<T> & { queue: BoundedQueue<T> } {
  const queue = new BoundedQueue<T>(capacity);
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    void (async () => {
      try {
        for await (const item of source as AsyncIterable<T>) {
          await queue.push(item);
        }
        queue.close();
      } catch (e) {
        if (!(e instanceof Error && e.message === 'BoundedQueue: push after close')) queue.fail(e);
      }
    })();
  };
  const it = {
    queue,
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      start();
      const v = await queue.shift();
      return v === undefined ? { done: true, value: undefined } : { done: false, value: v };
    },
    async return(): Promise<IteratorResult<T>> {
      queue.close();
      return { done: true, value: undefined };
    },
  };
  return it as AsyncIterableIterator<T> & { queue: BoundedQueue<T> };
}

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MorphableModel } from '@3dmm-stn/morphable-model';
import type { Batch } from './folder_dataset';
import type { SyntheticAssets, SyntheticOptions } from './synthetic';

/**
 * Renders synthetic batches in worker threads, so data generation runs on another core while
 * the training step runs on this one. Batches are requested `ahead` steps in advance (bounded)
 * and yielded in step order; each is exactly `SyntheticFaces.loadStep(step)` (a pure function
 * of the seed and step), so results do not depend on the number of workers.
 *
 * `SyntheticWorkerPool.create` resolves to null where workers cannot run this module (e.g. a
 * test runner that transforms TypeScript in-process); the caller then renders in-process.
 */
export class SyntheticWorkerPool {
  private next = 0;
  private pending = new Map<number, { resolve: (b: Batch) => void; reject: (e: Error) => void }>();
  private results = new Map<number, Promise<Batch>>();
  private rr = 0;

  private constructor(
    private readonly workers: Worker[],
    private readonly ahead: number,
  ) {
    for (const w of workers) {
      w.on('message', (msg: { step: number; batch?: Batch; error?: string }) => {
        const p = this.pending.get(msg.step);
        if (!p) return;
        this.pending.delete(msg.step);
        if (msg.error) p.reject(new Error(`synthetic worker: ${msg.error}`));
        else p.resolve(msg.batch as Batch);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
    }
  }

  static async create(
    model: MorphableModel,
    options: SyntheticOptions,
    count: number,
    ahead: number,
    assets: SyntheticAssets | null = null,
  ): Promise<SyntheticWorkerPool | null> {
    let here: string;
    try {
      here = fileURLToPath(import.meta.url);
    } catch {
      return null; // no module URL (e.g. a CommonJS bundle without shims)
    }
    const ext = here.endsWith('.ts') ? '.ts' : here.endsWith('.cjs') ? '.cjs' : '.js';
    // Beside this module: src/ (sources) or dist/ (tsup builds the worker as its own entry).
    const file = join(dirname(here), `synthetic_worker${ext}`);
    if (!existsSync(file) || count < 1) return null;
    // From TypeScript sources (running under tsx) the worker registers tsx itself: Node 20
    // workers do not inherit the main thread's module hooks.
    const boot =
      ext === '.ts'
        ? `import { register } from 'tsx/esm/api'; register({ tsconfig: process.env.TSX_TSCONFIG_PATH }); await import(${JSON.stringify(pathToFileURL(file).href)});`
        : null;
    if (boot && !process.env.TSX_TSCONFIG_PATH && !process.execArgv.some((a) => a.includes('tsx')))
      return null;
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const w = boot
          ? new Worker(boot, { eval: true, workerData: { model, options, assets } })
          : new Worker(file, { workerData: { model, options, assets } });
        workers.push(w);
        await new Promise<void>((resolve, reject) => {
          const onMsg = (m: { ready?: boolean }) => {
            if (m.ready) {
              w.off('message', onMsg);
              w.off('error', reject);
              resolve();
            }
          };
          w.on('message', onMsg);
          w.once('error', reject);
        });
      }
    } catch {
      await Promise.all(workers.map((w) => w.terminate()));
      return null;
    }
    return new SyntheticWorkerPool(workers, Math.max(1, ahead));
  }

  private request(step: number): Promise<Batch> {
    let p = this.results.get(step);
    if (!p) {
      const w = this.workers[this.rr++ % this.workers.length];
      p = new Promise<Batch>((resolve, reject) => this.pending.set(step, { resolve, reject }));
      this.results.set(step, p);
      w.postMessage({ step });
    }
    return p;
  }

  /** Batches from `startStep` on, at most `ahead` requested beyond the one being consumed. */
  async *batches(startStep: number): AsyncGenerator<Batch> {
    this.next = startStep;
    for (;;) {
      for (let s = this.next; s < this.next + this.ahead; s++) this.request(s);
      const b = await (this.results.get(this.next) as Promise<Batch>);
      this.results.delete(this.next);
      this.next++;
      yield b;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

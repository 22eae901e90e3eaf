/** Shared timing for the async benches: one warm-up call, then median, min and max of `runs`. */

export interface BenchRow {
  name: string;
  median: number;
  min: number;
  max: number;
  runs: number;
  note?: string;
}

export async function time(
  name: string,
  f: () => unknown,
  note: string | undefined,
  runs: number,
): Promise<BenchRow> {
  await f();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return {
    name,
    median: ts[Math.floor(ts.length / 2)],
    min: ts[0],
    max: ts[ts.length - 1],
    runs,
    note,
  };
}

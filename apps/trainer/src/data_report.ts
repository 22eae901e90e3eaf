/** Bad data seen during a run: every skipped file is counted and named (the first `keep`). */
export interface DataProblem {
  path: string;
  reason: string;
}

export class DataReport {
  /** Skipped samples (a file failing twice counts twice: each skip lost a sample). */
  skipped = 0;
  /** Distinct bad files, first `keep` kept. */
  readonly problems: DataProblem[] = [];
  private seen = new Set<string>();

  constructor(
    private readonly onProblem?: (p: DataProblem) => void,
    readonly keep = 1000,
  ) {}

  /** Record a skipped sample; each distinct path is reported once to `onProblem`. */
  add(path: string, reason: string): void {
    this.skipped++;
    if (this.seen.has(path)) return;
    this.seen.add(path);
    const p = { path, reason };
    if (this.problems.length < this.keep) this.problems.push(p);
    this.onProblem?.(p);
  }

  /** Number of distinct bad files. */
  get files(): number {
    return this.seen.size;
  }

  toJSON(): { skipped: number; files: number; problems: DataProblem[] } {
    return { skipped: this.skipped, files: this.files, problems: this.problems };
  }
}

/**
 * Where a command writes. `stdout` carries the machine-readable result (`--json`) or the
 * command's report; `stderr` carries progress, messages and errors.
 */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is an interactive terminal (progress bars only then). */
  stderrIsTTY: boolean;
  /** The stream cli-progress draws on (a TTY); absent in tests. */
  progressStream?: NodeJS.WritableStream;
}

export function processIO(): CliIO {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    progressStream: process.stderr,
  };
}

/** Collects output in memory (tests, programmatic use). */
export function memoryIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (s) => {
      out.push(s);
    },
    stderr: (s) => {
      err.push(s);
    },
    stderrIsTTY: false,
  };
}

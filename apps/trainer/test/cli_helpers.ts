import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faceApiRoot, memoryIO, runCli } from '@3dmm-stn/cli';

// The trainer's tests that check its output against the `3dmm-stn` command (the app depends on
// the library, never the other way round).

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: test access to parsed JSON output
  json: () => any;
}

/** Runs the CLI in-process with captured output. */
export async function cli(...argv: string[]): Promise<CliRun> {
  const io = memoryIO();
  const code = await runCli(argv, io);
  const stdout = io.out.join('');
  return { code, stdout, stderr: io.err.join(''), json: () => JSON.parse(stdout) };
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), '3dmm-stn-cli-'));
}

/** The face photos @vladmandic/face-api ships (`demo/sample1.jpg` … `sample6.jpg`). */
export function samplePhoto(k: number): string {
  return join(faceApiRoot(), 'demo', `sample${k}.jpg`);
}

/**
 * The machine a run or a benchmark ran on, written beside its numbers (summary.json, bench
 * output) so that a figure always says where it came from: CPU model and SIMD flags from
 * /proc/cpuinfo, cores, the load average at the start and the end, Node, the date.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** SIMD-related /proc/cpuinfo flags (what XNNPACK and a native BLAS could use). */
const SIMD_FLAGS = [
  'sse4_1',
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx512_bf16',
  'amx_tile',
  'asimd',
  'sve',
];

export interface MachineInfo {
  cpu: string;
  /** The SIMD flags of `SIMD_FLAGS` this CPU has, in that order. */
  simd: string[];
  cores: number;
  node: string;
  /** 1-minute load average. */
  load: number;
  /** ISO date and time. */
  date: string;
}

export function machineInfo(): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown';
  let flags: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? cpu;
    const f = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
    flags = f.split(/\s+/);
  } catch {
    // not Linux: the model name from os.cpus() only
  }
  return {
    cpu,
    simd: SIMD_FLAGS.filter((s) => flags.includes(s)),
    cores: cpus().length,
    node: process.version,
    load: Math.round(loadavg()[0] * 100) / 100,
    date: new Date().toISOString(),
  };
}

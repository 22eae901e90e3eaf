import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic as writeAtomic } from '@3dmm-stn/morphable-model/node';

/** The project's atomic write (temp file + fsync + rename), creating the folder first. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeAtomic(path, data);
}

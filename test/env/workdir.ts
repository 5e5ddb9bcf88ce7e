import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Creates a fresh temporary directory for one server of the environment. */
export function makeWorkDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `watchkeeper-${prefix}-`));
}

/** Removes a work directory unless WATCHKEEPER_KEEP_ENV=1 asks to keep it for debugging. */
export async function removeWorkDir(dir: string): Promise<void> {
  if (process.env.WATCHKEEPER_KEEP_ENV === '1') return;
  await rm(dir, { recursive: true, force: true });
}

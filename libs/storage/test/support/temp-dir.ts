import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh empty directory under the OS temp dir; remove it with {@link removeTempDir} after the test. */
export function makeTempDir(label = 'warren-storage'): Promise<string> {
  return mkdtemp(join(tmpdir(), `${label}-`));
}

/** Deletes a directory made by {@link makeTempDir}. */
export function removeTempDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * The file-system steps that make a local-folder commit durable: data is fsynced before it gets its
 * final name, and every directory whose entries changed is fsynced after, so a power loss leaves
 * either the old state or the new one (the same guarantee S3 gives for a completed PUT).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

/** Writes `body` to a fresh file in `tempDir`, fsynced, and returns its path. */
export async function writeSyncedTempFile(tempDir: string, body: Uint8Array): Promise<string> {
  const path = join(tempDir, `${randomUUID()}.tmp`);
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return path;
}

/** fsyncs a directory so the entries created or renamed in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return; // removed meanwhile by a concurrent delete: nothing to persist
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows, a few network file systems) refuse fsync on directories.
    if (!isErrno(error, 'EISDIR', 'EINVAL', 'EPERM', 'EBADF')) throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Creates `dir` (and its missing parents) under `root`, then fsyncs the parent of every folder it
 * created, so the new path itself is durable, not just the file later linked into it.
 */
export async function ensureDurableDir(root: string, dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  const rel = relative(dirname(firstCreated), dir);
  let current = dirname(firstCreated);
  const toSync = [current];
  for (const part of rel.split(sep)) {
    if (!part) continue;
    current = join(current, part);
    if (current !== dir) toSync.push(current);
  }
  for (const d of toSync) {
    if (relative(root, d).startsWith('..')) continue;
    await syncDir(d);
  }
}

export function isErrno(error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}

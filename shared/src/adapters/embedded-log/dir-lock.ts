/**
 * One process per data folder. The embedded log keeps its index and group coordinator in memory,
 * so a second process appending to the same files would corrupt them; the LOCK file prevents that.
 *
 * Taking the lock: a temp file holding {pid, token} is hard-linked to LOCK — link() fails with
 * EEXIST atomically, and LOCK never exists without its content.
 * Stale locks: if LOCK names a pid that is no longer running (the owner crashed or was killed),
 * the lock is taken over: LOCK is renamed away (only one contender's rename can succeed), the
 * renamed file is checked to be the stale one we inspected (else it is put back and we give up),
 * then the normal acquisition is retried. A live pid — including our own, i.e. the same folder
 * opened twice in one process — is a ConflictError. Caveat: pid reuse (a new, unrelated process
 * with the dead owner's pid) keeps the lock held; the error message says how to clear it.
 */

import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError } from '../../errors.js';

interface LockContent {
  pid: number;
  token: string;
  acquiredAt: string;
}

export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

export async function acquireDirLock(dir: string, onWarning: (message: string) => void): Promise<DirLock> {
  const path = join(dir, 'LOCK');
  const content: LockContent = { pid: process.pid, token: randomBytes(8).toString('hex'), acquiredAt: new Date().toISOString() };
  const temp = `${path}.${content.token}`;
  await writeFile(temp, JSON.stringify(content));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(temp, path);
        return { path, release: () => releaseLock(path, content.token) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readLock(path);
      if (holder === undefined) continue; // vanished between link and read: try again
      if (holder !== null && isAlive(holder.pid)) {
        throw new ConflictError(
          `data folder ${dir} is in use by process ${holder.pid} (since ${holder.acquiredAt}); the embedded log supports one process at a time. ` +
            `Stop that process, or use another data folder. If no such Lamina process exists, delete ${path}.`,
        );
      }
      await takeOverStaleLock(path, holder, onWarning);
    }
    throw new ConflictError(`could not take the lock ${path}: other processes keep taking it; retry, or check who opens ${dir}`);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** undefined: no lock file; null: unreadable content (treated as stale: we never write LOCK without content). */
async function readLock(path: string): Promise<LockContent | null | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockContent>;
    return typeof parsed.pid === 'number' && typeof parsed.token === 'string' ? (parsed as LockContent) : null;
  } catch {
    return null;
  }
}

async function takeOverStaleLock(path: string, stale: LockContent | null, onWarning: (message: string) => void): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another contender moved it first
    throw error;
  }
  const moved = await readLock(aside);
  if (stale !== null && (moved === null || moved === undefined || moved.token !== stale.token)) {
    // We moved a fresh lock that someone took after our check: give it back.
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    throw new ConflictError(`another process took the lock ${path} while this one was replacing a stale lock; retry`);
  }
  await unlink(aside).catch(() => undefined);
  onWarning(`took over the stale lock ${path}${stale ? ` of process ${stale.pid} (not running any more)` : ' (unreadable content)'}`);
}

async function releaseLock(path: string, token: string): Promise<void> {
  const holder = await readLock(path);
  if (holder && holder.token === token) await unlink(path);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

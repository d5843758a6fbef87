/**
 * ObjectStore on a local folder: one file per key, '/' in keys mapped to sub-folders.
 *
 * Atomicity comes from the file system: `put` renames an fsynced temp file over the target (readers
 * see the old file or the new one), `putIfAbsent` hard-links it (link fails with EEXIST if the name is
 * taken, so of racing creators exactly one wins). Temp files live in `<root>/.lamina-tmp/`, on the
 * same file system as the objects, which rename and link require.
 *
 * Unlike S3, a key cannot be both an object and a "folder" of other keys ('a' and 'a/b'): such a
 * put fails with ValidationError. The lake's key layout never does this.
 */
import { link, lstat, open, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { NotFoundError, ValidationError, unlessNotFound } from '../../errors.js';
import type { ByteRange, ObjectInfo, ObjectStore } from '../../ports/object-store.js';
import { ensureDurableDir, isErrno, syncDir, writeSyncedTempFile } from './durable-fs.js';
import { TEMP_DIR_NAME, assertValidKey, assertValidPrefix, keyToPath } from './key-path.js';
import { listTree } from './list-tree.js';

export interface LocalObjectStoreOptions {
  /** The folder that holds the objects; created on first write. */
  root: string;
}

const encoder = new TextEncoder();
/** A concurrent delete may remove a parent folder between our mkdir and rename: retry that window. */
const MAX_PLACE_ATTEMPTS = 5;

export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  private readonly tempDir: string;

  constructor(options: LocalObjectStoreOptions) {
    if (!options.root) throw new ValidationError('LocalObjectStore needs a root folder (options.root)');
    this.root = resolve(options.root);
    this.tempDir = join(this.root, TEMP_DIR_NAME);
  }

  localPath(key: string): string {
    assertValidKey(key);
    return keyToPath(this.root, key);
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    const path = keyToPath(this.root, key);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw notFound(key, this.root, error);
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (!range) {
        const whole = await handle.readFile();
        return new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
      }
      const start = Math.min(range.start, size);
      const end = Math.min(range.end ?? size, size);
      const out = new Uint8Array(Math.max(0, end - start));
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === out.length ? out : out.subarray(0, done);
    } catch (error) {
      if (isErrno(error, 'EISDIR')) throw notFound(key, this.root, error);
      throw error;
    } finally {
      await handle.close();
    }
  }

  tryGet(key: string): Promise<Uint8Array | undefined> {
    return unlessNotFound(this.get(key));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    try {
      const info = await lstat(keyToPath(this.root, key));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : undefined;
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
      throw error;
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    assertValidKey(key);
    const temp = await this.writeTemp(body);
    try {
      await this.place(key, (final) => rename(temp, final));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    assertValidKey(key);
    const temp = await this.writeTemp(body);
    try {
      return await this.place(key, async (final) => {
        try {
          await link(temp, final);
          return true;
        } catch (error) {
          if (!isErrno(error, 'EEXIST')) throw error;
          const existing = await lstat(final);
          if (existing.isDirectory()) throw keyIsFolder(key);
          return false;
        }
      });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async *list(prefix: string, options: { startAfter?: string } = {}): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    yield* listTree(this.root, prefix, options.startAfter);
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    const path = keyToPath(this.root, key);
    try {
      await unlink(path);
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return;
      if (isErrno(error, 'EISDIR', 'EPERM')) {
        // unlink on a folder: the key is a "folder" of other keys, not an object, so nothing to delete.
        const info = await lstat(path).catch(() => undefined);
        if (info?.isDirectory()) return;
      }
      throw error;
    }
    await syncDir(dirname(path));
    await this.pruneEmptyFolders(dirname(path));
  }

  private async writeTemp(body: Uint8Array | string): Promise<string> {
    const bytes = typeof body === 'string' ? encoder.encode(body) : body;
    await ensureDurableDir(this.root, this.tempDir);
    return writeSyncedTempFile(this.tempDir, bytes);
  }

  /** Creates the key's folder, runs the rename/link, then fsyncs the folder so the new name is durable. */
  private async place<T>(key: string, step: (final: string) => Promise<T>): Promise<T> {
    const final = keyToPath(this.root, key);
    const dir = dirname(final);
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureDurableDir(this.root, dir);
        const result = await step(final);
        await syncDir(dir);
        return result;
      } catch (error) {
        if (isErrno(error, 'ENOENT') && attempt < MAX_PLACE_ATTEMPTS) continue; // folder pruned meanwhile
        if (isErrno(error, 'ENOTDIR', 'EEXIST')) throw keyUnderObject(key);
        if (isErrno(error, 'EISDIR', 'ENOTEMPTY')) throw keyIsFolder(key);
        throw error;
      }
    }
  }

  /** Removes folders left empty by a delete, so a later key may reuse the name as an object. */
  private async pruneEmptyFolders(dir: string): Promise<void> {
    let current = dir;
    while (current !== this.root && current.startsWith(this.root)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone, or refilled): stop here
      }
      current = dirname(current);
    }
  }
}

function assertValidRange(range: ByteRange): void {
  const ok = Number.isSafeInteger(range.start) && range.start >= 0 && (range.end === undefined || (Number.isSafeInteger(range.end) && range.end >= range.start));
  if (!ok) throw new ValidationError(`invalid byte range ${JSON.stringify(range)}: need integers with 0 <= start <= end`);
}

function notFound(key: string, root: string, cause: unknown): NotFoundError {
  return new NotFoundError(`object ${JSON.stringify(key)} does not exist in local store ${root}`, { cause });
}

function keyIsFolder(key: string): ValidationError {
  return new ValidationError(`cannot write object ${JSON.stringify(key)}: other keys start with "${key}/" and the local store maps them to a folder of that name; use keys that are not a prefix-folder of other keys`);
}

function keyUnderObject(key: string): ValidationError {
  return new ValidationError(`cannot write object ${JSON.stringify(key)}: one of its parent segments is already an object in the local store (keys 'a' and 'a/b' cannot both exist on a file system)`);
}

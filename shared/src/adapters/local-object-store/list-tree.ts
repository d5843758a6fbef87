/**
 * Lists keys under a prefix in S3's order (lexicographic by UTF-8 bytes) by walking folders.
 * Sorting a folder's entries by name is not enough: key 'a-b' sorts before 'a/b' because '-' < '/',
 * so a sub-folder sorts as its name followed by '/', which makes every folder's keys contiguous.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectInfo } from '../../ports/object-store.js';
import { isErrno } from './durable-fs.js';
import { TEMP_DIR_NAME } from './key-path.js';

interface Entry {
  name: string;
  isDir: boolean;
  /** The entry's name as it sorts among its siblings, in UTF-8 bytes. */
  sortKey: Buffer;
}

export async function* listTree(root: string, prefix: string, startAfter: string | undefined): AsyncGenerator<ObjectInfo> {
  const lastSlash = prefix.lastIndexOf('/');
  const dirKey = prefix.slice(0, lastSlash + 1); // '' or 'a/b/'
  const after = startAfter === undefined ? undefined : Buffer.from(startAfter);
  yield* walk(root, dirKey, prefix, after);
}

async function* walk(root: string, dirKey: string, prefix: string, after: Buffer | undefined): AsyncGenerator<ObjectInfo> {
  const entries = await readEntries(join(root, ...dirKey.split('/').filter(Boolean)));
  for (const entry of entries) {
    if (dirKey === '' && entry.name === TEMP_DIR_NAME) continue;
    const key = dirKey + entry.name;
    const subtreePrefix = entry.isDir ? `${key}/` : key;
    if (!overlapsPrefix(subtreePrefix, prefix, entry.isDir)) continue;
    if (after && entirelyNotAfter(subtreePrefix, entry.isDir, after)) continue;
    if (entry.isDir) {
      yield* walk(root, subtreePrefix, prefix, after);
      continue;
    }
    const info = await statFile(join(root, ...key.split('/')));
    if (info) yield { key, size: info.size, lastModified: info.mtime };
  }
}

/** Could a key at or under `candidate` start with `prefix`? */
function overlapsPrefix(candidate: string, prefix: string, isDir: boolean): boolean {
  if (candidate.startsWith(prefix)) return true;
  return isDir && prefix.startsWith(candidate);
}

/** True when every key in the subtree (or the file itself) is <= `after`, so it can be skipped. */
function entirelyNotAfter(candidate: string, isDir: boolean, after: Buffer): boolean {
  const c = Buffer.from(candidate);
  if (!isDir) return Buffer.compare(c, after) <= 0;
  // All keys in the folder start with `candidate`; they are all <= after only if after is beyond the
  // whole range, i.e. after does not start with candidate and compares greater.
  const startsWith = after.length >= c.length && after.subarray(0, c.length).equals(c);
  return !startsWith && Buffer.compare(c, after) < 0;
}

async function readEntries(dir: string): Promise<Entry[]> {
  let dirents;
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return [];
    throw error;
  }
  const entries: Entry[] = [];
  for (const d of dirents) {
    if (!d.isDirectory() && !d.isFile()) continue; // sockets, symlinks: not objects this store wrote
    entries.push({ name: d.name, isDir: d.isDirectory(), sortKey: Buffer.from(d.isDirectory() ? `${d.name}/` : d.name) });
  }
  entries.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  return entries;
}

async function statFile(path: string) {
  try {
    const info = await stat(path);
    return info.isFile() ? info : undefined;
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined; // deleted while listing
    throw error;
  }
}

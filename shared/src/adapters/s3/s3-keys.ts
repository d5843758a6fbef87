/**
 * Key rules for the S3 adapter. S3 itself accepts almost any key, but the ObjectStore port promises
 * the same key space everywhere, so keys the local adapter would refuse as ambiguous ('a//b', 'a/./b',
 * '/abs') are refused here too: code that works on S3 then also works on a local folder.
 */
import { ValidationError } from '../../errors.js';

/** S3's limit on a key, in UTF-8 bytes, store prefix included. */
const MAX_KEY_BYTES = 1024;

export function assertValidKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new ValidationError(`invalid object key ${JSON.stringify(key)}: ${problem}`, [problem]);
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'keys must be non-empty strings';
  if (key.startsWith('/')) return "keys must not start with '/' (they are relative to the store root)";
  if (key.includes('\0')) return 'keys must not contain NUL characters';
  const segments = key.split('/');
  if (segments.some((s) => s.length === 0)) return "keys must not have empty segments ('//' or a trailing '/')";
  if (segments.some((s) => s === '..' || s === '.')) return "keys must not contain '.' or '..' segments";
  return undefined;
}

/** A list prefix may end anywhere, even inside a segment; its complete segments follow the key rules. */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new ValidationError(`invalid list prefix ${JSON.stringify(prefix)}: must be a string ('' lists everything)`);
  const lastSlash = prefix.lastIndexOf('/');
  if (lastSlash >= 0) assertValidKey(lastSlash === 0 ? prefix : prefix.slice(0, lastSlash));
  if (prefix.includes('\0')) assertValidKey(prefix);
}

/**
 * Normalises the store's `prefix` option to '' or 'segment/…/' so that keys join with a plain
 * concatenation and 'run-1' never captures the keys of 'run-10'.
 */
export function normalizeStorePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '';
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const problem = keyProblem(trimmed);
  if (problem) throw new ValidationError(`invalid S3 store prefix ${JSON.stringify(prefix)}: ${problem}`, [problem]);
  return `${trimmed}/`;
}

/** The full S3 key for a store key, refusing keys S3 would reject for their length. */
export function toS3Key(storePrefix: string, key: string): string {
  const full = storePrefix + key;
  if (Buffer.byteLength(full) > MAX_KEY_BYTES) {
    throw new ValidationError(`object key ${JSON.stringify(key)} is too long for S3: with the store prefix it has ${Buffer.byteLength(full)} UTF-8 bytes, the limit is ${MAX_KEY_BYTES}`);
  }
  return full;
}

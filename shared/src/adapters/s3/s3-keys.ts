/** Key rules for the S3 adapter: the port's key space (ports/object-key.ts) plus S3's length limit. */
import { ValidationError } from '../../errors.js';
import { assertValidPrefixWith, objectKeyProblem, throwKeyProblem } from '../../ports/object-key.js';

/** S3's limit on a key, in UTF-8 bytes, store prefix included. */
const MAX_KEY_BYTES = 1024;

export function assertValidKey(key: string): void {
  throwKeyProblem(key, objectKeyProblem(key));
}

export function assertValidPrefix(prefix: string): void {
  assertValidPrefixWith(prefix, assertValidKey);
}

/**
 * Normalises the store's `prefix` option to '' or 'segment/…/' so that keys join with a plain
 * concatenation and 'run-1' never captures the keys of 'run-10'.
 */
export function normalizeStorePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '';
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const problem = objectKeyProblem(trimmed);
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

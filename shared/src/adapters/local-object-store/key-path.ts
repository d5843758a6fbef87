/**
 * Maps object keys to file paths. Keys are validated before they touch the file system, so a key
 * can never escape the root folder or alias another key ('a//b', 'a/./b').
 */
import { join } from 'node:path';
import { assertValidPrefixWith, objectKeyProblem, throwKeyProblem } from '../../ports/object-key.js';

/** First path segment reserved for in-flight temp files; never a key, never listed. */
export const TEMP_DIR_NAME = '.lamina-tmp';

/** Throws ValidationError unless `key` is a well-formed object key that a folder can hold. */
export function assertValidKey(key: string): void {
  throwKeyProblem(key, objectKeyProblem(key) ?? localProblem(key));
}

function localProblem(key: string): string | undefined {
  if (key.includes('\\')) return "keys must not contain '\\' (the local store maps '/' to folders; a backslash would be ambiguous on Windows)";
  if (key.split('/')[0] === TEMP_DIR_NAME) return `the first segment '${TEMP_DIR_NAME}' is reserved for the store's temp files`;
  return undefined;
}

/**
 * A list prefix may end anywhere (inside a segment, or with '/'): its complete segments follow the
 * key rules, its unfinished last segment only filters names, so '.' there is fine ('.h' matches '.hidden').
 */
export function assertValidPrefix(prefix: string): void {
  assertValidPrefixWith(prefix, assertValidKey);
}

export function keyToPath(root: string, key: string): string {
  return join(root, ...key.split('/'));
}

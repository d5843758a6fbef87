/**
 * Maps object keys to file paths. Keys are validated before they touch the file system, so a key
 * can never escape the root folder or alias another key ('a//b', 'a/./b').
 */
import { join } from 'node:path';
import { ValidationError } from '../../errors.js';

/** First path segment reserved for in-flight temp files; never a key, never listed. */
export const TEMP_DIR_NAME = '.lamina-tmp';

/** Throws ValidationError unless `key` is a well-formed object key. */
export function assertValidKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new ValidationError(`invalid object key ${JSON.stringify(key)}: ${problem}`, [problem]);
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'keys must be non-empty strings';
  if (key.startsWith('/')) return "keys must not start with '/' (they are relative to the store root)";
  if (key.includes('\0')) return 'keys must not contain NUL characters';
  if (key.includes('\\')) return "keys must not contain '\\' (the local store maps '/' to folders; a backslash would be ambiguous on Windows)";
  const segments = key.split('/');
  if (segments.some((s) => s.length === 0)) return "keys must not have empty segments ('//' or a trailing '/')";
  if (segments.some((s) => s === '..' || s === '.')) return "keys must not contain '.' or '..' segments";
  if (segments[0] === TEMP_DIR_NAME) return `the first segment '${TEMP_DIR_NAME}' is reserved for the store's temp files`;
  return undefined;
}

/**
 * A list prefix may end anywhere (inside a segment, or with '/'): its complete segments follow the
 * key rules, its unfinished last segment only filters names, so '.' there is fine ('.h' matches '.hidden').
 */
export function assertValidPrefix(prefix: string): void {
  const lastSlash = prefix.lastIndexOf('/');
  if (lastSlash >= 0) {
    const complete = prefix.slice(0, lastSlash);
    if (complete.length === 0) assertValidKey(prefix);
    else assertValidKey(complete);
  }
  if (prefix.includes('\0')) assertValidKey(prefix);
}

export function keyToPath(root: string, key: string): string {
  return join(root, ...key.split('/'));
}

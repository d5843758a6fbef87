/**
 * The key space the ObjectStore port promises on every adapter. S3 itself accepts almost any key,
 * but keys a folder cannot represent unambiguously ('a//b', 'a/./b', '/abs') are refused everywhere,
 * so code that works on one adapter works on the others.
 */
import { ValidationError } from '../errors.js';

/** Why `key` breaks the port's rules, or undefined; adapters add their own limits on top. */
export function objectKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'keys must be non-empty strings';
  if (key.startsWith('/')) return "keys must not start with '/' (they are relative to the store root)";
  if (key.includes('\0')) return 'keys must not contain NUL characters';
  const segments = key.split('/');
  if (segments.some((s) => s.length === 0)) return "keys must not have empty segments ('//' or a trailing '/')";
  if (segments.some((s) => s === '..' || s === '.')) return "keys must not contain '.' or '..' segments";
  return undefined;
}

export function throwKeyProblem(key: string, problem: string | undefined): void {
  if (problem) throw new ValidationError(`invalid object key ${JSON.stringify(key)}: ${problem}`, [problem]);
}

/** A list prefix may end anywhere, even inside a segment; its complete segments follow the key rules. */
export function assertValidPrefixWith(prefix: string, assertKey: (key: string) => void): void {
  if (typeof prefix !== 'string') throw new ValidationError(`invalid list prefix ${JSON.stringify(prefix)}: must be a string ('' lists everything)`);
  const lastSlash = prefix.lastIndexOf('/');
  if (lastSlash >= 0) assertKey(lastSlash === 0 ? prefix : prefix.slice(0, lastSlash));
  if (prefix.includes('\0')) assertKey(prefix);
}

/**
 * Page cursors: the position after the last row of a page in the answer's order. Opaque to clients
 * (base64url), checked on the way in. Pages of one generation are stable; when new events arrive
 * between two pages, rows may shift by as many places as groups were added before the cursor.
 */
import { ValidationError } from '@lamina/shared';

export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown };
    if (Number.isSafeInteger(o) && (o as number) >= 0) return o as number;
  } catch {
    // falls through to the error below
  }
  throw new ValidationError(`'after' is not a cursor this API returned (${cursor.slice(0, 40)}); pass a nextCursor unchanged`);
}

/**
 * Read-your-writes: an ingest answer carries a token naming where its events went (the log epoch and,
 * per partition, the offset after the last one); a query passed the token answers only once it covers
 * them. Opaque to clients (base64url), checked on the way in.
 */
import { ValidationError } from '../errors.js';
import type { RecordPosition } from '../ports/event-log.js';

export interface IngestToken {
  epoch: number;
  /** Partition -> offset after the last event of the request on it. */
  offsets: Record<number, number>;
}

export function ingestToken(epoch: number, positions: readonly RecordPosition[]): string {
  const offsets: Record<number, number> = {};
  for (const { partition, offset } of positions) offsets[partition] = Math.max(offsets[partition] ?? 0, offset + 1);
  return Buffer.from(JSON.stringify({ e: epoch, o: offsets })).toString('base64url');
}

export function parseIngestToken(token: string): IngestToken {
  try {
    const { e, o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { e?: unknown; o?: unknown };
    if (Number.isSafeInteger(e) && o !== null && typeof o === 'object' && Object.entries(o).every(([p, v]) => Number.isSafeInteger(Number(p)) && Number.isSafeInteger(v))) {
      return { epoch: e as number, offsets: o as Record<number, number> };
    }
  } catch {
    // falls through to the error below
  }
  throw new ValidationError(`'consistentWith' is not a token an ingest answer returned (${token.slice(0, 40)}); pass it unchanged`);
}

/**
 * Deduplication by event id (config `deduplication.window`): within one log partition, events of one
 * type with the same id whose event times share a UTC hour or day are one event, and the first in log
 * order (epoch, offset) is the one counted. The batch SQL ranks rows by that order per
 * (_partition, _id, window bucket of _ts) within each raw table and keeps rank 1 (view-sql.ts); the
 * speed fold keeps the keys it has folded and the keys the generation's lake rows hold
 * (speed-layer generation-state.ts, lake-keys.ts). Both use the key below, so they agree on every
 * event; the speed layer holds it taken apart (type, date, partition and bucket as map keys, then the
 * id), since the whole string costs several times the id.
 */
import type { LaminaConfig } from '../config/schema.js';
import { bucketStart } from '../views/time-buckets.js';

export type DedupWindow = 'hour' | 'day';

export function dedupWindowOf(config: LaminaConfig): DedupWindow | null {
  const window = config.deduplication.window;
  return window === 'off' ? null : window;
}

/** The identity of an event within its partition: type, id and the window bucket of its event time. */
export function duplicateKey(type: string, id: string, ts: number, window: DedupWindow): string {
  return `${type}\u0000${id}\u0000${bucketStart(ts, window)}`;
}

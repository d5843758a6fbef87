/**
 * Records packed for a thread boundary: the values copied once into one buffer and the numbers into
 * typed arrays, all of which move (are transferred) instead of being cloned. Cloning the records as
 * they are would copy, per record, the whole buffer its value is a view of (a group of up to a MiB).
 */
import type { TransferListItem } from 'node:worker_threads';
import type { LogRecord } from '../../ports/event-log.js';

export interface PackedRecords {
  partitions: Int32Array;
  offsets: Float64Array;
  timestamps: Float64Array;
  keys: (string | null)[];
  /** Where each value ends in `values`; the first starts at 0. */
  ends: Uint32Array;
  values: Uint8Array;
}

export function packRecords(records: readonly LogRecord[]): { packed: PackedRecords; transfer: TransferListItem[] } {
  const n = records.length;
  const partitions = new Int32Array(n);
  const offsets = new Float64Array(n);
  const timestamps = new Float64Array(n);
  const keys = new Array<string | null>(n);
  const ends = new Uint32Array(n);
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += records[i]!.value.length;
  const values = new Uint8Array(bytes);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const record = records[i]!;
    partitions[i] = record.partition;
    offsets[i] = record.offset;
    timestamps[i] = record.timestamp;
    keys[i] = record.key;
    values.set(record.value, at);
    at += record.value.length;
    ends[i] = at;
  }
  return { packed: { partitions, offsets, timestamps, keys, ends, values }, transfer: [partitions.buffer, offsets.buffer, timestamps.buffer, ends.buffer, values.buffer] };
}

/** The records again, each value a view of the one received buffer. */
export function unpackRecords({ partitions, offsets, timestamps, keys, ends, values }: PackedRecords): LogRecord[] {
  const records = new Array<LogRecord>(offsets.length);
  let start = 0;
  for (let i = 0; i < offsets.length; i++) {
    const end = ends[i]!;
    records[i] = { partition: partitions[i]!, offset: offsets[i]!, key: keys[i]!, value: values.subarray(start, end), timestamp: timestamps[i]! };
    start = end;
  }
  return records;
}

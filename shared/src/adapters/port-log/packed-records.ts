/**
 * Records packed for a thread boundary, in buffers that move (are transferred) instead of being
 * cloned: the embedded log's frames as it wrote them, copied once (the receiver decodes them), or
 * any other log's records with their values copied into one buffer and their numbers into typed
 * arrays. Cloning records as they are would copy, per record, the whole buffer its value is a view of.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { LogRecord } from '../../ports/event-log.js';
import { decodeFrames, type FrameRun } from '../embedded-log/frame-run.js';

export type CrossingRecords = { frames: FrameRun } | { records: PackedRecords };

/** Records ready to cross: what to post, and the buffers that move with it. */
export interface PackedForThread {
  packed: CrossingRecords;
  transfer: TransferListItem[];
}

/** The embedded log's frames, to move: the receiver decodes them. */
export function packFrames(run: FrameRun): PackedForThread {
  // A run read from the file has a buffer of its own, used by nobody after this: it moves as it is.
  // Else it may be a view of a group the log still holds: its own bytes are copied.
  const own = run.readFrom !== undefined && run.bytes.byteOffset === 0 && run.bytes.byteLength === run.bytes.buffer.byteLength;
  const frames: FrameRun = own ? run : { ...run, bytes: new Uint8Array(run.bytes) };
  return { packed: { frames }, transfer: [frames.bytes.buffer as ArrayBuffer] };
}

/** The records again, each value a view of the one received buffer. */
export function unpackFromThread(packed: CrossingRecords): LogRecord[] {
  return 'frames' in packed ? decodeFrames(packed.frames) : unpackRecords(packed.records);
}

interface PackedRecords {
  partitions: Int32Array;
  offsets: Float64Array;
  timestamps: Float64Array;
  keys: (string | null)[];
  /** Where each value ends in `values`; the first starts at 0. */
  ends: Uint32Array;
  values: Uint8Array;
}

/** Any other log's records, to move: values in one buffer, numbers in typed arrays. */
export function packRecords(records: readonly LogRecord[]): PackedForThread {
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
  return { packed: { records: { partitions, offsets, timestamps, keys, ends, values } }, transfer: [partitions.buffer, offsets.buffer, timestamps.buffer, ends.buffer, values.buffer] };
}

function unpackRecords({ partitions, offsets, timestamps, keys, ends, values }: PackedRecords): LogRecord[] {
  const records = new Array<LogRecord>(offsets.length);
  let start = 0;
  for (let i = 0; i < offsets.length; i++) {
    const end = ends[i]!;
    records[i] = { partition: partitions[i]!, offset: offsets[i]!, key: keys[i]!, value: values.subarray(start, end), timestamp: timestamps[i]! };
    start = end;
  }
  return records;
}

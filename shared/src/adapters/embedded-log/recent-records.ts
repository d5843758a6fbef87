/**
 * A partition's newest durable records, kept in memory as they were appended: consumers that keep
 * up (the speed fold, the archiver when it is not behind) read them from here instead of reading,
 * checksumming and decoding the file again.
 *
 * Bounded by count and by the bytes of keys and values; the oldest records go first. Only what was
 * appended since the log was opened is here, so after a restart everything is read from the file.
 */
import type { LogRecord } from '../../ports/event-log.js';

const RECENT_RECORDS = 4096;
const RECENT_BYTES = 4 * 1024 * 1024;

export class RecentRecords {
  private readonly ring: (LogRecord | undefined)[];
  private readonly sizes: Float64Array;
  private start: number;
  private end: number;
  private bytes = 0;

  /** Holds nothing until the append of offset `endOffset`. */
  constructor(endOffset: number, private readonly capacity = RECENT_RECORDS, private readonly maxBytes = RECENT_BYTES) {
    this.ring = new Array<LogRecord | undefined>(capacity);
    this.sizes = new Float64Array(capacity);
    this.start = endOffset;
    this.end = endOffset;
  }

  /** Adds the next record (its offset must be the one after the newest held); `size` is its key and value bytes. */
  push(record: LogRecord, size: number): void {
    if (record.offset !== this.end) throw new Error(`RecentRecords: offset ${record.offset} appended after ${this.end - 1}`);
    if (size > this.maxBytes) {
      // Too big to hold: nothing before it can be read from here any more either (reads are contiguous).
      this.clear(record.offset + 1);
      return;
    }
    const slot = record.offset % this.capacity;
    if (this.end - this.start === this.capacity) this.dropOldest();
    this.ring[slot] = record;
    this.sizes[slot] = size;
    this.bytes += size;
    this.end++;
    while (this.bytes > this.maxBytes) this.dropOldest();
  }

  /**
   * The held records from `from` up to `to` (exclusive), stopping once `maxBytes` is reached (at least
   * one record); undefined unless `from` is held. The records are shared: callers must not change them.
   */
  read(from: number, to: number, maxBytes: number): LogRecord[] | undefined {
    if (from < this.start || from >= this.end) return undefined;
    const last = Math.min(to, this.end);
    const records: LogRecord[] = [];
    let bytes = 0;
    for (let offset = from; offset < last; offset++) {
      const slot = offset % this.capacity;
      bytes += this.sizes[slot]!;
      if (records.length > 0 && bytes > maxBytes) break;
      records.push(this.ring[slot]!);
    }
    return records;
  }

  /** Forgets every record; the next one held is the append of `endOffset`. */
  clear(endOffset: number): void {
    this.ring.fill(undefined);
    this.start = endOffset;
    this.end = endOffset;
    this.bytes = 0;
  }

  private dropOldest(): void {
    const slot = this.start % this.capacity;
    this.ring[slot] = undefined;
    this.bytes -= this.sizes[slot]!;
    this.start++;
  }
}

/**
 * One partition of the embedded log: an append-only file of framed records (see frame-codec.ts),
 * an in-memory offset -> position index, and a writer that group-commits: appends that arrive while
 * a write + fdatasync is in flight are written together by the next one, so N concurrent producers
 * pay for far fewer than N fsyncs. A record is visible (endOffset, reads, consumers) only once it is
 * durable, like Kafka's high watermark.
 */

import { open, type FileHandle } from 'node:fs/promises';
import { CorruptDataError, LaminaError, UnavailableError } from '../../errors.js';
import { readFully, writeFully } from './file-io.js';
import { encodeFrameInto, frameBytes, type FrameInput } from './frame-codec.js';
import type { FrameRun } from './frame-run.js';
import type { PositionIndex } from './position-index.js';
import { RecentGroups } from './recent-groups.js';
import { scanPartitionFile } from './scan-partition.js';

/** Upper bound on the bytes one group commit writes; a bigger backlog takes several writes. */
const MAX_GROUP_BYTES = 32 * 1024 * 1024;

export interface LogStats {
  /** write() calls that appended records (one per group commit). */
  writes: number;
  /** fdatasync() calls made by appends. */
  syncs: number;
}

export interface PartitionLogOptions {
  fsync: boolean;
  onWarning: (message: string) => void;
  stats: LogStats;
  /** "topic/partition", for messages. */
  label: string;
}

interface PendingAppend {
  inputs: FrameInput[];
  bytes: number;
  resolve: (firstOffset: number) => void;
  reject: (error: unknown) => void;
}

export class PartitionLog {
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();
  private failure: LaminaError | null = null;
  private closed = false;
  private readonly recent = new RecentGroups();

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly partition: number,
    private readonly index: PositionIndex,
    private size: number,
    private lastTimestamp: number,
    private readonly options: PartitionLogOptions,
  ) {}

  /** Opens (and scans, and if needed repairs) an existing partition file. */
  static async open(path: string, partition: number, options: PartitionLogOptions): Promise<PartitionLog> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CorruptDataError(`${options.label}: partition file ${path} is missing although the topic lists it; restore it from a backup`, { cause: error });
      }
      throw error;
    }
    try {
      const size = (await fh.stat()).size;
      const scan = await scanPartitionFile(fh, size, `${options.label} (${path})`);
      if (scan.validFrameAfterDamage !== null) {
        throw new CorruptDataError(
          `${options.label}: ${path} is damaged in the middle: the record at byte ${scan.validEnd} (offset ${scan.index.length}) fails its checksum ` +
            `but valid records follow at byte ${scan.validFrameAfterDamage}. Restore the file from a backup, or — accepting the loss of ` +
            `offsets >= ${scan.index.length} — truncate it to ${scan.validEnd} bytes.`,
        );
      }
      if (scan.validEnd < size) {
        options.onWarning(
          `${options.label}: repaired a torn tail in ${path}: cut ${size - scan.validEnd} bytes after offset ${scan.index.length - 1} ` +
            `(an unacknowledged write interrupted by a crash); end offset is ${scan.index.length}`,
        );
        await fh.truncate(scan.validEnd);
        if (options.fsync) await fh.datasync();
      }
      return new PartitionLog(fh, path, partition, scan.index, scan.validEnd, scan.lastTimestamp, options);
    } catch (error) {
      await fh.close();
      throw error;
    }
  }

  /** The offset the next record gets; every offset below it is durable. */
  get endOffset(): number {
    return this.index.length;
  }

  /** Calls `listener` (synchronously) after every durable append. Returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends the records contiguously; resolves to the first one's offset once they are durable. */
  append(inputs: FrameInput[]): Promise<number> {
    if (this.closed) return Promise.reject(closedError(this.options.label));
    if (this.failure) return Promise.reject(this.failure);
    const bytes = inputs.reduce((sum, input) => sum + frameBytes(input), 0);
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ inputs, bytes, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        let take = 1;
        let bytes = this.pending[0]!.bytes;
        while (take < this.pending.length && bytes + this.pending[take]!.bytes <= MAX_GROUP_BYTES) bytes += this.pending[take++]!.bytes;
        await this.writeGroup(this.pending.splice(0, take), bytes);
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeGroup(group: PendingAppend[], bytes: number): Promise<void> {
    if (this.failure) {
      for (const entry of group) entry.reject(this.failure);
      return;
    }
    // Wall clocks can step back; a partition's timestamps never do.
    const timestamp = Math.max(Date.now(), this.lastTimestamp);
    // A buffer of its own, never a slice of Node's shared pool: RecentGroups holds it after the write,
    // and a pool slice would keep the whole 8 KiB slab alive with whatever else it holds.
    const data = Buffer.allocUnsafeSlow(bytes);
    const positions: number[] = [];
    const firstOffsets: number[] = [];
    const first = this.index.length;
    let offset = first;
    let at = 0;
    for (const entry of group) {
      firstOffsets.push(offset);
      for (const input of entry.inputs) {
        positions.push(this.size + at);
        at += encodeFrameInto(data, at, offset++, timestamp, input);
      }
    }

    try {
      await writeFully(this.fh, data, this.size);
      this.options.stats.writes++;
      if (this.options.fsync) {
        await this.fh.datasync();
        this.options.stats.syncs++;
      }
    } catch (error) {
      const cause = error as Error;
      const rejection = new UnavailableError(`${this.options.label}: appending to ${this.path} failed (${cause.message}); the records were not stored`, { cause });
      try {
        await this.fh.truncate(this.size);
      } catch (truncateError) {
        this.failure = new CorruptDataError(
          `${this.options.label}: ${this.path} may hold a partial write that could not be removed (${(truncateError as Error).message}); close and reopen the log to repair it`,
          { cause: truncateError },
        );
      }
      for (const entry of group) entry.reject(rejection);
      return;
    }

    for (const position of positions) this.index.push(position);
    // The buffer is never written again: its frames are what readers that keep up get.
    this.recent.push({ first, end: offset, fileStart: this.size, frames: data });
    this.size += bytes;
    this.lastTimestamp = timestamp;
    group.forEach((entry, i) => entry.resolve(firstOffsets[i]!));
    for (const listener of this.listeners) listener();
  }

  /**
   * The frames of records from `from` up to `to` (exclusive, at most endOffset), stopping early once
   * `maxBytes` of frames is reached; at least one record when from < to. As written: the newest from
   * memory (RecentGroups), older ones from the file, to be verified where they are decoded
   * (decodeFrames). The bytes may be shared: callers must not change them.
   */
  async readFrames(from: number, to: number, maxBytes: number): Promise<FrameRun | undefined> {
    if (this.closed) throw closedError(this.options.label);
    to = Math.min(to, this.index.length);
    if (from >= to) return undefined;
    const start = this.index.get(from);
    const last = this.lastOffsetWithin(from, to, start + maxBytes);
    const end = this.positionOf(last);
    if (this.recent.holds(from)) return { partition: this.partition, first: from, count: last - from, bytes: this.recent.frames(from, start, end) };
    const buf = Buffer.allocUnsafeSlow(end - start);
    if (!(await readFully(this.fh, buf, buf.length, start))) {
      throw new CorruptDataError(`${this.options.label}: ${this.path} is shorter than its index says (byte ${end}); was it truncated by another program?`);
    }
    return { partition: this.partition, first: from, count: last - from, bytes: buf, readFrom: { label: this.options.label, path: this.path, fileStart: start } };
  }

  private positionOf(offset: number): number {
    return offset < this.index.length ? this.index.get(offset) : this.size;
  }

  /** The largest k in (from, to] whose records [from, k) end at or before `limit` (at least from + 1). */
  private lastOffsetWithin(from: number, to: number, limit: number): number {
    let lo = from + 1;
    let hi = to;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.positionOf(mid) <= limit) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Waits for in-flight appends, then closes the file. Later appends and reads fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    this.listeners.clear();
    this.recent.clear(); // a closed log keeps no records alive
    await this.fh.close();
  }
}

export function closedError(what: string): LaminaError {
  return new LaminaError('LOG_CLOSED', `${what}: the embedded event log is closed; open a new EmbeddedEventLog to continue`);
}

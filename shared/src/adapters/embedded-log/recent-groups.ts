/**
 * A partition's newest group commits, kept in memory as they were written (the group's frames):
 * consumers that keep up (the speed fold, the archiver when it is not behind) read them from here
 * instead of reading and checking the file again, and a run of them crosses to another thread as one
 * copy of bytes.
 *
 * Bounded by bytes and by count (small groups each hold a buffer of their own); the oldest groups go
 * first, and a group bigger than the byte bound is not held. What is held always reaches the newest
 * append. Only what was appended since the log was opened is here, so after a restart everything is
 * read from the file.
 */
const RECENT_BYTES = 4 * 1024 * 1024;
const RECENT_GROUPS = 4096;

export interface HeldGroup {
  /** Its first offset, and the one after its last. */
  first: number;
  end: number;
  /** Where its first frame starts in the partition file. */
  fileStart: number;
  frames: Buffer;
}

export class RecentGroups {
  /** Oldest first, contiguous in offsets and in file bytes; `groups[head]` is the oldest held. */
  private groups: HeldGroup[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxBytes = RECENT_BYTES,
    private readonly maxGroups = RECENT_GROUPS,
  ) {}

  /** Adds the group written next (its first offset must follow the newest held one's). */
  push(group: HeldGroup): void {
    const newest = this.groups[this.groups.length - 1];
    if (newest !== undefined && newest.end !== group.first) throw new Error(`RecentGroups: offset ${group.first} appended after ${newest.end - 1}`);
    if (group.frames.length > this.maxBytes) {
      // Too big to hold: what is held must reach the newest append, so nothing before it stays either.
      this.clear();
      return;
    }
    this.groups.push(group);
    this.bytes += group.frames.length;
    while (this.bytes > this.maxBytes || this.groups.length - this.head > this.maxGroups) this.bytes -= this.groups[this.head++]!.frames.length;
    // Dropped entries are cut off now and then, not per push (shift() would copy the array each time).
    if (this.head > this.maxGroups) {
      this.groups = this.groups.slice(this.head);
      this.head = 0;
    }
  }

  /** Whether `offset` is held: then every offset after it, up to the newest append, is held too. */
  holds(offset: number): boolean {
    // Never empty past head: eviction stops at the newest group, which fits both bounds.
    return this.groups.length > 0 && offset >= this.groups[this.head]!.first && offset < this.groups[this.groups.length - 1]!.end;
  }

  /**
   * The frames of file bytes [start, end), which begin at held offset `from`: a view of one group's
   * buffer, or one copy when they span several.
   */
  frames(from: number, start: number, end: number): Buffer {
    const parts: Buffer[] = [];
    for (let i = this.indexOf(from), at = start; at < end; i++) {
      const g = this.groups[i]!;
      const stop = Math.min(end, g.fileStart + g.frames.length);
      parts.push(g.frames.subarray(at - g.fileStart, stop - g.fileStart));
      at = stop;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, end - start);
  }

  /** Forgets every group. */
  clear(): void {
    this.groups = [];
    this.head = 0;
    this.bytes = 0;
  }

  /** The index of the held group that has `offset` (held), by binary search on the first offsets. */
  private indexOf(offset: number): number {
    let lo = this.head;
    let hi = this.groups.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.groups[mid]!.first <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

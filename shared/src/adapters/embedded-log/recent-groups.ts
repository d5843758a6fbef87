/**
 * A partition's newest group commits, kept in memory as they were written (the group's frames):
 * consumers that keep up (the speed fold, the archiver when it is not behind) read them from here
 * instead of reading and checking the file again, and a run of them crosses to another thread as one
 * copy of bytes.
 *
 * Bounded by bytes; the oldest groups go first, and a group bigger than the bound is not held. Only
 * what was appended since the log was opened is here, so after a restart everything is read from the
 * file.
 */
const RECENT_BYTES = 4 * 1024 * 1024;

export interface HeldGroup {
  /** Its first offset, and the one after its last. */
  first: number;
  end: number;
  /** Where its first frame starts in the partition file. */
  fileStart: number;
  frames: Buffer;
}

export class RecentGroups {
  /** Oldest first, contiguous in offsets. */
  private groups: HeldGroup[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes = RECENT_BYTES) {}

  /** Adds the group written next (its first offset must follow the newest held one's). */
  push(group: HeldGroup): void {
    const newest = this.groups[this.groups.length - 1];
    if (newest !== undefined && newest.end !== group.first) throw new Error(`RecentGroups: offset ${group.first} appended after ${newest.end - 1}`);
    if (group.frames.length > this.maxBytes) {
      // Too big to hold: the groups before it stay readable, but reads are contiguous, so drop them too.
      this.clear();
      return;
    }
    this.groups.push(group);
    this.bytes += group.frames.length;
    while (this.bytes > this.maxBytes) this.bytes -= this.groups.shift()!.frames.length;
  }

  /** The held group that has `offset`, or undefined. Readers that keep up ask for the newest ones. */
  groupOf(offset: number): HeldGroup | undefined {
    for (let i = this.groups.length - 1; i >= 0; i--) {
      const group = this.groups[i]!;
      if (offset >= group.end) return undefined;
      if (offset >= group.first) return group;
    }
    return undefined;
  }

  /** Forgets every group. */
  clear(): void {
    this.groups = [];
    this.bytes = 0;
  }
}

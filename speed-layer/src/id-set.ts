/**
 * A set of event ids: the deduplication state of the speed fold and of the lake keys, up to millions
 * of ids per partition and window bucket.
 *
 * Open addressing over typed arrays, with each id's 32-bit hash kept beside it. A V8 Set was 12 % of
 * the speed fold's CPU at 150k ids per partition: an absent id (nearly every one) walked a bucket
 * chain and read each entry's key to compare hashes, a cache miss apiece. Here one probe reads the
 * slot and the stored hash; the id string itself is compared only when the hashes are equal, so the
 * answer is exact whatever the hash. It also has no size limit but memory, where a Set stops at 2^24
 * entries ("RangeError: Set maximum size exceeded").
 */
const INITIAL_SLOTS = 16;

/** FNV-1a over the UTF-16 code units. */
function hashOf(id: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h;
}

/** The first slot of a hash: FNV's low bits mix poorly, so the high ones are folded in. */
function homeOf(hash: number, mask: number): number {
  return (hash ^ (hash >>> 16)) & mask;
}

export class IdSet implements Iterable<string> {
  /** Per slot, (entry number + 1, hash): 0 when empty; side by side so a probe reads one cache line. At most half full. */
  private table = new Int32Array(2 * INITIAL_SLOTS);
  private readonly ids: string[] = [];

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.slotOf(id, hashOf(id)) < 0;
  }

  add(id: string): void {
    this.addIfAbsent(id);
  }

  /** Adds the id; false if it was held already. */
  addIfAbsent(id: string): boolean {
    const hash = hashOf(id);
    const slot = this.slotOf(id, hash);
    if (slot < 0) return false;
    this.ids.push(id);
    this.table[2 * slot] = this.ids.length;
    this.table[2 * slot + 1] = hash;
    if (this.ids.length * 4 > this.table.length) this.grow();
    return true;
  }

  /** The empty slot where `id` would go, or -1 if it is held. */
  private slotOf(id: string, hash: number): number {
    const { table, ids } = this;
    const mask = table.length / 2 - 1;
    for (let slot = homeOf(hash, mask); ; slot = (slot + 1) & mask) {
      const entry = table[2 * slot]!;
      if (entry === 0) return slot;
      if (table[2 * slot + 1] === hash && ids[entry - 1] === id) return -1;
    }
  }

  private grow(): void {
    const old = this.table;
    const table = new Int32Array(2 * old.length);
    const mask = table.length / 2 - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] === 0) continue;
      let slot = homeOf(old[i + 1]!, mask);
      while (table[2 * slot] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = old[i]!;
      table[2 * slot + 1] = old[i + 1]!;
    }
    this.table = table;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.ids[Symbol.iterator]();
  }
}

/**
 * A set of event ids with no size limit but memory: V8 refuses a Set past 2^24 (16,777,216) entries
 * ("RangeError: Set maximum size exceeded"), and one partition's ids of a day reach that at 5k events/s
 * in under an hour — the fold would throw on every record from then on. Past `partSize` ids a new Set
 * is started; a lookup asks each part, and there are few.
 */
const PART_SIZE = 1 << 23;

export class IdSet implements Iterable<string> {
  private readonly parts: Set<string>[] = [new Set()];
  private last: Set<string> = this.parts[0]!;

  constructor(private readonly partSize = PART_SIZE) {}

  has(id: string): boolean {
    if (this.last.has(id)) return true;
    for (let i = 0; i < this.parts.length - 1; i++) if (this.parts[i]!.has(id)) return true;
    return false;
  }

  add(id: string): void {
    this.addIfAbsent(id);
  }

  /** Adds the id; false if it was held already. One hash lookup while a single part has room (the fold's case). */
  addIfAbsent(id: string): boolean {
    if (this.parts.length === 1 && this.last.size < this.partSize) {
      const size = this.last.size;
      this.last.add(id);
      return this.last.size !== size;
    }
    // Otherwise the id may be in a part add does not reach.
    if (this.has(id)) return false;
    if (this.last.size >= this.partSize) this.parts.push((this.last = new Set()));
    this.last.add(id);
    return true;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (const part of this.parts) yield* part;
  }
}

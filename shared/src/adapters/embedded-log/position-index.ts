/**
 * offset -> byte position of the record's frame in its partition file. Offsets are dense (0, 1, 2 …)
 * so the index is an array; a growable Float64Array keeps it at 8 bytes per record (exact up to 2^53)
 * instead of a boxed JS array.
 */
export class PositionIndex {
  private positions = new Float64Array(1024);
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(position: number): void {
    if (this.count === this.positions.length) {
      const grown = new Float64Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[this.count++] = position;
  }

  /** Byte position of `offset`'s frame; `offset` must be < length. */
  get(offset: number): number {
    if (offset < 0 || offset >= this.count) throw new RangeError(`offset ${offset} outside [0, ${this.count})`);
    return this.positions[offset]!;
  }
}

/**
 * The delivery position of one assigned partition, and the rule that keeps kafkajs' fetches honest.
 *
 * kafkajs applies a seek lazily (at the partition's next fetch) and keeps handing out batches that
 * were fetched before it, so "the next batch starts at the offset onAssigned/seek asked for" has to
 * be enforced here, not trusted. A kafkajs batch is the log read from its `fetchedOffset` on, so:
 * - while a seek is pending in kafkajs (`isStale()`), the batch predates it: drop it whole;
 * - otherwise, if it was fetched at or before `expected`, its records from `expected` on are exactly
 *   the log from `expected` on: deliver those, drop the older ones;
 * - if it was fetched after `expected` although no seek is pending, the log itself skipped those
 *   offsets (control records kafkajs consumed on its own, retention, an out-of-range reset): the
 *   partition continues from the batch, as the port allows ("or the first existing offset after it").
 *
 * `epoch` changes with every seek, so a delivery that started before a seek cannot move the
 * position the seek set.
 */
export class PartitionCursor {
  /** The offset the next delivered record must have (or the first existing one after it). */
  private next: number;
  private seeks = 0;
  /** onBatch failures in a row, for the redelivery backoff. */
  failures = 0;

  constructor(start: number) {
    this.next = start;
  }

  get expected(): number {
    return this.next;
  }

  get epoch(): number {
    return this.seeks;
  }

  seek(offset: number): void {
    this.next = offset;
    this.seeks++;
    this.failures = 0;
  }

  /** The records of a batch fetched at `fetchedOffset` that may be delivered now, in order. */
  select<T extends { offset: number }>(fetchedOffset: number, records: readonly T[], seekPending: boolean): T[] {
    if (seekPending) return [];
    if (fetchedOffset > this.next) this.next = fetchedOffset;
    const from = this.next;
    return records.filter((r) => r.offset >= from);
  }

  /** Moves the position to `offset` if it is ahead and no seek happened since `epoch`; true if no seek happened. */
  advance(epoch: number, offset: number): boolean {
    if (epoch !== this.seeks) return false;
    if (offset > this.next) this.next = offset;
    return true;
  }
}

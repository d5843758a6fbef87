/**
 * Hands items from a callback (kafkajs' eachBatch) to an async generator, one at a time: `put`
 * resolves once the reader took the item, so a slow reader slows the fetching down instead of
 * letting batches pile up in memory.
 */

import { deferred, type Deferred } from './async-tools.js';
import { withDeadline } from '../../deadline.js';

type Slot<T> = { kind: 'item'; item: T; taken: Deferred<void> } | { kind: 'end' } | { kind: 'error'; error: unknown };

export class Handoff<T> {
  private readonly slots: Slot<T>[] = [];
  private arrival: Deferred<void> | null = null;
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  put(item: T): Promise<void> {
    if (this.closed) return Promise.resolve();
    const taken = deferred<void>();
    this.push({ kind: 'item', item, taken });
    return taken.promise;
  }

  end(): void {
    this.push({ kind: 'end' });
  }

  fail(error: unknown): void {
    this.push({ kind: 'error', error });
  }

  /** The next item, or done; waits at most `timeoutMs` for something to arrive. */
  async take(timeoutMs: number, onTimeout: () => Error): Promise<{ done: true } | { done: false; item: T }> {
    while (this.slots.length === 0) {
      this.arrival = deferred<void>();
      await withDeadline(this.arrival.promise, timeoutMs, onTimeout);
    }
    const slot = this.slots.shift()!;
    if (slot.kind === 'error') throw slot.error;
    if (slot.kind === 'end') {
      this.slots.unshift(slot);
      return { done: true };
    }
    slot.taken.resolve();
    return { done: false, item: slot.item };
  }

  /** The reader is gone: release a waiting `put`, accept nothing more. */
  close(): void {
    this.closed = true;
    for (const slot of this.slots.splice(0)) if (slot.kind === 'item') slot.taken.resolve();
  }

  private push(slot: Slot<T>): void {
    if (this.closed) return;
    this.slots.push(slot);
    this.arrival?.resolve();
  }
}

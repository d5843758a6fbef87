/**
 * Delivers one assigned partition to a consumer: reads from the next offset, hands the batch to
 * onBatch, waits for it, repeats; when caught up it sleeps until the partition is appended to
 * (no polling).
 *
 * Failure policy — never skip a record: if reading or onBatch fails, the error is reported
 * (onConsumerError) and, after an exponential backoff, delivery is retried from the same first
 * offset (the batch may then hold more records, never fewer from its start). A seek or a
 * revocation ends the retrying. This is what kafkajs does on a failing eachBatch as well.
 */

import type { PartitionBatch } from '../../ports/event-log.js';
import { FramedBatch } from './frame-run.js';
import type { PartitionLog } from './partition-log.js';
import { Waker, backoffMs } from './waker.js';

export interface FetcherOptions {
  log: PartitionLog;
  startOffset: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
  backoff: { initialMs: number; maxMs: number };
  deliver(batch: PartitionBatch): Promise<void>;
  onError(error: unknown, phase: 'fetch' | 'onBatch', offset: number): void;
}

export class PartitionFetcher {
  private next: number;
  private seekTo: number | null = null;
  private stopped = false;
  private readonly waker = new Waker();
  private readonly done: Promise<void>;

  constructor(private readonly options: FetcherOptions) {
    this.next = options.startOffset;
    const unsubscribe = options.log.onAppend(() => this.waker.wake());
    this.done = this.run().finally(unsubscribe);
  }

  /** The next batch starts at `offset`; an in-flight onBatch finishes first. */
  seek(offset: number): void {
    this.seekTo = offset;
    this.waker.wake();
  }

  /** Stops after the in-flight onBatch (if any) has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waker.wake();
    await this.done;
  }

  private async run(): Promise<void> {
    const { log } = this.options;
    let failures = 0;
    while (!this.stopped) {
      if (this.seekTo !== null) {
        this.next = this.seekTo;
        this.seekTo = null;
        failures = 0;
      }
      const highWatermark = log.endOffset;
      if (this.next >= highWatermark) {
        await this.waker.wait();
        continue;
      }

      let phase: 'fetch' | 'onBatch' = 'fetch';
      let lastOffset: number;
      try {
        const run = (await log.readFrames(this.next, Math.min(highWatermark, this.next + this.options.maxBatchRecords), this.options.maxBatchBytes))!;
        if (this.stopped || this.seekTo !== null) continue;
        phase = 'onBatch';
        await this.options.deliver(new FramedBatch(run, highWatermark));
        lastOffset = run.first + run.count - 1;
      } catch (error) {
        if (this.stopped) return;
        this.options.onError(error, phase, this.next);
        await this.pause(backoffMs(failures++, this.options.backoff));
        continue;
      }
      failures = 0;
      if (this.seekTo === null) this.next = lastOffset + 1;
    }
  }

  /** Sleeps `ms`, unless stopped or seeked first (appends do not shorten a backoff). */
  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopped && this.seekTo === null && Date.now() < until) await this.waker.wait(until - Date.now());
  }
}

/**
 * A consumer group member of the embedded log. Lifecycle: new -> (start) joined -> (stop) stopped.
 *
 * Handler failures (documented policy):
 * - onBatch throws, or a read fails: reported to onConsumerError, then the same offsets are
 *   delivered again after a backoff (see partition-fetcher.ts); nothing is skipped. Records read
 *   back from the file are checksummed where the batch's records are decoded (frame-run.ts: on the
 *   consumer's thread when it is across a port), so damage to them is reported as an onBatch
 *   failure, a CorruptDataError, and retried alike.
 * - onAssigned throws on the member's first assignment: start() rejects with that error and the
 *   member leaves the group (its partitions go to the others).
 * - onAssigned throws on a later rebalance: reported, then retried with backoff until it succeeds
 *   or the consumer is stopped (the partitions stay unfetched meanwhile, never skipped).
 * - onRevoked throws: reported; the revocation stands.
 *
 * Revocation (rebalance, stop, close) waits for the in-flight onBatch of each partition, so an
 * onBatch must not await stop() or close() of its own consumer/log (it would wait for itself);
 * call them without awaiting, as with kafkajs.
 */

import { ValidationError } from '../../errors.js';
import type { ConsumerHandlers, LogConsumer } from '../../ports/event-log.js';
import type { ConsumerGroup, GroupMember } from './consumer-group.js';
import { PartitionFetcher } from './partition-fetcher.js';
import type { PartitionLog } from './partition-log.js';
import { Waker, backoffMs } from './waker.js';

export interface ConsumerErrorContext {
  groupId: string;
  topic: string;
  phase: 'onAssigned' | 'onRevoked' | 'onBatch' | 'fetch';
  partition?: number;
  /** For onBatch/fetch: the first offset of the batch that will be retried. */
  offset?: number;
}

export interface ConsumerContext {
  groupId: string;
  topic: string;
  memberId: string;
  maxBatchRecords: number;
  maxBatchBytes: number;
  backoff: { initialMs: number; maxMs: number };
  /** Finds (creating if needed) the group; throws NotFoundError for an unknown topic. */
  group(): ConsumerGroup;
  partitionLog(partition: number): PartitionLog;
  committedOffsets(): Promise<Map<number, number>>;
  onError(error: unknown, context: ConsumerErrorContext): void;
  onStopped(): void;
}

type State = 'new' | 'joining' | 'active' | 'stopping' | 'stopped';

/** Refuses a seek to a bad offset or of a partition the member does not own (`assigned`), as this log does. */
export function checkSeek(member: { topic: string; groupId: string }, partition: number, offset: number, assigned: readonly number[]): void {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ValidationError(`seek offset must be a non-negative integer, got ${offset} (partition ${partition} of ${member.topic})`);
  }
  if (!assigned.includes(partition)) {
    throw new ValidationError(`cannot seek partition ${partition} of ${member.topic}: it is not assigned to this member of group ${member.groupId} (assigned: [${assigned.join(', ')}])`);
  }
}

export class EmbeddedConsumer implements LogConsumer, GroupMember {
  private state: State = 'new';
  private handlers: ConsumerHandlers | null = null;
  private readonly fetchers = new Map<number, PartitionFetcher>();
  private assigned: number[] = [];
  private hasBeenAssigned = false;
  private joinError: { error: unknown } | null = null;
  private group: ConsumerGroup | null = null;
  private stopping: Promise<void> | null = null;
  private readonly stopWaker = new Waker();

  constructor(private readonly ctx: ConsumerContext) {}

  get memberId(): string {
    return this.ctx.memberId;
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    if (this.state !== 'new') {
      throw new ValidationError(`consumer of group ${this.ctx.groupId} was already started; create a new consumer to join again`);
    }
    this.handlers = handlers;
    this.group = this.ctx.group();
    this.state = 'joining';
    await this.group.join(this);
    if (this.joinError) {
      this.state = 'stopped';
      this.ctx.onStopped();
      throw this.joinError.error;
    }
    if (this.state === 'joining') this.state = 'active';
  }

  seek(partition: number, offset: number): void {
    // A partition is assigned exactly while it has a fetcher (both change in one step).
    checkSeek(this.ctx, partition, offset, this.assigned);
    this.fetchers.get(partition)!.seek(offset);
  }

  assignment(): number[] {
    return [...this.assigned];
  }

  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const group = this.group;
    this.state = 'stopping';
    this.stopWaker.wake();
    this.stopping = (group ? group.leave(this) : Promise.resolve()).then(() => {
      this.state = 'stopped';
      this.ctx.onStopped();
    });
    return this.stopping;
  }

  /** GroupMember: stop every fetcher (after its in-flight onBatch), then onRevoked. */
  async revoke(): Promise<void> {
    const partitions = this.assigned;
    this.assigned = [];
    const fetchers = [...this.fetchers.values()];
    this.fetchers.clear();
    await Promise.all(fetchers.map((f) => f.stop()));
    if (partitions.length === 0 || !this.handlers) return;
    try {
      await this.handlers.onRevoked([...partitions]);
    } catch (error) {
      this.report(error, { phase: 'onRevoked' });
    }
  }

  /** GroupMember: onAssigned, then one fetcher per partition from the offsets it returned. */
  async assign(partitions: number[]): Promise<boolean> {
    let failures = 0;
    for (;;) {
      if (this.isLeaving() || !this.handlers) return true;
      try {
        const offsets = await this.handlers.onAssigned([...partitions]);
        const starts = await this.startOffsets(partitions, offsets);
        this.assigned = [...partitions];
        for (const partition of partitions) this.fetchers.set(partition, this.fetcherFor(partition, starts.get(partition)!));
        this.hasBeenAssigned = true;
        return true;
      } catch (error) {
        if (!this.hasBeenAssigned) {
          this.joinError = { error };
          return false;
        }
        this.report(error, { phase: 'onAssigned' });
        const until = Date.now() + backoffMs(failures++, this.ctx.backoff);
        while (!this.isLeaving() && Date.now() < until) await this.stopWaker.wait(until - Date.now());
      }
    }
  }

  /** Offsets from onAssigned; a partition it leaves out starts at the group's committed offset, else 0. */
  private async startOffsets(partitions: number[], offsets: Map<number, number>): Promise<Map<number, number>> {
    const missing = partitions.some((p) => !offsets.has(p));
    const committed = missing ? await this.ctx.committedOffsets() : new Map<number, number>();
    const starts = new Map<number, number>();
    for (const partition of partitions) {
      const offset = offsets.get(partition) ?? committed.get(partition) ?? 0;
      if (!Number.isInteger(offset) || offset < 0) {
        throw new ValidationError(`onAssigned returned offset ${offset} for partition ${partition} of ${this.ctx.topic}; offsets are non-negative integers`);
      }
      starts.set(partition, offset);
    }
    return starts;
  }

  private fetcherFor(partition: number, startOffset: number): PartitionFetcher {
    const handlers = this.handlers!;
    return new PartitionFetcher({
      log: this.ctx.partitionLog(partition),
      startOffset,
      maxBatchRecords: this.ctx.maxBatchRecords,
      maxBatchBytes: this.ctx.maxBatchBytes,
      backoff: this.ctx.backoff,
      deliver: (batch) => handlers.onBatch(batch),
      onError: (error, phase, offset) => this.report(error, { phase, partition, offset }),
    });
  }

  private isLeaving(): boolean {
    return this.state === 'stopping' || this.state === 'stopped';
  }

  private report(error: unknown, where: Omit<ConsumerErrorContext, 'groupId' | 'topic'>): void {
    try {
      this.ctx.onError(error, { groupId: this.ctx.groupId, topic: this.ctx.topic, ...where });
    } catch {
      // A failing error hook must not stop delivery.
    }
  }
}

/**
 * A consumer group member on kafkajs. Lifecycle: new -> (start) starting -> active -> (stop) stopped.
 *
 * Rebalances. kafkajs has no revoke callback and emits GROUP_JOIN (synchronously, before it fetches
 * for the new generation) with this member's new assignment. On each GROUP_JOIN the adapter pauses
 * every newly assigned partition and stops delivering, then (in order, one rebalance at a time):
 * onRevoked(previous minus new) -> onAssigned(new, the whole assignment, kept partitions included)
 * -> seek each partition to the offset onAssigned returned -> resume. Kafka's eager protocol means
 * the old owner's batches end before the group re-assigns, but its onRevoked runs after the group
 * has re-assigned (at its own GROUP_JOIN), so it may overlap the new owner's onAssigned.
 *
 * Delivery guarantee (see partition-cursor.ts): onBatch never sees a record below the offset
 * onAssigned/seek asked for, nor a batch fetched before a seek. A partition onAssigned leaves out
 * starts at the group's committed offset, else 0.
 *
 * Handler failures:
 * - onBatch throws: reported (onConsumerError), then after a backoff the same offsets are delivered
 *   again. The adapter does this itself (eachBatchAutoResolve off, offsets resolved only after a
 *   successful onBatch, the failed batch left unresolved so kafkajs fetches it again) instead of
 *   rethrowing: kafkajs 2.2.4 does re-deliver an unresolved batch whose eachBatch threw (checked),
 *   but counts those failures against retry.retries over the member's life and then crashes it
 *   (CRASH, leave, rejoin: a rebalance of the whole group).
 * - onAssigned throws on the first assignment: start() rejects with that error and the member leaves.
 *   Later: reported and retried with backoff while the partitions stay paused.
 * - onRevoked throws: reported; the revocation stands.
 * - kafkajs crashes the member (retries exhausted): reported, every partition revoked; kafkajs
 *   rejoins if the error is retriable (then onAssigned again), else the member stays dead and
 *   onFailed tells the owner (before the first assignment, start() rejects instead).
 *
 * start() resolves once the first assignment was handled; kafkajs reports empty assignments too
 * (more members than partitions), so then it resolves after onAssigned([]). If the member cannot
 * join at all within consumer.startTimeoutMs, start() rejects with UnavailableError.
 * stop() leaves the group (kafkajs first waits for the in-flight onBatch, so an onBatch must not
 * await stop() of its own consumer), then onRevoked for what the member held.
 */

import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { UnavailableError, ValidationError, type LaminaError } from '../../errors.js';
import type { ConsumerHandlers, LogConsumer, LogRecord, RecordPosition } from '../../ports/event-log.js';
import { Sleeps, backoffMs, deferred } from './async-tools.js';
import { withDeadline } from '../../deadline.js';
import type { KafkaConsumerErrorContext, ResolvedKafkaOptions } from './kafka-options.js';
import { fetchedOffsetOf, toLogRecord } from './kafka-records.js';
import { PartitionCursor } from './partition-cursor.js';

export interface KafkaConsumerContext {
  kafka: Kafka;
  groupId: string;
  topic: string;
  maxBatchRecords: number;
  options: ResolvedKafkaOptions;
  toError(error: unknown, what: string): LaminaError;
  /** Throws NotFoundError fast for a missing topic (kafkajs itself would retry for seconds). */
  assertTopic(): Promise<unknown>;
  committedOffsets(): Promise<Map<number, number>>;
  onStopped(consumer: KafkaLogConsumer): void;
}

type State = 'new' | 'starting' | 'active' | 'stopping' | 'stopped';

export class KafkaLogConsumer implements LogConsumer {
  private state: State = 'new';
  private handlers: ConsumerHandlers | null = null;
  private kc: Consumer | null = null;
  /** What the handlers were told this member owns: onAssigned resolved, onRevoked not called since. */
  private owned: number[] = [];
  /** Partitions positioned for the current kafkajs generation; only these are delivered. */
  private readonly cursors = new Map<number, PartitionCursor>();
  private readonly inFlight = new Map<number, Promise<void>>();
  private generation = 0;
  private rebalances: Promise<void> = Promise.resolve();
  private readonly firstAssignment = deferred<void>();
  private hasBeenAssigned = false;
  /** Set when the first onAssigned threw: start() rethrows the handler's own error untouched. */
  private handlerFailedFirst = false;
  /** kafkajs crashed the member and has not rejoined yet (or never will). */
  private crashed = false;
  private readonly sleeps = new Sleeps();
  private stopping: Promise<void> | null = null;

  constructor(private readonly ctx: KafkaConsumerContext) {}

  get groupId(): string {
    return this.ctx.groupId;
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    if (this.state !== 'new') {
      throw new ValidationError(`consumer of group ${this.ctx.groupId} was already started; create a new consumer to join again`);
    }
    this.handlers = handlers;
    this.state = 'starting';
    const { groupId, topic, options } = this.ctx;
    const c = options.consumer;
    try {
      await this.ctx.assertTopic();
      const kc = this.ctx.kafka.consumer({
        groupId,
        sessionTimeout: c.sessionTimeoutMs,
        heartbeatInterval: c.heartbeatIntervalMs,
        maxWaitTimeInMs: c.maxWaitTimeMs,
        allowAutoTopicCreation: false,
        retry: options.retry,
      });
      this.kc = kc;
      kc.on(kc.events.GROUP_JOIN, (event) => this.onGroupJoin(event.payload.memberAssignment[topic] ?? []));
      kc.on(kc.events.CRASH, (event) => this.onCrash(event.payload.error, event.payload.restart));
      await kc.connect();
      await kc.subscribe({ topics: [topic], fromBeginning: true });
      await kc.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: c.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      await withDeadline(
        this.firstAssignment.promise,
        c.startTimeoutMs,
        () => new UnavailableError(`consumer ${groupId}/${topic} did not join its group within ${c.startTimeoutMs} ms; check the brokers (${options.brokers.join(',')}) and the group coordinator`),
      );
    } catch (error) {
      await this.stop();
      throw this.hasBeenAssigned || this.handlerFailedFirst ? error : this.ctx.toError(error, `consumer ${groupId}/${topic} start`);
    }
    if (this.state === 'starting') this.state = 'active';
  }

  seek(partition: number, offset: number): void {
    if (!Number.isInteger(offset) || offset < 0) {
      throw new ValidationError(`seek offset must be a non-negative integer, got ${offset} (partition ${partition} of ${this.ctx.topic})`);
    }
    if (!this.owned.includes(partition)) {
      throw new ValidationError(
        `cannot seek partition ${partition} of ${this.ctx.topic}: it is not assigned to this member of group ${this.ctx.groupId} (assigned: [${this.owned.join(', ')}])`,
      );
    }
    const cursor = this.cursors.get(partition);
    // No cursor: a rebalance is re-positioning the partition right now, and onAssigned's offset wins.
    if (!cursor) return;
    cursor.seek(offset);
    this.kafkaSeek(partition, offset);
    this.sleeps.wakeAll();
  }

  assignment(): number[] {
    return [...this.owned];
  }

  /** Commits through this member (the broker only takes commits of a non-empty group from its members). */
  canCommit(): boolean {
    return this.state === 'active' && !this.crashed && this.kc !== null;
  }

  async commit(offsets: RecordPosition[]): Promise<void> {
    await this.kc!.commitOffsets(offsets.map(({ partition, offset }) => ({ topic: this.ctx.topic, partition, offset: String(offset) })));
  }

  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.state = 'stopping';
    this.generation++;
    this.cursors.clear();
    this.sleeps.wakeAll();
    this.firstAssignment.resolve();
    this.stopping = (async () => {
      try {
        await this.kc?.disconnect();
      } catch (error) {
        this.ctx.options.logger.warn({ err: error, groupId: this.ctx.groupId, topic: this.ctx.topic }, 'kafkajs consumer did not disconnect cleanly');
      }
      await this.rebalances;
      await this.settleInFlight();
      await this.revoke(this.owned);
      this.state = 'stopped';
      this.ctx.onStopped(this);
    })();
    return this.stopping;
  }

  private onGroupJoin(partitions: number[]): void {
    if (this.isLeaving()) return;
    const generation = ++this.generation;
    this.crashed = false;
    this.cursors.clear();
    this.sleeps.wakeAll();
    const assigned = [...partitions].sort((a, b) => a - b);
    // Called synchronously inside kafkajs' join, before its first fetch of the new generation.
    if (assigned.length > 0) this.kc!.pause([{ topic: this.ctx.topic, partitions: assigned }]);
    this.enqueue(() => this.handleAssignment(generation, assigned));
  }

  private onCrash(error: unknown, restart: boolean): void {
    if (this.isLeaving()) return;
    this.report(error, { phase: 'crash' });
    this.crashed = true;
    this.generation++;
    this.cursors.clear();
    this.sleeps.wakeAll();
    this.enqueue(async () => {
      await this.settleInFlight();
      await this.revoke(this.owned);
    });
    if (!restart && !this.hasBeenAssigned) this.firstAssignment.reject(error);
    if (!restart && this.hasBeenAssigned) {
      this.enqueue(async () => this.handlers?.onFailed?.(error));
    }
  }

  private async handleAssignment(generation: number, partitions: number[]): Promise<void> {
    await this.settleInFlight();
    await this.revoke(this.owned.filter((p) => !partitions.includes(p)));
    let failures = 0;
    while (!this.isLeaving() && generation === this.generation) {
      try {
        const offsets = await this.handlers!.onAssigned([...partitions]);
        this.owned = [...partitions];
        const starts = await this.startOffsets(partitions, offsets);
        if (generation === this.generation && !this.isLeaving()) this.position(starts);
        this.hasBeenAssigned = true;
        this.firstAssignment.resolve();
        return;
      } catch (error) {
        if (!this.hasBeenAssigned) {
          this.handlerFailedFirst = true;
          this.firstAssignment.reject(error);
          return;
        }
        this.report(error, { phase: 'onAssigned' });
        await this.sleeps.sleep(backoffMs(failures++, this.ctx.options.retryBackoff));
      }
    }
  }

  private position(starts: Map<number, number>): void {
    for (const [partition, offset] of starts) {
      this.cursors.set(partition, new PartitionCursor(offset));
      this.kafkaSeek(partition, offset);
    }
    if (starts.size > 0) this.kc!.resume([{ topic: this.ctx.topic, partitions: [...starts.keys()] }]);
  }

  private kafkaSeek(partition: number, offset: number): void {
    try {
      this.kc!.seek({ topic: this.ctx.topic, partition, offset: String(offset) });
    } catch (error) {
      // kafkajs is between a crash and its restart; the rejoin re-positions every partition.
      this.ctx.options.logger.debug({ err: error, partition }, 'kafkajs seek refused (member restarting)');
    }
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isStale, pause }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    const cursor = this.cursors.get(partition);
    // Not positioned: resolve nothing and stop fetching it (position() resumes it), or kafkajs would
    // fetch the same unresolved batch again at once, in a loop.
    if (!cursor || this.isLeaving()) {
      pause();
      return;
    }
    if (this.inFlight.has(partition)) return;
    const generation = this.generation;
    const epoch = cursor.epoch;
    const records = cursor.select<LogRecord>(
      fetchedOffsetOf(batch),
      batch.messages.map((m) => toLogRecord(partition, m)),
      isStale(),
    );
    if (isStale()) return;
    const highWatermark = Number(batch.highWatermark);
    const current = (): boolean => this.cursors.get(partition) === cursor && generation === this.generation && !this.isLeaving() && !isStale();

    for (let i = 0; i < records.length; i += this.ctx.maxBatchRecords) {
      if (!current()) return;
      if (i > 0) {
        await heartbeat(); // long batches: keep the session and notice rebalances
        // A rebalance that completed during the heartbeat: the rest belongs to the old assignment.
        // Delivered, it would move the archiver's position past offsets the new one starts below.
        if (!current()) return;
      }
      const chunk = records.slice(i, i + this.ctx.maxBatchRecords);
      const chunkEpoch = cursor.epoch;
      const delivery = (async () => this.handlers!.onBatch({ partition, records: chunk, highWatermark }))();
      this.inFlight.set(partition, delivery.then(() => undefined, () => undefined));
      try {
        await delivery;
        cursor.failures = 0;
      } catch (error) {
        this.report(error, { phase: 'onBatch', partition, offset: chunk[0]!.offset });
        await this.sleeps.sleep(backoffMs(cursor.failures++, this.ctx.options.retryBackoff));
        return; // unresolved: kafkajs' next fetch starts at this chunk again
      } finally {
        this.inFlight.delete(partition);
      }
      const last = chunk[chunk.length - 1]!.offset;
      if (cursor.advance(chunkEpoch, last + 1) && current()) resolveOffset(String(last));
    }
    // The whole batch is handled: move past what kafkajs filtered out at its end (control records).
    if (current() && cursor.epoch === epoch) {
      const lastOffset = batch.lastOffset();
      cursor.advance(epoch, Number(lastOffset) + 1);
      resolveOffset(lastOffset);
    }
  }

  /** Offsets from onAssigned; a partition it leaves out starts at the group's committed offset, else 0. */
  private async startOffsets(partitions: number[], offsets: Map<number, number>): Promise<Map<number, number>> {
    const committed = partitions.some((p) => !offsets.has(p)) ? await this.ctx.committedOffsets() : new Map<number, number>();
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

  private async revoke(partitions: number[]): Promise<void> {
    if (partitions.length === 0 || !this.handlers) return;
    this.owned = this.owned.filter((p) => !partitions.includes(p));
    try {
      await this.handlers.onRevoked([...partitions]);
    } catch (error) {
      this.report(error, { phase: 'onRevoked' });
    }
  }

  private async settleInFlight(): Promise<void> {
    await Promise.all([...this.inFlight.values()]);
  }

  private enqueue(task: () => Promise<void>): void {
    this.rebalances = this.rebalances.then(task).catch((error) => this.report(error, { phase: 'onAssigned' }));
  }

  private isLeaving(): boolean {
    return this.state === 'stopping' || this.state === 'stopped';
  }

  private report(error: unknown, where: Omit<KafkaConsumerErrorContext, 'groupId' | 'topic'>): void {
    try {
      this.ctx.options.onConsumerError(error, { groupId: this.ctx.groupId, topic: this.ctx.topic, ...where });
    } catch {
      // A failing error hook must not stop delivery.
    }
  }
}

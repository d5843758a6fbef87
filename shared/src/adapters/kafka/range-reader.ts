/**
 * readRange on kafkajs, which cannot read a partition without joining a consumer group: a throwaway
 * member of a fresh group (`lamina-read-<uuid>`) pauses every other partition, seeks to `from` as it
 * joins, hands batches to the caller until `end`, then leaves; the group is deleted afterwards
 * (it usually is gone already: a group that never committed dies with its last member).
 *
 * Cost: a few hundred ms of fixed overhead per call (connections, JoinGroup/SyncGroup, LeaveGroup,
 * DeleteGroups) on top of the fetches, and one group join on the coordinator. Fine for recovery and
 * replays of whole ranges; not for many tiny reads (the caller should batch ranges).
 */

import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { UnavailableError, type LaminaError } from '../../errors.js';
import type { LogRecord } from '../../ports/event-log.js';
import { Handoff } from './handoff.js';
import type { ResolvedKafkaOptions } from './kafka-options.js';
import { fetchedOffsetOf, toLogRecord } from './kafka-records.js';
import { PartitionCursor } from './partition-cursor.js';

/** Long-poll of the reader's fetches: bounds how long leaving takes once the range is read. */
const READER_MAX_WAIT_MS = 100;

export interface RangeReadContext {
  kafka: Kafka;
  options: ResolvedKafkaOptions;
  toError(error: unknown, what: string): LaminaError;
  deleteGroup(groupId: string): Promise<void>;
  /** Registers the running reader so close() can end it; returns the unregister function. */
  track(reader: { abort(error: unknown): void }): () => void;
}

export async function* readPartitionRange(ctx: RangeReadContext, topic: string, partition: number, from: number, end: number): AsyncGenerator<LogRecord[]> {
  const what = `readRange(${topic}, partition ${partition}, [${from}, ${end}))`;
  const groupId = `lamina-read-${randomUUID()}`;
  const handoff = new Handoff<LogRecord[]>();
  const cursor = new PartitionCursor(from);
  const kc: Consumer = ctx.kafka.consumer({
    groupId,
    maxWaitTimeInMs: READER_MAX_WAIT_MS,
    sessionTimeout: ctx.options.consumer.sessionTimeoutMs,
    heartbeatInterval: ctx.options.consumer.heartbeatIntervalMs,
    allowAutoTopicCreation: false,
    retry: { ...ctx.options.retry, restartOnFailure: async () => false },
  });
  let sawBatch = false;
  const finishIfDone = (): void => {
    if (cursor.expected >= end) handoff.end();
  };

  kc.on(kc.events.GROUP_JOIN, ({ payload }) => {
    const assigned = payload.memberAssignment[topic] ?? [];
    if (!assigned.includes(partition)) {
      handoff.fail(new UnavailableError(`${what}: the throwaway group ${groupId} was not given partition ${partition} (got [${assigned.join(', ')}]); another member joined it?`));
      return;
    }
    const others = assigned.filter((p) => p !== partition);
    if (others.length > 0) kc.pause([{ topic, partitions: others }]);
    // Also after a rejoin (session expired while the caller was slow): continue where the caller is.
    cursor.seek(cursor.expected);
    kc.seek({ topic, partition, offset: String(cursor.expected) });
  });
  kc.on(kc.events.CRASH, ({ payload }) => handoff.fail(payload.error));
  // Batches made only of control records never reach eachBatch; kafkajs reports them here.
  kc.on(kc.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.partition !== partition) return;
    if (sawBatch) {
      sawBatch = false;
      return;
    }
    if (payload.firstOffset != null && Number(payload.firstOffset) <= cursor.expected) cursor.advance(cursor.epoch, Number(payload.lastOffset) + 1);
    finishIfDone();
  });

  const eachBatch = async ({ batch, isStale, resolveOffset }: EachBatchPayload): Promise<void> => {
    if (batch.partition !== partition) return;
    sawBatch = true;
    if (isStale() || handoff.isClosed) return;
    const records = cursor
      .select<LogRecord>(fetchedOffsetOf(batch), batch.messages.map((m) => toLogRecord(partition, m)), false)
      .filter((r) => r.offset < end);
    if (records.length > 0) await handoff.put(records);
    cursor.advance(cursor.epoch, Number(batch.lastOffset()) + 1);
    resolveOffset(batch.lastOffset());
    finishIfDone();
  };

  const untrack = ctx.track({
    abort: (error) => {
      handoff.fail(error);
      void kc.disconnect().catch(() => undefined);
    },
  });
  try {
    await kc.connect();
    await kc.subscribe({ topics: [topic], fromBeginning: true });
    await kc.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    for (;;) {
      const next = await handoff.take(ctx.options.readTimeoutMs, () => new UnavailableError(`${what}: no progress for ${ctx.options.readTimeoutMs} ms (at offset ${cursor.expected}); check the brokers`));
      if (next.done) return;
      yield next.item;
    }
  } catch (error) {
    throw ctx.toError(error, what);
  } finally {
    untrack();
    handoff.close();
    await kc.disconnect().catch((error) => ctx.options.logger.debug({ err: error, groupId }, 'range reader did not disconnect cleanly'));
    await ctx.deleteGroup(groupId).catch((error) => ctx.options.logger.warn({ err: error, groupId }, 'could not delete the throwaway read group; delete it with kafka-consumer-groups --delete'));
  }
}

/**
 * Commits a group's offsets when no member of the group runs in this process.
 *
 * Kafka takes an OffsetCommit of a group with live members only from one of them, and kafkajs offers
 * no commit outside a running consumer (its admin.setOffsets is a consumer too, and waits a fixed
 * 5 s fetch). So: if the group is empty, join it briefly as its only member with every partition
 * paused, commit through that member, leave. If the group has live members elsewhere, refuse
 * (ConflictError) rather than join and make the whole group rebalance.
 */

import type { Admin, Kafka } from 'kafkajs';
import { ConflictError, UnavailableError, type LaminaError } from '../../errors.js';
import type { RecordPosition } from '../../ports/event-log.js';
import type { ResolvedKafkaOptions } from './kafka-options.js';

const MEMBER_MAX_WAIT_MS = 100;

export interface TemporaryMemberContext {
  kafka: Kafka;
  options: ResolvedKafkaOptions;
  toError(error: unknown, what: string): LaminaError;
  withAdmin<T>(what: string, fn: (admin: Admin) => Promise<T>): Promise<T>;
}

export async function commitAsTemporaryMember(ctx: TemporaryMemberContext, groupId: string, topic: string, offsets: RecordPosition[]): Promise<void> {
  const what = `commitOffsets(${groupId}, ${topic})`;
  const { groups } = await ctx.withAdmin(what, (admin) => admin.describeGroups([groupId]));
  const state = groups.find((g) => g.groupId === groupId)?.state ?? 'Dead';
  if (state !== 'Empty' && state !== 'Dead') {
    throw new ConflictError(
      `${what}: the group has live members in another process (state ${state}); Kafka accepts commits of a live group only from its members, so commit from the process that runs them (or after they stop)`,
    );
  }
  const kc = ctx.kafka.consumer({
    groupId,
    maxWaitTimeInMs: MEMBER_MAX_WAIT_MS,
    sessionTimeout: ctx.options.consumer.sessionTimeoutMs,
    heartbeatInterval: ctx.options.consumer.heartbeatIntervalMs,
    allowAutoTopicCreation: false,
    retry: { ...ctx.options.retry, restartOnFailure: async () => false },
  });
  let joined = false;
  kc.on(kc.events.GROUP_JOIN, () => {
    joined = true;
    kc.pause([{ topic }]); // nothing to read: the member exists only to commit
  });
  try {
    await kc.connect();
    await kc.subscribe({ topics: [topic] });
    await kc.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    if (!joined) throw new UnavailableError(`${what}: could not join the group to commit; check the brokers (${ctx.options.brokers.join(',')})`);
    await kc.commitOffsets(offsets.map(({ partition, offset }) => ({ topic, partition, offset: String(offset) })));
  } catch (error) {
    throw ctx.toError(error, what);
  } finally {
    await kc.disconnect().catch((error) => ctx.options.logger.debug({ err: error, groupId }, 'temporary commit member did not disconnect cleanly'));
  }
}

/**
 * The EventLog port on Apache Kafka through kafkajs: one kafkajs client, a lazily connected admin
 * (topics, offsets, groups), one idempotent producer (kafka-producer.ts), one kafkajs consumer per
 * LogConsumer (kafka-consumer.ts) and a throwaway group member per readRange (range-reader.ts).
 *
 * What Kafka honours differently from the embedded log (see also the modules above):
 * - readRange costs a group join per call (range-reader.ts).
 * - commitOffsets goes through a running member of the group in this process if there is one, else
 *   through a brief member of the (then empty) group; a group with live members elsewhere is refused
 *   with ConflictError (temporary-member-commit.ts).
 * - onRevoked on a rebalance runs after the group re-assigned, possibly alongside the new owner's
 *   onAssigned; a kept partition gets onAssigned again without onRevoked (kafka-consumer.ts).
 * - endOffsets is the last stable offset: the high watermark unless a transactional producer has a
 *   transaction open (its records are invisible to the read_committed reads here until it ends, and
 *   a commit marker takes an offset of its own, which no record then has).
 * - Record timestamps are the broker's append time for topics ensureTopic creates (LogAppendTime);
 *   for topics made elsewhere with CreateTime they are the producer's clock.
 * - A topic created here gets the replication factor and configs of the options; an existing topic
 *   is left as it is (ensureTopic reports its real partition count).
 */

import { Kafka, type KafkaConfig, type Admin } from 'kafkajs';
import { LaminaError, NotFoundError, ValidationError } from '../../errors.js';
import type { ConsumerOptions, EventLog, LogConsumer, LogRecord, ProduceRecord, RecordPosition } from '../../ports/event-log.js';
import { hasKafkaType, isTopicMissing, kafkaErrorMapper, withCallDeadline } from './kafka-errors.js';
import { KafkaLogConsumer } from './kafka-consumer.js';
import { kafkaLogLevel, pinoLogCreator } from './kafka-logger.js';
import { resolveKafkaOptions, type KafkaEventLogOptions, type ResolvedKafkaOptions } from './kafka-options.js';
import { KafkaRecordProducer } from './kafka-producer.js';
import { readPartitionRange } from './range-reader.js';
import { commitAsTemporaryMember } from './temporary-member-commit.js';

const DEFAULT_MAX_BATCH_RECORDS = 1000;
const MAX_PARTITIONS = 10_000;
/** How long produce() trusts a cached partition count (partitions are only ever added, by an operator). */
const PARTITION_COUNT_TTL_MS = 60_000;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export class KafkaEventLog implements EventLog {
  private readonly options: ResolvedKafkaOptions;
  private readonly kafka: Kafka;
  private readonly toError: (error: unknown, what: string) => LaminaError;
  private readonly producer: KafkaRecordProducer;
  private admin: { client: Admin; ready: Promise<Admin> } | null = null;
  private readonly partitionCounts = new Map<string, { count: number; at: number }>();
  private readonly consumers = new Set<KafkaLogConsumer>();
  private readonly readers = new Set<{ abort(error: unknown): void }>();
  private closing: Promise<void> | null = null;

  constructor(options: KafkaEventLogOptions) {
    this.options = resolveKafkaOptions(options);
    const { brokers, clientId, logger } = this.options;
    this.toError = kafkaErrorMapper(brokers);
    this.kafka = new Kafka({
      brokers,
      clientId,
      connectionTimeout: this.options.connectionTimeoutMs,
      requestTimeout: this.options.requestTimeoutMs,
      retry: this.options.retry,
      logLevel: kafkaLogLevel(logger),
      logCreator: pinoLogCreator(logger),
      ...(this.options.sasl ? { sasl: this.options.sasl } : {}),
      ...(typeof this.options.ssl === 'object' ? { ssl: { ca: [this.options.ssl.ca] } } : this.options.ssl === true ? { ssl: true } : {}),
    } as KafkaConfig);
    this.producer = new KafkaRecordProducer(this.kafka, this.options, this.toError);
  }

  async ensureTopic(topic: string, partitions: number): Promise<number> {
    this.assertOpen();
    validateTopicName(topic);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new ValidationError(`ensureTopic(${topic}): partitions must be an integer in [1, ${MAX_PARTITIONS}], got ${partitions}`);
    }
    const configEntries = Object.entries(this.options.topicConfig).map(([name, value]) => ({ name, value }));
    const created = await this.withAdmin(`ensureTopic(${topic}, ${partitions})`, (admin) =>
      admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: this.options.replicationFactor, configEntries }],
        waitForLeaders: true,
        timeout: this.options.requestTimeoutMs,
      }),
    );
    if (created) {
      this.partitionCounts.set(topic, { count: partitions, at: Date.now() });
      return partitions;
    }
    // It existed (maybe created a moment ago by someone else, so its metadata may still be settling).
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.fetchPartitionCount(topic);
      } catch (error) {
        if (!(error instanceof NotFoundError) || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async clusterId(): Promise<string> {
    const cluster = await this.withAdmin('clusterId()', (admin) => admin.describeCluster());
    return cluster.clusterId;
  }

  async partitionCount(topic: string): Promise<number> {
    this.assertOpen();
    return this.fetchPartitionCount(topic);
  }

  async endOffsets(topic: string): Promise<number[]> {
    this.assertOpen();
    const count = await this.fetchPartitionCount(topic);
    const offsets = await this.withAdmin(`endOffsets(${topic})`, (admin) => admin.fetchTopicOffsets(topic));
    const ends = new Array<number>(count).fill(0);
    for (const { partition, high } of offsets) if (partition < count) ends[partition] = Number(high);
    return ends;
  }

  async produce(topic: string, records: ProduceRecord[]): Promise<RecordPosition[]> {
    this.assertOpen();
    if (!Array.isArray(records)) throw new ValidationError(`produce(${topic}): records must be an array`);
    const cached = this.partitionCounts.get(topic);
    const count = cached && Date.now() - cached.at < PARTITION_COUNT_TTL_MS ? cached.count : await this.fetchPartitionCount(topic);
    if (records.length === 0) return [];
    try {
      return await this.producer.produce(topic, count, records);
    } catch (error) {
      if (error instanceof NotFoundError) this.partitionCounts.delete(topic);
      throw error;
    }
  }

  async *readRange(topic: string, partition: number, fromOffset: number, toOffset: number): AsyncIterable<LogRecord[]> {
    this.assertOpen();
    if (!Number.isInteger(fromOffset) || !Number.isInteger(toOffset) || fromOffset < 0 || toOffset < fromOffset) {
      throw new ValidationError(`readRange(${topic}, ${partition}): need integers 0 <= fromOffset <= toOffset, got [${fromOffset}, ${toOffset})`);
    }
    const count = await this.fetchPartitionCount(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new ValidationError(`topic ${topic} has partitions 0..${count - 1}; there is no partition ${partition}`);
    }
    if (fromOffset === toOffset) return;
    const end = Math.min(toOffset, (await this.endOffsets(topic))[partition]!);
    if (fromOffset >= end) return;
    yield* readPartitionRange(
      {
        kafka: this.kafka,
        options: this.options,
        toError: this.toError,
        deleteGroup: (groupId) => this.deleteGroup(groupId),
        track: (reader) => (this.readers.add(reader), () => this.readers.delete(reader)),
      },
      topic,
      partition,
      fromOffset,
      end,
    );
  }

  consumer(options: ConsumerOptions): LogConsumer {
    this.assertOpen();
    const { groupId, topic } = options;
    const maxBatchRecords = options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    if (typeof groupId !== 'string' || groupId.length === 0) throw new ValidationError('consumer needs a non-empty groupId');
    validateTopicName(topic);
    if (!Number.isInteger(maxBatchRecords) || maxBatchRecords < 1) throw new ValidationError(`maxBatchRecords must be a positive integer, got ${maxBatchRecords}`);
    const consumer: KafkaLogConsumer = new KafkaLogConsumer({
      kafka: this.kafka,
      groupId,
      topic,
      maxBatchRecords,
      options: this.options,
      toError: this.toError,
      assertTopic: () => this.fetchPartitionCount(topic),
      committedOffsets: () => this.committedOffsets(groupId, topic),
      onStopped: (c) => this.consumers.delete(c),
    });
    this.consumers.add(consumer);
    return consumer;
  }

  async commitOffsets(groupId: string, topic: string, offsets: RecordPosition[]): Promise<void> {
    this.assertOpen();
    const count = await this.fetchPartitionCount(topic);
    for (const { partition, offset } of offsets) {
      if (!Number.isInteger(partition) || partition < 0 || partition >= count || !Number.isInteger(offset) || offset < 0) {
        throw new ValidationError(`commitOffsets(${groupId}, ${topic}): invalid position {partition: ${partition}, offset: ${offset}}; the topic has ${count} partitions`);
      }
    }
    if (offsets.length === 0) return;
    const member = [...this.consumers].find((c) => c.groupId === groupId && c.canCommit());
    if (member) {
      try {
        return await withCallDeadline(member.commit(offsets), this.options, `commitOffsets(${groupId}, ${topic})`);
      } catch (error) {
        throw this.toError(error, `commitOffsets(${groupId}, ${topic})`);
      }
    }
    const ctx = { kafka: this.kafka, options: this.options, toError: this.toError, withAdmin: this.withAdmin.bind(this) };
    await commitAsTemporaryMember(ctx, groupId, topic, offsets);
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    this.assertOpen();
    await this.fetchPartitionCount(topic);
    const result = await this.withAdmin(`committedOffsets(${groupId}, ${topic})`, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    const offsets = new Map<number, number>();
    for (const { partition, offset } of result.find((t) => t.topic === topic)?.partitions ?? []) {
      if (Number(offset) >= 0) offsets.set(partition, Number(offset));
    }
    return offsets;
  }

  /** Kafka-only: deletes a topic (tests, tooling). The producer is renewed so kafkajs stops asking for the topic's metadata. */
  async deleteTopic(topic: string): Promise<void> {
    this.assertOpen();
    validateTopicName(topic);
    this.partitionCounts.delete(topic);
    // kafkajs retries UNKNOWN_TOPIC_OR_PARTITION on a delete for its whole retry budget (about 10 s
    // by default, past the call deadline on a loaded machine); a missing topic is answered at once.
    await this.fetchPartitionCount(topic);
    this.partitionCounts.delete(topic);
    await this.withAdmin(`deleteTopic(${topic})`, (admin) => admin.deleteTopics({ topics: [topic], timeout: this.options.requestTimeoutMs }));
    await this.producer.reset();
  }

  /** Stops every consumer (onRevoked is called), ends running readRange calls, disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = this.closedError('readRange');
      for (const reader of this.readers) reader.abort(closed);
      await Promise.allSettled([...this.consumers].map((c) => c.stop()));
      await this.producer.close();
      await this.admin?.client.disconnect().catch(() => undefined);
      this.admin = null;
    })();
    return this.closing;
  }

  private async fetchPartitionCount(topic: string): Promise<number> {
    validateTopicName(topic);
    const metadata = await this.withAdmin(`partitionCount(${topic})`, (admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    const count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (count === 0) throw new NotFoundError(`topic ${JSON.stringify(topic)} does not exist on Kafka at ${this.options.brokers.join(',')}; create it with ensureTopic(topic, partitions)`);
    this.partitionCounts.set(topic, { count, at: Date.now() });
    return count;
  }

  private async deleteGroup(groupId: string): Promise<void> {
    try {
      await (await this.connectedAdmin()).deleteGroups([groupId]);
    } catch (error) {
      if (!hasKafkaType(error, 'GROUP_ID_NOT_FOUND')) throw this.toError(error, `delete group ${groupId}`);
    }
  }

  private async withAdmin<T>(what: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
    try {
      return await withCallDeadline(this.connectedAdmin().then(fn), this.options, what);
    } catch (error) {
      // kafkajs keeps refreshing metadata of every topic an admin call named; a deleted one poisons
      // the client, so start over with a fresh admin.
      if (isTopicMissing(error) && this.admin) {
        const stale = this.admin.client;
        this.admin = null;
        void stale.disconnect().catch(() => undefined);
      }
      throw this.toError(error, what);
    }
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const client = this.kafka.admin({ retry: this.options.retry });
      const ready = client.connect().then(() => client);
      const entry = { client, ready };
      this.admin = entry;
      ready.catch(() => {
        if (this.admin === entry) this.admin = null;
      });
    }
    return this.admin.ready;
  }

  private assertOpen(): void {
    if (this.closing) throw this.closedError('this call');
  }

  private closedError(what: string): LaminaError {
    return new LaminaError('LOG_CLOSED', `${what}: the Kafka event log (${this.options.brokers.join(',')}) is closed; create a new KafkaEventLog to continue`);
  }
}

function validateTopicName(topic: string): void {
  if (typeof topic !== 'string' || !TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
    throw new ValidationError(`invalid Kafka topic name ${JSON.stringify(topic)}: use 1-249 characters of [a-zA-Z0-9._-]`);
  }
}

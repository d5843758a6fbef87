/**
 * Appends through one idempotent kafkajs producer (acks=all, one request in flight per broker), with
 * every record's partition chosen here: partitionForKey for keys (Kafka's murmur2, the same partition
 * any Java/librdkafka producer picks), a per-topic round-robin for null keys.
 *
 * Positions. A send puts each partition's records of the request in one record batch, in input
 * order, and the broker answers that batch's base offset; so record k of a partition's batch sits at
 * baseOffset + k. With the idempotent producer a retried request that had in fact been written is
 * answered with the original batch's offsets, so the arithmetic holds across retries too (tested).
 *
 * Failure. A rejected produce may or may not have appended (Kafka cannot tell), and requests larger
 * than maxRequestBytes are split, so a failed call may have appended a prefix. After any failed send
 * the producer is thrown away: kafkajs would otherwise reuse the failed batch's sequence numbers for
 * the next records, which the broker could take for duplicates and silently drop.
 */

import type { Kafka, Producer, RecordMetadata } from 'kafkajs';
import { LaminaError, ValidationError } from '../../errors.js';
import { partitionForKey } from '../../partitioner.js';
import type { ProduceRecord, RecordPosition } from '../../ports/event-log.js';
import type { ResolvedKafkaOptions } from './kafka-options.js';
import { toBuffer } from './kafka-records.js';
import { withCallDeadline } from './kafka-errors.js';

interface PlacedRecord {
  index: number;
  partition: number;
  key: string | null;
  value: Buffer;
}

export class KafkaRecordProducer {
  private current: { producer: Producer; ready: Promise<Producer> } | null = null;
  private readonly roundRobin = new Map<string, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ResolvedKafkaOptions,
    private readonly toError: (error: unknown, what: string) => LaminaError,
  ) {}

  async produce(topic: string, partitionCount: number, records: ProduceRecord[]): Promise<RecordPosition[]> {
    const placed = records.map((record, index) => this.place(topic, partitionCount, record, index));
    const positions = new Array<RecordPosition>(records.length);
    for (const chunk of chunksOf(placed, this.options.maxRequestBytes)) {
      const what = `produce ${chunk.length} record(s) to ${topic}`;
      const producer = await withCallDeadline(this.connected(), this.options, what);
      let metadata: RecordMetadata[];
      try {
        const sent = producer.send({
          topic,
          acks: -1,
          timeout: this.options.requestTimeoutMs,
          messages: chunk.map(({ partition, key, value }) => ({ partition, key, value })),
        });
        metadata = await withCallDeadline(sent, this.options, what);
      } catch (error) {
        // Past the deadline too: the send may still land, and its sequence numbers must not be reused.
        this.discard(producer);
        throw this.toError(error, what);
      }
      assignPositions(topic, chunk, metadata, positions);
    }
    return positions;
  }

  /** Forgets the producer (and the topics kafkajs keeps refreshing metadata for); the next produce connects anew. */
  async reset(): Promise<void> {
    const current = this.current;
    this.current = null;
    await current?.producer.disconnect().catch(() => undefined);
  }

  close(): Promise<void> {
    return this.reset();
  }

  private place(topic: string, partitionCount: number, record: ProduceRecord, index: number): PlacedRecord {
    const { key, value } = record ?? {};
    if (key !== null && typeof key !== 'string') throw new ValidationError(`produce(${topic}): record ${index} key must be a string or null`);
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new ValidationError(`produce(${topic}): record ${index} value must be a Uint8Array or a string`);
    let partition: number;
    if (key === null) {
      const next = this.roundRobin.get(topic) ?? 0;
      this.roundRobin.set(topic, next + 1);
      partition = next % partitionCount;
    } else {
      partition = partitionForKey(key, partitionCount);
    }
    return { index, partition, key, value: toBuffer(value) };
  }

  private async connected(): Promise<Producer> {
    if (!this.current) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: this.options.retry });
      const ready = producer.connect().then(() => producer);
      this.current = { producer, ready };
      ready.catch(() => this.discard(producer));
    }
    try {
      return await this.current.ready;
    } catch (error) {
      throw this.toError(error, 'connect the producer');
    }
  }

  private discard(producer: Producer): void {
    if (this.current?.producer === producer) this.current = null;
    producer.disconnect().catch((error) => this.options.logger.debug({ err: error }, 'discarded producer did not disconnect cleanly'));
  }
}

/** Consecutive runs of records whose key+value bytes stay under `maxBytes` (a larger record goes alone). */
function chunksOf(records: PlacedRecord[], maxBytes: number): PlacedRecord[][] {
  const chunks: PlacedRecord[][] = [];
  let current: PlacedRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = record.value.length + (record.key === null ? 0 : Buffer.byteLength(record.key));
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function assignPositions(topic: string, chunk: PlacedRecord[], metadata: RecordMetadata[], positions: RecordPosition[]): void {
  const base = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset)]));
  const nth = new Map<number, number>();
  for (const record of chunk) {
    const first = base.get(record.partition);
    if (first === undefined || !Number.isSafeInteger(first) || first < 0) {
      throw new LaminaError('KAFKA_FAILED', `produce(${topic}): the broker acknowledged partition ${record.partition} without a base offset (${JSON.stringify(metadata)}); the records were written but their positions are unknown`);
    }
    const k = nth.get(record.partition) ?? 0;
    nth.set(record.partition, k + 1);
    positions[record.index] = { partition: record.partition, offset: first + k };
  }
}

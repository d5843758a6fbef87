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
 * Coalescing. One send is in flight at a time (the idempotent producer keeps one request in flight per
 * broker anyway); calls that arrive meanwhile go out together in the next send, in arrival order, so
 * concurrent ingest requests cost one produce request and one acknowledgement wait, not one each.
 * A call resolves once all its records are acknowledged.
 *
 * Failure. A rejected produce may or may not have appended (Kafka cannot tell), and requests larger
 * than maxRequestBytes are split, so a failed call may have appended a prefix. After any failed send
 * the producer is thrown away: kafkajs would otherwise reuse the failed batch's sequence numbers for
 * the next records, which the broker could take for duplicates and silently drop.
 */

import type { Kafka, Producer, RecordMetadata } from 'kafkajs';
import { LaminaError, ValidationError } from '../../errors.js';
import { partitionForKeyBytes } from '../../partitioner.js';
import type { ProduceRecord, RecordPosition } from '../../ports/event-log.js';
import type { ResolvedKafkaOptions } from './kafka-options.js';
import { toBuffer } from './kafka-records.js';
import { withCallDeadline } from './kafka-errors.js';

interface PlacedRecord {
  index: number;
  partition: number;
  /** UTF-8, encoded once: for the partitioner, the chunk sizes and kafkajs alike. */
  key: Buffer | null;
  value: Buffer;
  /** The positions of the call the record came from (its `index`-th). */
  into: RecordPosition[];
}

/** A produce call waiting for its send. */
interface Waiting {
  topic: string;
  records: PlacedRecord[];
  positions: RecordPosition[];
  resolve(positions: RecordPosition[]): void;
  reject(error: unknown): void;
}

export class KafkaRecordProducer {
  private current: { producer: Producer; ready: Promise<Producer> } | null = null;
  private readonly roundRobin = new Map<string, number>();
  private waiting: Waiting[] = [];
  private sending = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ResolvedKafkaOptions,
    private readonly toError: (error: unknown, what: string) => LaminaError,
  ) {}

  async produce(topic: string, partitionCount: number, records: ProduceRecord[]): Promise<RecordPosition[]> {
    const positions = new Array<RecordPosition>(records.length);
    const placed = records.map((record, index) => this.place(topic, partitionCount, record, index, positions));
    if (placed.length === 0) return positions;
    return new Promise((resolve, reject) => {
      this.waiting.push({ topic, records: placed, positions, resolve, reject });
      void this.drain();
    });
  }

  /** Sends what waits, one send at a time, each taking every waiting call of its topic. */
  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.waiting.length > 0) {
        const topic = this.waiting[0]!.topic;
        const group = this.waiting.filter((w) => w.topic === topic);
        this.waiting = this.waiting.filter((w) => w.topic !== topic);
        await this.send(topic, group);
      }
    } finally {
      this.sending = false;
    }
  }

  /** Sends the calls' records (in request-size chunks); a call resolves once its last chunk is acknowledged. */
  private async send(topic: string, group: Waiting[]): Promise<void> {
    const records = group.length === 1 ? group[0]!.records : group.flatMap((w) => w.records);
    let resolved = 0;
    let acknowledged = 0;
    let through = group[0]!.records.length;
    try {
      for (const chunk of chunksOf(records, this.options.maxRequestBytes)) {
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
        assignPositions(topic, chunk, metadata);
        acknowledged += chunk.length;
        while (resolved < group.length && through <= acknowledged) {
          const done = group[resolved++]!;
          done.resolve(done.positions);
          if (resolved < group.length) through += group[resolved]!.records.length;
        }
      }
    } catch (error) {
      // The calls not wholly acknowledged fail (a prefix of their records may have been appended).
      for (let i = resolved; i < group.length; i++) group[i]!.reject(error);
    }
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

  private place(topic: string, partitionCount: number, record: ProduceRecord, index: number, into: RecordPosition[]): PlacedRecord {
    const { key, value } = record ?? {};
    if (key !== null && typeof key !== 'string') throw new ValidationError(`produce(${topic}): record ${index} key must be a string or null`);
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new ValidationError(`produce(${topic}): record ${index} value must be a Uint8Array or a string`);
    const keyBytes = key === null ? null : Buffer.from(key, 'utf8');
    let partition: number;
    if (keyBytes === null) {
      const next = this.roundRobin.get(topic) ?? 0;
      this.roundRobin.set(topic, next + 1);
      partition = next % partitionCount;
    } else {
      partition = partitionForKeyBytes(keyBytes, partitionCount);
    }
    return { index, partition, key: keyBytes, value: toBuffer(value), into };
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
    const size = record.value.length + (record.key?.length ?? 0);
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

function assignPositions(topic: string, chunk: PlacedRecord[], metadata: RecordMetadata[]): void {
  const base = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset)]));
  const nth = new Map<number, number>();
  for (const record of chunk) {
    const first = base.get(record.partition);
    if (first === undefined || !Number.isSafeInteger(first) || first < 0) {
      throw new LaminaError('KAFKA_FAILED', `produce(${topic}): the broker acknowledged partition ${record.partition} without a base offset (${JSON.stringify(metadata)}); the records were written but their positions are unknown`);
    }
    const k = nth.get(record.partition) ?? 0;
    nth.set(record.partition, k + 1);
    record.into[record.index] = { partition: record.partition, offset: first + k };
  }
}

/**
 * The log as it was up to given offsets: ends are clamped to them and consumers never see a record at
 * or past them. A Kappa replay archives through it, so the replayed lake covers exactly the offsets
 * the real lake's frontier covers — and the generation built from it has the same watermark.
 */
import { ValidationError, type ConsumerHandlers, type ConsumerOptions, type EventLog, type LogConsumer, type LogRecord, type ProduceRecord, type RecordPosition } from '@lamina/shared';

export class BoundedEventLog implements EventLog {
  constructor(
    private readonly inner: EventLog,
    /** Per partition: the first offset not to deliver. */
    private readonly bounds: readonly number[],
  ) {}

  private bound(partition: number): number {
    return this.bounds[partition] ?? 0;
  }

  clusterId(): Promise<string> {
    return this.inner.clusterId();
  }

  ensureTopic(topic: string, partitions: number): Promise<number> {
    return this.inner.ensureTopic(topic, partitions);
  }

  partitionCount(topic: string): Promise<number> {
    return this.inner.partitionCount(topic);
  }

  async endOffsets(topic: string): Promise<number[]> {
    return (await this.inner.endOffsets(topic)).map((end, p) => Math.min(end, this.bound(p)));
  }

  produce(_topic: string, _records: ProduceRecord[]): Promise<RecordPosition[]> {
    return Promise.reject(new ValidationError('a replay reads the log; it never writes to it'));
  }

  async *readRange(topic: string, partition: number, fromOffset: number, toOffset: number): AsyncIterable<LogRecord[]> {
    yield* this.inner.readRange(topic, partition, fromOffset, Math.min(toOffset, this.bound(partition)));
  }

  consumer(options: ConsumerOptions): LogConsumer {
    const inner = this.inner.consumer(options);
    return {
      start: (handlers: ConsumerHandlers) =>
        inner.start({
          ...handlers,
          onBatch: async (batch) => {
            const bound = this.bound(batch.partition);
            const records = batch.records.filter((r) => r.offset < bound);
            if (records.length > 0) await handlers.onBatch({ partition: batch.partition, records, highWatermark: Math.min(batch.highWatermark, bound) });
          },
        }),
      seek: (partition, offset) => inner.seek(partition, offset),
      assignment: () => inner.assignment(),
      stop: () => inner.stop(),
    };
  }

  commitOffsets(groupId: string, topic: string, offsets: RecordPosition[]): Promise<void> {
    return this.inner.commitOffsets(groupId, topic, offsets);
  }

  committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    return this.inner.committedOffsets(groupId, topic);
  }

  close(): Promise<void> {
    // The inner log belongs to the caller.
    return Promise.resolve();
  }
}

/**
 * An EventLog that is another thread's (served there by serveEventLog): what a worker thread's layers
 * use to read and write the log its parent opened. Records arrive as one moved buffer: the embedded
 * log's frames as written, or any other log's values packed.
 */
import type { ConsumerHandlers, ConsumerOptions, EventLog, LogConsumer, LogRecord, PartitionBatch, ProduceRecord, RecordPosition } from '../../ports/event-log.js';
import { PortPeer, type PortLike } from '../../threads/port-peer.js';
import { fromWireError, type WireError } from '../../threads/wire-error.js';
import { checkSeek } from '../embedded-log/embedded-consumer.js';
import { unpackFromThread, type CrossingRecords } from './packed-records.js';

interface PackedBatch {
  partition: number;
  highWatermark: number;
  records: CrossingRecords;
}

export class PortEventLog implements EventLog {
  private readonly peer: PortPeer;
  private readonly consumers = new Map<number, PortConsumer>();
  private nextId = 1;

  constructor(port: PortLike, otherSide = 'the thread that holds the event log') {
    this.peer = new PortPeer(port, otherSide);
    const consumer = (id: number) => this.consumers.get(id);
    this.peer.handle('consumer.onAssigned', (id: number, partitions: number[]) => consumer(id)?.assigned(partitions) ?? new Map());
    this.peer.handle('consumer.onRevoked', (id: number, partitions: number[]) => consumer(id)?.revoked(partitions));
    this.peer.handle('consumer.onBatch', (id: number, batch: PackedBatch, seeks: number) => consumer(id)?.batch(batch, seeks));
    this.peer.handle('consumer.onFailed', (id: number, error: WireError) => consumer(id)?.failed(fromWireError(error)));
  }

  clusterId(): Promise<string> {
    return this.peer.call('clusterId');
  }

  ensureTopic(topic: string, partitions: number): Promise<number> {
    return this.peer.call('ensureTopic', [topic, partitions]);
  }

  partitionCount(topic: string): Promise<number> {
    return this.peer.call('partitionCount', [topic]);
  }

  endOffsets(topic: string): Promise<number[]> {
    return this.peer.call('endOffsets', [topic]);
  }

  produce(topic: string, records: ProduceRecord[]): Promise<RecordPosition[]> {
    // A view is cloned with its whole buffer: send its own bytes only.
    const own = records.map(({ key, value }) => ({ key, value: value instanceof Uint8Array && value.byteLength !== value.buffer.byteLength ? value.slice() : value }));
    return this.peer.call('produce', [topic, own]);
  }

  async *readRange(topic: string, partition: number, fromOffset: number, toOffset: number): AsyncIterable<LogRecord[]> {
    const id = this.nextId++;
    await this.peer.call('range.open', [id, topic, partition, fromOffset, toOffset]);
    let done = false;
    try {
      for (;;) {
        const packed = await this.peer.call<CrossingRecords | null>('range.next', [id]);
        if (packed === null) {
          done = true;
          return;
        }
        yield unpackFromThread(packed);
      }
    } finally {
      // A reader that stopped early (break, an error) releases the host's read.
      if (!done) await this.peer.call('range.close', [id]).catch(() => undefined);
    }
  }

  consumer(options: ConsumerOptions): LogConsumer {
    const id = this.nextId++;
    const consumer = new PortConsumer(this.peer, id, options, () => this.consumers.delete(id));
    this.consumers.set(id, consumer);
    return consumer;
  }

  commitOffsets(groupId: string, topic: string, offsets: RecordPosition[]): Promise<void> {
    return this.peer.call('commitOffsets', [groupId, topic, offsets]);
  }

  committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    return this.peer.call('committedOffsets', [groupId, topic]);
  }

  /** Stops this thread's consumers; the log itself is its holder's to close. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers.values()].map((c) => c.stop()));
  }
}

class PortConsumer implements LogConsumer {
  private handlers: ConsumerHandlers | undefined;
  private owned: number[] = [];
  /** Seeks sent, per partition; a batch the host read before it had them all is from before a seek, and is dropped. */
  private readonly seeks = new Map<number, number>();
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly peer: PortPeer,
    private readonly id: number,
    private readonly options: ConsumerOptions,
    private readonly forget: () => void,
  ) {}

  async start(handlers: ConsumerHandlers): Promise<void> {
    this.handlers = handlers;
    this.started = true;
    await this.peer.call('consumer.start', [this.id, this.options]);
  }

  /** Refused here, at once, as the embedded log's consumer refuses it; else it reaches the host before any later batch's answer. */
  seek(partition: number, offset: number): void {
    checkSeek(this.options, partition, offset, this.owned);
    this.seeks.set(partition, (this.seeks.get(partition) ?? 0) + 1);
    this.peer.notify('consumer.seek', [this.id, partition, offset]);
  }

  assignment(): number[] {
    return [...this.owned];
  }

  stop(): Promise<void> {
    // Once: a second stop waits for the first, so no handler call arrives after this consumer is forgotten.
    this.stopping ??= (async () => {
      if (this.started) await this.peer.call('consumer.stop', [this.id]);
      this.forget();
    })();
    return this.stopping;
  }

  // The assignment changes as the embedded consumer's does: partitions count as owned once onAssigned
  // returned, and no longer before onRevoked is called.
  async assigned(partitions: number[]): Promise<Map<number, number>> {
    const offsets = await this.handlers!.onAssigned(partitions);
    this.owned = [...new Set([...this.owned, ...partitions])];
    return offsets;
  }

  async revoked(partitions: number[]): Promise<void> {
    this.owned = this.owned.filter((p) => !partitions.includes(p));
    await this.handlers!.onRevoked(partitions);
  }

  async batch(packed: PackedBatch, seeks: number): Promise<void> {
    if (seeks < (this.seeks.get(packed.partition) ?? 0)) return;
    const batch: PartitionBatch = { partition: packed.partition, highWatermark: packed.highWatermark, records: unpackFromThread(packed.records) };
    await this.handlers!.onBatch(batch);
  }

  failed(error: Error): void {
    this.handlers!.onFailed?.(error);
  }
}

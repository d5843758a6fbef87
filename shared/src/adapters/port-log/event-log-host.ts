/**
 * Serves an EventLog to another thread (see PortEventLog): the log stays with the thread that opened
 * it (the embedded log is one process's, its writer and its consumers' wake-ups in memory), and the
 * other thread's consumers are consumers of it, their handlers called across the port.
 */
import type { EventLog, LogConsumer, ConsumerOptions, ProduceRecord, RecordPosition } from '../../ports/event-log.js';
import { PortPeer, Transferring, type PortLike } from '../../threads/port-peer.js';
import { toWireError } from '../../threads/wire-error.js';
import { EmbeddedEventLog } from '../embedded-log/embedded-event-log.js';
import { FramedBatch } from '../embedded-log/frame-run.js';
import { packFrames, packRecords, type PackedForThread } from './packed-records.js';

export interface EventLogHost {
  /** Stops the consumers and the reads the other thread opened; the log itself stays open. */
  close(): Promise<void>;
  /** The other thread ended: its handlers fail from now on (so its consumers can stop) instead of waiting. */
  lost(reason: string): void;
}

export function serveEventLog(log: EventLog, port: PortLike, otherSide: string): EventLogHost {
  const peer = new PortPeer(port, otherSide);
  const consumers = new Map<number, { consumer: LogConsumer; seeks: Map<number, number> }>();
  const ranges = new Map<number, AsyncIterator<PackedForThread>>();

  peer.handle('clusterId', () => log.clusterId());
  peer.handle('ensureTopic', (topic: string, partitions: number) => log.ensureTopic(topic, partitions));
  peer.handle('partitionCount', (topic: string) => log.partitionCount(topic));
  peer.handle('endOffsets', (topic: string) => log.endOffsets(topic));
  peer.handle('produce', (topic: string, records: ProduceRecord[]) => log.produce(topic, records));
  peer.handle('commitOffsets', (groupId: string, topic: string, offsets: RecordPosition[]) => log.commitOffsets(groupId, topic, offsets));
  peer.handle('committedOffsets', (groupId: string, topic: string) => log.committedOffsets(groupId, topic));

  peer.handle('range.open', (id: number, topic: string, partition: number, from: number, to: number) => {
    // The embedded log's chunks cross as its frames, any other log's as packed records.
    const range = log instanceof EmbeddedEventLog ? mapAsync(log.readFrameRuns(topic, partition, from, to), packFrames) : mapAsync(log.readRange(topic, partition, from, to), packRecords);
    ranges.set(id, range[Symbol.asyncIterator]());
  });
  peer.handle('range.next', async (id: number) => {
    const range = ranges.get(id);
    const next = range ? await range.next() : { done: true as const, value: undefined };
    if (next.done) {
      ranges.delete(id);
      return null;
    }
    return new Transferring(next.value.packed, next.value.transfer);
  });
  peer.handle('range.close', async (id: number) => {
    const range = ranges.get(id);
    ranges.delete(id);
    await range?.return?.();
  });

  peer.handle('consumer.start', (id: number, options: ConsumerOptions) => {
    const entry = { consumer: log.consumer(options), seeks: new Map<number, number>() };
    consumers.set(id, entry);
    const { consumer } = entry;
    return consumer.start({
      onAssigned: (partitions) => peer.call<Map<number, number>>('consumer.onAssigned', [id, partitions]),
      onRevoked: (partitions) => peer.call<void>('consumer.onRevoked', [id, partitions]),
      onBatch: (batch) => {
        // The embedded log's frames, as written: this thread makes no object per record for the other.
        const { packed, transfer } = batch instanceof FramedBatch ? packFrames(batch.run) : packRecords(batch.records);
        return peer.call<void>('consumer.onBatch', [id, { partition: batch.partition, highWatermark: batch.highWatermark, records: packed }, entry.seeks.get(batch.partition) ?? 0], transfer);
      },
      onFailed: (error) => peer.notify('consumer.onFailed', [id, toWireError(error)]),
    });
  });
  peer.handle('consumer.seek', (id: number, partition: number, offset: number) => {
    const entry = consumers.get(id);
    if (!entry) return;
    entry.seeks.set(partition, (entry.seeks.get(partition) ?? 0) + 1);
    // Checked on the other side already; a revocation in between makes it moot, as in one thread.
    try {
      entry.consumer.seek(partition, offset);
    } catch {
      // nothing to seek any more
    }
  });
  peer.handle('consumer.stop', async (id: number) => {
    const entry = consumers.get(id);
    consumers.delete(id);
    await entry?.consumer.stop();
  });

  return {
    lost: (reason) => peer.close(reason),
    async close() {
      const open = [...consumers.values()];
      consumers.clear();
      await Promise.allSettled(open.map(({ consumer }) => consumer.stop()));
      const reads = [...ranges.values()];
      ranges.clear();
      await Promise.allSettled(reads.map((range) => range.return?.()));
      peer.close('its event log was closed');
    },
  };
}

async function* mapAsync<T, U>(source: AsyncIterable<T>, f: (value: T) => U): AsyncIterable<U> {
  for await (const value of source) yield f(value);
}

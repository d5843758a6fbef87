import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { EmbeddedEventLog } from '../src/adapters/embedded-log/index.js';
import { PortEventLog, serveEventLog } from '../src/adapters/port-log/index.js';
import { ConflictError, LaminaError, NotFoundError, UnavailableError, ValidationError } from '../src/errors.js';
import { fromWireError, toWireError } from '../src/threads/wire-error.js';
import type { EventLog } from '../src/ports/event-log.js';
import { eventLogConformance } from './conformance/event-log-conformance.js';

/**
 * The embedded log behind the EventLog port alone: its batches as plain records and its ranges as
 * records, as any other log (Kafka's, in `lamina dev` against a broker) hands them to serveEventLog.
 */
function asAnyLog(log: EmbeddedEventLog): EventLog {
  return {
    clusterId: () => log.clusterId(),
    ensureTopic: (topic, partitions) => log.ensureTopic(topic, partitions),
    partitionCount: (topic) => log.partitionCount(topic),
    endOffsets: (topic) => log.endOffsets(topic),
    produce: (topic, records) => log.produce(topic, records),
    readRange: (topic, partition, from, to) => log.readRange(topic, partition, from, to),
    consumer(options) {
      const consumer = log.consumer(options);
      return {
        start: (handlers) => consumer.start({ ...handlers, onBatch: (batch) => handlers.onBatch({ partition: batch.partition, highWatermark: batch.highWatermark, records: [...batch.records] }) }),
        seek: (partition, offset) => consumer.seek(partition, offset),
        assignment: () => consumer.assignment(),
        stop: () => consumer.stop(),
      };
    },
    commitOffsets: (groupId, topic, offsets) => log.commitOffsets(groupId, topic, offsets),
    committedOffsets: (groupId, topic) => log.committedOffsets(groupId, topic),
    close: () => log.close(),
  };
}

/** An embedded log served on one end of a channel and used through the other, as a worker thread does. */
async function portLog({ served = (log: EmbeddedEventLog): EventLog => log } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-port-log-'));
  const embedded = await EmbeddedEventLog.open({ dir, onWarning: () => undefined, onConsumerError: () => undefined });
  const { port1, port2 } = new MessageChannel();
  const host = serveEventLog(served(embedded), port1, 'the test\'s client');
  const log = new PortEventLog(port2, 'the test\'s host');
  return {
    log,
    host,
    clientPort: port2,
    async cleanup() {
      await log.close();
      await host.close();
      port1.close();
      await embedded.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

eventLogConformance('across a MessagePort (serveEventLog → PortEventLog)', async () => {
  const { log, cleanup } = await portLog();
  return { log, topic: `conformance-${Math.random().toString(36).slice(2, 10)}`, cleanup };
});

// The embedded log's records cross as its frames; any other log's as packed records: both must hold.
eventLogConformance('across a MessagePort, serving a log whose records are not frames', async () => {
  const { log, cleanup } = await portLog({ served: asAnyLog });
  return { log, topic: `conformance-${Math.random().toString(36).slice(2, 10)}`, cleanup };
});

test('errors cross the port as the same Lamina errors, retriable kept', async () => {
  const { log, cleanup } = await portLog();
  try {
    await assert.rejects(log.partitionCount('absent'), (error: unknown) => error instanceof NotFoundError && /does not exist in the embedded log/.test(error.message));
    await log.ensureTopic('t', 1);
    await assert.rejects(log.produce('t', [{ key: 5 as unknown as string, value: 'x' }]), ValidationError);
  } finally {
    await cleanup();
  }
});

test('a call whose other side is gone fails as retriable UnavailableError instead of waiting', async () => {
  const { port1, port2 } = new MessageChannel();
  const log = new PortEventLog(port2, 'the log\'s thread');
  const pending = log.clusterId();
  port1.close();
  await assert.rejects(pending, (error: unknown) => error instanceof UnavailableError && error.retriable && /the log's thread is gone \(its port closed\)/.test(error.message));
  await assert.rejects(log.endOffsets('t'), UnavailableError, 'and so does every later call');
});

test('seek is refused at once for a partition the member does not own or a bad offset, as in one thread', async () => {
  const { log, cleanup } = await portLog();
  try {
    await log.ensureTopic('s', 2);
    const consumer = log.consumer({ groupId: 'g', topic: 's' });
    assert.throws(() => consumer.seek(0, 0), /not assigned to this member/, 'before start: nothing is owned');
    await consumer.start({ onAssigned: async () => new Map(), onRevoked: async () => undefined, onBatch: async () => undefined });
    assert.deepEqual(consumer.assignment().sort(), [0, 1]);
    assert.throws(() => consumer.seek(7, 0), ValidationError);
    assert.throws(() => consumer.seek(0, -1), ValidationError);
    consumer.seek(1, 0);
    await consumer.stop();
    await consumer.stop();
  } finally {
    await cleanup();
  }
});

test('a seek on one partition drops only that partition\'s batch already on its way: every other partition\'s records arrive', async () => {
  const { log, cleanup } = await portLog();
  try {
    await log.ensureTopic('r', 4);
    await log.produce('r', Array.from({ length: 800 }, (_, i) => ({ key: `k${i % 16}`, value: `v${i}` })));
    const ends = await log.endOffsets('r');
    const seen = new Map<number, number[]>([0, 1, 2, 3].map((p) => [p, []]));
    const rewound = new Set<number>();
    const consumer = log.consumer({ groupId: 'g', topic: 'r', maxBatchRecords: 2 });
    await consumer.start({
      onAssigned: async () => new Map(),
      onRevoked: async () => undefined,
      onBatch: async (batch) => {
        seen.get(batch.partition)!.push(...batch.records.map((r) => r.offset));
        // Partition 1 goes back to its start three times, while the others' batches are on their way.
        const last = batch.records.at(-1)!.offset;
        if (batch.partition === 1 && last % 40 === 39 && last < 120 && !rewound.has(last)) {
          rewound.add(last);
          consumer.seek(1, 0);
        }
      },
    });
    const done = () => [0, 2, 3].every((p) => seen.get(p)!.length >= ends[p]!) && new Set(seen.get(1)).size >= ends[1]! && rewound.size === 3;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !done()) await new Promise((r) => setTimeout(r, 10));
    for (const p of [0, 2, 3]) assert.deepEqual(seen.get(p), Array.from({ length: ends[p]! }, (_, i) => i), `partition ${p}: every offset once, in order`);
    assert.deepEqual([...new Set(seen.get(1))].sort((x, y) => x - y), Array.from({ length: ends[1]! }, (_, i) => i), 'partition 1: every offset, some again after each seek');
    assert.equal(rewound.size, 3);
    await consumer.stop();
  } finally {
    await cleanup();
  }
});

test('errors cross with their name, code, retriable flag and the stack of where they were thrown', () => {
  class LeaseHeld extends LaminaError {
    constructor() {
      super('LEASE_HELD', 'another run holds the lease', { retriable: true });
    }
  }
  const lease = fromWireError(structuredClone(toWireError(new LeaseHeld())));
  assert.ok(lease instanceof LaminaError);
  assert.deepEqual([lease.name, (lease as LaminaError).code, (lease as LaminaError).retriable], ['LeaseHeld', 'LEASE_HELD', true]);
  assert.match(lease.stack!, /port-event-log\.test/, 'the thrower\'s stack');
  const conflict = fromWireError(structuredClone(toWireError(new ConflictError('version 3 taken'))));
  assert.ok(conflict instanceof ConflictError && conflict.retriable);
  const system = Object.assign(new Error('ENOTDIR: not a directory'), { code: 'ENOTDIR' });
  const crossed = fromWireError(structuredClone(toWireError(system)));
  assert.ok(!(crossed instanceof LaminaError));
  assert.equal((crossed as Error & { code?: string }).code, 'ENOTDIR');
  const issues = fromWireError(structuredClone(toWireError(new ValidationError('bad', ['a', 'b']))));
  assert.ok(issues instanceof ValidationError);
  assert.deepEqual(issues.issues, ['a', 'b']);
});

test('when the other thread is gone, a batch it never answered fails and the host\'s consumers stop instead of waiting', { timeout: 30_000 }, async () => {
  const { log, host, clientPort, cleanup } = await portLog();
  try {
    await log.ensureTopic('t', 1);
    let delivered!: () => void;
    const arrived = new Promise<void>((resolve) => (delivered = resolve));
    const consumer = log.consumer({ groupId: 'g', topic: 't' });
    // The batch is never answered: the thread "dies" while handling it.
    await consumer.start({ onAssigned: async () => new Map(), onRevoked: async () => undefined, onBatch: () => (delivered(), new Promise<void>(() => undefined)) });
    await log.produce('t', [{ key: 'a', value: 'x' }]);
    await arrived;
    clientPort.close();
    host.lost('it exited');
    await host.close();
  } finally {
    await cleanup();
  }
});

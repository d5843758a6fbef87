/**
 * The EventLog port's conformance suite: every adapter (embedded, Kafka) must pass it unchanged.
 *
 * Assumptions kept deliberately loose so a real broker passes too: each test gets a fresh topic
 * (not necessarily a fresh log), creates it with an explicit partition count, derives its group
 * ids from the topic name, and waits for asynchronous outcomes (rebalances, deliveries) by polling
 * with generous timeouts instead of assuming any latency.
 *
 * Contract points this suite pins down beyond the port's doc comments:
 * - readRange(from, to) with `to` beyond the end offset yields up to the end offset (no waiting).
 * - A throwing onBatch never skips records: the same offsets are delivered again.
 * - After stop() resolves, the member's partitions were revoked and no batch reaches it.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { partitionForKey } from '../../src/partitioner.js';
import type { ConsumerHandlers, EventLog, LogConsumer, LogRecord, PartitionBatch, RecordPosition } from '../../src/ports/event-log.js';

export interface ConformanceSubject {
  log: EventLog;
  /** A topic name no other test uses; the test creates it. */
  topic: string;
  cleanup(): Promise<void>;
}

const WAIT_MS = 20_000;
const TEST_TIMEOUT_MS = 90_000;
const decoder = new TextDecoder();

export function eventLogConformance(name: string, makeLog: () => Promise<ConformanceSubject>): void {
  describe(`EventLog conformance: ${name}`, () => {
    const it = (title: string, body: (s: ConformanceSubject, track: (c: LogConsumer) => LogConsumer) => Promise<void>): void => {
      test(title, { timeout: TEST_TIMEOUT_MS }, async () => {
        const subject = await makeLog();
        const consumers: LogConsumer[] = [];
        try {
          await body(subject, (c) => (consumers.push(c), c));
        } finally {
          await Promise.allSettled(consumers.map((c) => c.stop()));
          await subject.cleanup();
        }
      });
    };

    it('ensureTopic is idempotent and reports the existing partition count', async ({ log, topic }) => {
      assert.equal(await log.ensureTopic(topic, 3), 3);
      assert.equal(await log.ensureTopic(topic, 3), 3);
      assert.equal(await log.ensureTopic(topic, 5), 3, 'an existing topic keeps its partition count');
      assert.equal(await log.partitionCount(topic), 3);
      assert.deepEqual(await log.endOffsets(topic), [0, 0, 0]);
    });

    it('clusterId names the log\'s storage and does not change', async ({ log }) => {
      const id = await log.clusterId();
      assert.match(id, /\S{8,}/);
      assert.equal(await log.clusterId(), id);
    });

    it('produce returns positions in input order, dense and ordered per partition, and the records read back intact', async ({ log, topic }) => {
      await log.ensureTopic(topic, 3);
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      const first = Array.from({ length: 24 }, (_, i) => ({ key: `k${i % 5}`, value: i === 7 ? binary : `v${i}` }));
      const second = Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 5}`, value: `w${i}` }));
      const produced = [...first, ...second];
      const positions = [...(await log.produce(topic, first)), ...(await log.produce(topic, second))];
      assert.equal(positions.length, produced.length);

      const nextOffset = [0, 0, 0];
      const expected: { key: string; value: Uint8Array }[][] = [[], [], []];
      produced.forEach((record, i) => {
        const { partition, offset } = positions[i]!;
        assert.equal(partition, partitionForKey(record.key, 3), `record ${i} partition`);
        assert.equal(offset, nextOffset[partition]!++, `record ${i} offset: dense, in input order`);
        expected[partition]!.push({ key: record.key, value: typeof record.value === 'string' ? new TextEncoder().encode(record.value) : record.value });
      });
      assert.deepEqual(await log.endOffsets(topic), nextOffset);

      for (let p = 0; p < 3; p++) {
        const records = await readAll(log, topic, p, 0, nextOffset[p]!);
        assert.deepEqual(records.map((r) => r.offset), range(0, nextOffset[p]!));
        records.forEach((r, i) => {
          assert.equal(r.partition, p);
          assert.equal(r.key, expected[p]![i]!.key);
          assert.ok(r.value instanceof Uint8Array);
          assert.deepEqual(Array.from(r.value), Array.from(expected[p]![i]!.value));
          assert.ok(Number.isFinite(r.timestamp) && Math.abs(r.timestamp - Date.now()) < 10 * 60_000, `timestamp ${r.timestamp} is near now`);
        });
      }
    });

    it('keyed records land on partitionForKey(key, n); null keys spread over every partition', async ({ log, topic }) => {
      await log.ensureTopic(topic, 7);
      const keys = ['', 'a', 'user-42', 'ключ-1', '🔑 key', 'x'.repeat(1000), ...Array.from({ length: 150 }, (_, i) => `device-${i * 7919}`)];
      const positions = await log.produce(topic, keys.map((key) => ({ key, value: key })));
      keys.forEach((key, i) => assert.equal(positions[i]!.partition, partitionForKey(key, 7), `key ${JSON.stringify(key.slice(0, 20))}`));

      const nullPositions = await log.produce(topic, Array.from({ length: 28 }, (_, i) => ({ key: null, value: `n${i}` })));
      assert.deepEqual([...new Set(nullPositions.map((p) => p.partition))].sort(), range(0, 7));
      const [one] = await readAll(log, topic, nullPositions[0]!.partition, nullPositions[0]!.offset, nullPositions[0]!.offset + 1);
      assert.equal(one!.key, null);
      assert.equal(decoder.decode(one!.value), 'n0');
    });

    it('endOffsets report the next offset of every partition', async ({ log, topic }) => {
      await log.ensureTopic(topic, 4);
      const counts = [3, 0, 5, 1];
      await log.produce(topic, counts.flatMap((n, p) => Array.from({ length: n }, (_, i) => ({ key: keyFor(p, 4, i), value: `p${p}-${i}` }))));
      assert.deepEqual(await log.endOffsets(topic), counts);
    });

    it('readRange yields exactly [from, to), clamped at the end offset', async ({ log, topic }) => {
      await log.ensureTopic(topic, 2);
      await log.produce(topic, range(0, 10).map((i) => ({ key: keyFor(1, 2, i), value: `r${i}` })));
      const offsets = async (from: number, to: number, p = 1): Promise<number[]> => (await readAll(log, topic, p, from, to)).map((r) => r.offset);
      assert.deepEqual(await offsets(3, 7), [3, 4, 5, 6]);
      assert.deepEqual(await offsets(0, 10), range(0, 10));
      assert.deepEqual(await offsets(4, 4), []);
      assert.deepEqual(await offsets(8, 1000), [8, 9]);
      assert.deepEqual(await offsets(10, 20), []);
      assert.deepEqual(await offsets(0, 5, 0), []);
      const values = (await readAll(log, topic, 1, 3, 5)).map((r) => decoder.decode(r.value));
      assert.deepEqual(values, ['r3', 'r4']);
    });

    it('a consumer starts each partition at the offset onAssigned returns and delivers in order, one batch at a time', async ({ log, topic }, track) => {
      await log.ensureTopic(topic, 2);
      await produceTo(log, topic, 2, [20, 20]);
      const recorder = new Recorder(() => new Map([[0, 5], [1, 12]]), 3);
      const consumer = track(log.consumer({ groupId: `${topic}-g`, topic, maxBatchRecords: 4 }));
      await consumer.start(recorder);
      assert.deepEqual(recorder.assignments, [[0, 1]]);
      assert.deepEqual([...consumer.assignment()].sort(), [0, 1]);
      await waitFor(() => recorder.delivered(0).length >= 15 && recorder.delivered(1).length >= 8, 'all records from the start offsets');
      assert.deepEqual(recorder.delivered(0), range(5, 20));
      assert.deepEqual(recorder.delivered(1), range(12, 20));
      for (const batch of recorder.batches) assert.ok(batch.records.length <= 4, `batch of ${batch.records.length} > maxBatchRecords`);
      assert.deepEqual(recorder.problems, []);
    });

    it('seek re-positions a partition, backwards and forwards', async ({ log, topic }, track) => {
      await log.ensureTopic(topic, 1);
      await produceTo(log, topic, 1, [6]);
      const recorder = new Recorder();
      const consumer = track(log.consumer({ groupId: `${topic}-g`, topic }));
      await consumer.start(recorder);
      await waitFor(() => recorder.delivered(0).length >= 6, 'first pass');
      consumer.seek(0, 2);
      await waitFor(() => recorder.delivered(0).length >= 10, 'redelivery after seeking back');
      consumer.seek(0, 5);
      await waitFor(() => recorder.delivered(0).length >= 11, 'delivery after seeking forward');
      assert.deepEqual(recorder.delivered(0), [...range(0, 6), ...range(2, 6), 5]);
      assert.deepEqual(recorder.problems, []);
    });

    it('tails the log: records produced after start are delivered', async ({ log, topic }, track) => {
      await log.ensureTopic(topic, 2);
      const recorder = new Recorder();
      const consumer = track(log.consumer({ groupId: `${topic}-g`, topic }));
      await consumer.start(recorder);
      await log.produce(topic, [{ key: keyFor(0, 2, 1), value: 'late-0' }]);
      await waitFor(() => recorder.delivered(0).length === 1, 'the record produced after start');
      await log.produce(topic, [{ key: keyFor(1, 2, 1), value: 'late-1' }, { key: keyFor(0, 2, 2), value: 'late-2' }]);
      await waitFor(() => recorder.delivered(0).length === 2 && recorder.delivered(1).length === 1, 'later records');
      assert.deepEqual(recorder.values(0), ['late-0', 'late-2']);
      assert.deepEqual(recorder.values(1), ['late-1']);
      assert.deepEqual(recorder.problems, []);
    });

    it('two members of one group split the partitions disjointly and cover them all', async ({ log, topic }, track) => {
      await log.ensureTopic(topic, 4);
      const groupId = `${topic}-g`;
      const a = new Recorder();
      const b = new Recorder();
      const ca = track(log.consumer({ groupId, topic }));
      const cb = track(log.consumer({ groupId, topic }));
      await ca.start(a);
      await cb.start(b);
      await waitForSplit([ca, cb], [a, b], 4);
      await produceTo(log, topic, 4, [1, 1, 1, 1]);
      const ownerOf = (p: number): Recorder => (ca.assignment().includes(p) ? a : b);
      await waitFor(() => range(0, 4).every((p) => ownerOf(p).sinceAssignment(p).length === 1), 'each owner receives its partition');
      for (let p = 0; p < 4; p++) {
        const other = ownerOf(p) === a ? b : a;
        assert.deepEqual(other.sinceAssignment(p), [], `partition ${p} delivered to a non-owner`);
      }
      assert.deepEqual(a.problems, []);
      assert.deepEqual(b.problems, []);
    });

    it('when a member stops, its partitions move to the other and resume from the offsets onAssigned returns', async ({ log, topic }, track) => {
      await log.ensureTopic(topic, 4);
      await produceTo(log, topic, 4, [5, 5, 5, 5]);
      const groupId = `${topic}-g`;
      let resumeAt = 0;
      const a = new Recorder((parts) => new Map(parts.map((p) => [p, resumeAt])));
      const b = new Recorder();
      const ca = track(log.consumer({ groupId, topic }));
      const cb = track(log.consumer({ groupId, topic }));
      await ca.start(a);
      await cb.start(b);
      await waitForSplit([ca, cb], [a, b], 4);
      const bPartitions = [...cb.assignment()].sort();
      await waitFor(() => bPartitions.every((p) => b.sinceAssignment(p).length === 5), 'b reads its partitions');

      resumeAt = 3;
      await cb.stop();
      await cb.stop();
      assert.deepEqual(cb.assignment(), []);
      assert.deepEqual(b.owned, new Set(), 'stop revoked every partition of the stopped member');
      assert.deepEqual([...b.revocations.flat()].filter((p) => bPartitions.includes(p)).sort(), bPartitions);
      const bBatches = b.batches.length;

      await waitFor(() => sameSet(ca.assignment(), range(0, 4)) && sameSet([...a.owned], range(0, 4)), 'a owns every partition');
      await waitFor(() => range(0, 4).every((p) => a.sinceAssignment(p).length === 2), 'a resumes every partition at offset 3');
      for (let p = 0; p < 4; p++) assert.deepEqual(a.sinceAssignment(p), [3, 4], `partition ${p} resumes at 3`);

      await log.produce(topic, [{ key: keyFor(bPartitions[0]!, 4, 99), value: 'after-stop' }]);
      await waitFor(() => a.sinceAssignment(bPartitions[0]!).length === 3, 'a tails the partition it took over');
      assert.equal(b.batches.length, bBatches, 'no batch reaches a stopped member');
      assert.deepEqual(a.problems, []);
      assert.deepEqual(b.problems, []);
    });

    it('stop revokes, is idempotent, and no batch follows it', async ({ log, topic }, track) => {
      await log.ensureTopic(topic, 2);
      const recorder = new Recorder();
      const consumer = track(log.consumer({ groupId: `${topic}-g`, topic }));
      await consumer.start(recorder);
      await consumer.stop();
      await consumer.stop();
      assert.deepEqual(recorder.revocations.flat().sort(), [0, 1]);
      assert.deepEqual(consumer.assignment(), []);
      await produceTo(log, topic, 2, [2, 2]);
      await sleep(500);
      assert.equal(recorder.batches.length, 0);
    });

    it('a failing onBatch does not skip records: the same offsets are delivered again', async ({ log, topic }, track) => {
      await log.ensureTopic(topic, 1);
      await produceTo(log, topic, 1, [5]);
      const recorder = new Recorder();
      recorder.failures = 2;
      const consumer = track(log.consumer({ groupId: `${topic}-g`, topic }));
      await consumer.start(recorder);
      await waitFor(() => recorder.delivered(0).length >= 5, 'delivery after the failures');
      assert.equal(recorder.failed.length, 2);
      assert.equal(recorder.failed[0]!.records[0]!.offset, 0);
      assert.deepEqual(recorder.delivered(0), range(0, 5));
      assert.deepEqual(recorder.problems, []);
    });

    it('committed offsets round-trip per group and partition', async ({ log, topic }) => {
      await log.ensureTopic(topic, 3);
      const g1 = `${topic}-g1`;
      const g2 = `${topic}-g2`;
      assert.equal((await log.committedOffsets(g1, topic)).size, 0);
      await log.commitOffsets(g1, topic, [{ partition: 0, offset: 5 }, { partition: 2, offset: 7 }]);
      assert.deepEqual(await log.committedOffsets(g1, topic), new Map([[0, 5], [2, 7]]));
      await log.commitOffsets(g1, topic, [{ partition: 0, offset: 6 }]);
      assert.deepEqual(await log.committedOffsets(g1, topic), new Map([[0, 6], [2, 7]]));
      assert.equal((await log.committedOffsets(g2, topic)).size, 0, 'groups are independent');
    });
  });
}

/** Records every callback, checks the port's delivery promises, and exposes what arrived. */
export class Recorder implements ConsumerHandlers {
  readonly owned = new Set<number>();
  readonly assignments: number[][] = [];
  readonly revocations: number[][] = [];
  /** Batches whose onBatch resolved, in arrival order. */
  readonly batches: PartitionBatch[] = [];
  readonly failed: PartitionBatch[] = [];
  readonly problems: string[] = [];
  /** How many upcoming onBatch calls throw. */
  failures = 0;
  private readonly inFlight = new Set<number>();
  private readonly since = new Map<number, number[]>();

  constructor(
    private readonly startOffsets: (partitions: number[]) => Map<number, number> = (parts) => new Map(parts.map((p) => [p, 0])),
    private readonly delayMs = 0,
  ) {}

  async onAssigned(partitions: number[]): Promise<Map<number, number>> {
    this.assignments.push([...partitions].sort((x, y) => x - y));
    for (const p of partitions) {
      this.owned.add(p);
      this.since.set(p, []);
    }
    return this.startOffsets(partitions);
  }

  async onRevoked(partitions: number[]): Promise<void> {
    this.revocations.push([...partitions]);
    for (const p of partitions) this.owned.delete(p);
  }

  async onBatch(batch: PartitionBatch): Promise<void> {
    const p = batch.partition;
    if (!this.owned.has(p)) this.problems.push(`batch of partition ${p}, which this member does not own`);
    if (this.inFlight.has(p)) this.problems.push(`two onBatch calls of partition ${p} at once`);
    this.inFlight.add(p);
    try {
      if (this.delayMs > 0) await sleep(this.delayMs);
      batch.records.forEach((r, i) => {
        if (r.partition !== p) this.problems.push(`record of partition ${r.partition} in a batch of ${p}`);
        if (i > 0 && r.offset <= batch.records[i - 1]!.offset) this.problems.push(`offsets not increasing in a batch of ${p}`);
      });
      const last = batch.records[batch.records.length - 1];
      if (last && batch.highWatermark < last.offset + 1) this.problems.push(`highWatermark ${batch.highWatermark} below offset ${last.offset} + 1`);
      if (this.failures > 0) {
        this.failures--;
        this.failed.push(batch);
        throw new Error('planned onBatch failure (conformance test)');
      }
      this.batches.push(batch);
      this.since.get(p)?.push(...batch.records.map((r) => r.offset));
    } finally {
      this.inFlight.delete(p);
    }
  }

  /** Offsets of partition p from every handled batch, in delivery order. */
  delivered(p: number): number[] {
    return this.batches.filter((b) => b.partition === p).flatMap((b) => b.records.map((r) => r.offset));
  }

  values(p: number): string[] {
    return this.batches.filter((b) => b.partition === p).flatMap((b) => b.records.map((r) => decoder.decode(r.value)));
  }

  /** Offsets of partition p handled since the last onAssigned that included it. */
  sinceAssignment(p: number): number[] {
    return [...(this.since.get(p) ?? [])];
  }
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(25);
  }
}

async function waitForSplit(consumers: LogConsumer[], recorders: Recorder[], partitions: number): Promise<void> {
  await waitFor(() => {
    const all = consumers.flatMap((c) => c.assignment());
    return (
      consumers.every((c, i) => c.assignment().length > 0 && sameSet(c.assignment(), [...recorders[i]!.owned])) &&
      all.length === partitions &&
      sameSet(all, range(0, partitions))
    );
  }, `the group's members to split ${partitions} partitions disjointly`);
}

export async function readAll(log: EventLog, topic: string, partition: number, from: number, to: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const chunk of log.readRange(topic, partition, from, to)) out.push(...chunk);
  return out;
}

/** A key that Kafka's partitioner sends to `partition` of an n-partition topic. */
export function keyFor(partition: number, partitionCount: number, salt: number): string {
  for (let i = 0; ; i++) {
    const key = `key-${salt}-${i}`;
    if (partitionForKey(key, partitionCount) === partition) return key;
  }
}

async function produceTo(log: EventLog, topic: string, partitionCount: number, counts: number[]): Promise<RecordPosition[]> {
  return log.produce(topic, counts.flatMap((n, p) => range(0, n).map((i) => ({ key: keyFor(p, partitionCount, i), value: `p${p}-${i}` }))));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

function sameSet(a: number[], b: number[]): boolean {
  const sa = new Set(a);
  return sa.size === a.length && sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { INFRA_SKIP_REASON, requireInfra } from '../../test/support/infra-env.js';
import { KafkaEventLog, type KafkaEventLogOptions } from '../src/adapters/kafka/index.js';
import { ConflictError, LaminaError, NotFoundError, UnavailableError } from '../src/errors.js';
import { createLogger } from '../src/observability/logger.js';
import { partitionForKey } from '../src/partitioner.js';
import type { LogRecord } from '../src/ports/event-log.js';
import { Recorder, eventLogConformance, readAll, waitFor } from './conformance/event-log-conformance.js';

const infra = requireInfra();

if (!infra) {
  test('KafkaEventLog against a real broker', { skip: INFRA_SKIP_REASON }, () => undefined);
} else {
  const brokers = infra.kafkaBrokers;
  const logger = createLogger({ name: 'kafka-test', level: process.env.LAMINA_LOG_LEVEL ?? 'silent' });
  // Short heartbeats and long-polls: rebalances and stop() take a fraction of a second instead of seconds.
  const fast: Omit<KafkaEventLogOptions, 'brokers'> = {
    clientId: 'lamina-test',
    logger,
    consumer: { heartbeatIntervalMs: 200, maxWaitTimeMs: 100, sessionTimeoutMs: 10_000 },
    retryBackoff: { initialMs: 50, maxMs: 500 },
    onConsumerError: () => undefined,
  };
  const log = new KafkaEventLog({ brokers, ...fast });
  const plain = new Kafka({ brokers, clientId: 'lamina-test-plain', logLevel: logLevel.NOTHING });
  const newTopic = (): string => `lamina-test-${randomUUID()}`;
  const dropTopic = (topic: string): Promise<void> =>
    log.deleteTopic(topic).catch((error) => {
      if (!(error instanceof NotFoundError)) throw error;
    });

  after(() => log.close());

  eventLogConformance('kafka', async () => {
    const topic = newTopic();
    return { log, topic, cleanup: () => dropTopic(topic) };
  });

  describe('KafkaEventLog (Kafka-specific)', () => {
    const withTopic = (title: string, body: (topic: string) => Promise<void>): void => {
      test(title, { timeout: 60_000 }, async () => {
        const topic = newTopic();
        try {
          await body(topic);
        } finally {
          await dropTopic(topic);
        }
      });
    };

    withTopic('positions equal what readRange reads back: concurrent produce calls and requests split by size', async (topic) => {
      await log.ensureTopic(topic, 3);
      const small = new KafkaEventLog({ brokers, ...fast, maxRequestBytes: 2000 });
      try {
        const calls = Array.from({ length: 6 }, (_, c) =>
          Array.from({ length: 40 }, (_, i) => ({ key: i % 4 === 0 ? null : `c${c}-k${i % 7}`, value: `c${c}-${i}-${'x'.repeat(i * 5)}` })),
        );
        const results = await Promise.all(calls.map((records, c) => (c % 2 === 0 ? log : small).produce(topic, records)));
        const stored = new Map<string, string>();
        const ends = await log.endOffsets(topic);
        for (let p = 0; p < 3; p++) {
          const records = await readAll(log, topic, p, 0, ends[p]!);
          assert.deepEqual(records.map((r) => r.offset), Array.from({ length: ends[p]! }, (_, i) => i), `partition ${p} is dense`);
          for (const r of records) stored.set(`${p}/${r.offset}`, new TextDecoder().decode(r.value));
        }
        const seen = new Set<string>();
        results.forEach((positions, c) =>
          positions.forEach((pos, i) => {
            const at = `${pos.partition}/${pos.offset}`;
            assert.equal(stored.get(at), calls[c]![i]!.value, `call ${c} record ${i} at ${at}`);
            assert.ok(!seen.has(at), `position ${at} returned twice`);
            seen.add(at);
          }),
        );
        assert.equal(seen.size, ends.reduce((a, b) => a + b, 0), 'every stored record is one returned position');
      } finally {
        await small.close();
      }
    });

    withTopic('deleteTopic removes the topic; a missing one is a NotFoundError', async (topic) => {
      await log.ensureTopic(topic, 2);
      await log.deleteTopic(topic);
      await assert.rejects(log.partitionCount(topic), NotFoundError);
      await assert.rejects(log.deleteTopic(topic), NotFoundError);
    });

    withTopic('a keyed record from a plain kafkajs producer (Java murmur2 partitioner) lands where partitionForKey predicts', async (topic) => {
      const partitions = 7;
      await log.ensureTopic(topic, partitions);
      const keys = ['', 'a', 'user-42', 'ключ-1', '🔑 key', 'x'.repeat(300), ...Array.from({ length: 60 }, (_, i) => `device-${i * 7919}`)];
      const producer = plain.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      await producer.connect();
      let foreign: { partition: number; baseOffset?: string }[];
      try {
        foreign = [];
        // An ancient producer timestamp: topics made by ensureTopic keep the broker's append time instead.
        for (const key of keys) foreign.push(...(await producer.send({ topic, acks: -1, messages: [{ key, value: `foreign:${key}`, timestamp: '1000' }] })));
      } finally {
        await producer.disconnect();
      }
      keys.forEach((key, i) => assert.equal(foreign[i]!.partition, partitionForKey(key, partitions), `key ${JSON.stringify(key.slice(0, 12))}`));
      const ours = await log.produce(topic, keys.map((key) => ({ key, value: `ours:${key}` })));
      keys.forEach((key, i) => assert.equal(ours[i]!.partition, foreign[i]!.partition, 'the adapter and a plain producer agree'));
      const target = foreign[keys.indexOf('user-42')]!;
      const [record] = await readAll(log, topic, target.partition, Number(target.baseOffset), Number(target.baseOffset) + 1);
      assert.equal(record!.key, 'user-42');
      assert.equal(new TextDecoder().decode(record!.value), 'foreign:user-42');
      assert.ok(Math.abs(record!.timestamp - Date.now()) < 60_000, `LogAppendTime: timestamp ${record!.timestamp} is the broker's, not the producer's`);
    });

    withTopic('a consumer starts at the offsets onAssigned returns, not at the committed ones; an omitted partition starts at the committed offset', async (topic) => {
      await log.ensureTopic(topic, 1);
      await log.produce(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `v${i}` })));
      const groupId = `${topic}-g`;
      await log.commitOffsets(groupId, topic, [{ partition: 0, offset: 8 }]);

      const runOnce = async (startOffsets: (parts: number[]) => Map<number, number>, expected: number[]): Promise<void> => {
        const recorder = new Recorder(startOffsets);
        const consumer = log.consumer({ groupId, topic });
        try {
          await consumer.start(recorder);
          await waitFor(() => recorder.delivered(0).length >= expected.length, `offsets ${expected[0]}..9`);
          await new Promise((resolve) => setTimeout(resolve, 300));
          assert.deepEqual(recorder.delivered(0), expected);
          assert.deepEqual(recorder.problems, []);
        } finally {
          await consumer.stop();
        }
      };
      await runOnce(() => new Map([[0, 3]]), [3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(await log.committedOffsets(groupId, topic), new Map([[0, 8]]), 'consuming commits nothing by itself');
      await runOnce(() => new Map([[0, 6]]), [6, 7, 8, 9]);
      await runOnce(() => new Map(), [8, 9]);
    });

    withTopic('a seek from inside onBatch cuts the running batch short; the next batch starts at the sought offset', async (topic) => {
      await log.ensureTopic(topic, 1);
      await log.produce(topic, Array.from({ length: 10 }, (_, i) => ({ key: null, value: `v${i}` })));
      const recorder = new Recorder();
      const consumer = log.consumer({ groupId: `${topic}-g`, topic, maxBatchRecords: 2 });
      let sought = false;
      const onBatch = recorder.onBatch.bind(recorder);
      recorder.onBatch = async (batch) => {
        await onBatch(batch);
        if (!sought && batch.records[0]!.offset === 2) {
          sought = true;
          consumer.seek(0, 1);
        }
      };
      try {
        await consumer.start(recorder);
        await waitFor(() => recorder.delivered(0).length >= 13, 'redelivery from offset 1');
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(recorder.delivered(0), [0, 1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert.deepEqual(recorder.problems, []);
      } finally {
        await consumer.stop();
      }
    });

    withTopic('more members than partitions: start() resolves for a member that got nothing; a failing first onAssigned fails start()', async (topic) => {
      await log.ensureTopic(topic, 1);
      const groupId = `${topic}-g`;
      const [a, b] = [new Recorder(), new Recorder()];
      const ca = log.consumer({ groupId, topic });
      const cb = log.consumer({ groupId, topic });
      try {
        await ca.start(a);
        await cb.start(b);
        await waitFor(() => ca.assignment().length + cb.assignment().length === 1 && a.owned.size + b.owned.size === 1, 'one owner of partition 0');
        assert.ok(b.assignments.length >= 1, 'the member without partitions was told so (onAssigned([]))');
        const failing = new Recorder();
        failing.onAssigned = async () => {
          throw new Error('planned onAssigned failure');
        };
        await assert.rejects(log.consumer({ groupId: `${topic}-other`, topic }).start(failing), /planned onAssigned failure/);
        await assert.rejects(log.consumer({ groupId, topic: newTopic() }).start(new Recorder()), NotFoundError);
      } finally {
        await Promise.all([ca.stop(), cb.stop()]);
      }
    });

    withTopic('offsets the log skips (transaction markers from a transactional producer) end readRange and do not stall a consumer', async (topic) => {
      await log.ensureTopic(topic, 1);
      const producer = plain.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      try {
        const txn = await producer.transaction();
        await txn.send({ topic, messages: [0, 1, 2].map((i) => ({ key: 'k', value: `t${i}`, partition: 0 })) });
        await txn.commit();
      } finally {
        await producer.disconnect();
      }
      // The commit marker is written after commit() returns; until then the end offset (the last stable offset) stays put.
      let end = 0;
      for (const deadline = Date.now() + 10_000; end !== 4 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) end = (await log.endOffsets(topic))[0]!;
      assert.equal(end, 4, 'three records and the commit marker');
      assert.deepEqual((await readAll(log, topic, 0, 0, end)).map((r) => r.offset), [0, 1, 2]);
      assert.deepEqual(await readAll(log, topic, 0, 3, end), [], 'a range holding only the marker ends too');
      const [after] = await log.produce(topic, [{ key: 'k', value: 'after' }]);
      assert.equal(after!.offset, 4);
      const recorder = new Recorder(() => new Map([[0, 3]]));
      const consumer = log.consumer({ groupId: `${topic}-g`, topic });
      try {
        await consumer.start(recorder);
        await waitFor(() => recorder.delivered(0).length >= 1, 'the record after the marker');
        assert.deepEqual(recorder.delivered(0), [4]);
        assert.deepEqual(recorder.problems, []);
      } finally {
        await consumer.stop();
      }
    });

    withTopic('commits go through the live member of this process; a live group elsewhere is refused', async (topic) => {
      await log.ensureTopic(topic, 2);
      const groupId = `${topic}-g`;
      const consumer = log.consumer({ groupId, topic });
      const other = new KafkaEventLog({ brokers, ...fast });
      try {
        await consumer.start(new Recorder());
        await log.commitOffsets(groupId, topic, [{ partition: 1, offset: 4 }]);
        assert.deepEqual(await other.committedOffsets(groupId, topic), new Map([[1, 4]]));
        await assert.rejects(other.commitOffsets(groupId, topic, [{ partition: 0, offset: 1 }]), ConflictError);
        await consumer.stop();
        await other.commitOffsets(groupId, topic, [{ partition: 0, offset: 2 }]);
        assert.deepEqual(await log.committedOffsets(groupId, topic), new Map([[0, 2], [1, 4]]));
      } finally {
        await consumer.stop();
        await other.close();
      }
    });

    withTopic('readRange reads across several fetches and leaves no throwaway group behind, even when the caller stops early', async (topic) => {
      await log.ensureTopic(topic, 1);
      const big = 'y'.repeat(100_000);
      await log.produce(topic, Array.from({ length: 30 }, (_, i) => ({ key: null, value: `${i}:${big}` })));
      const chunks: LogRecord[][] = [];
      for await (const chunk of log.readRange(topic, 0, 2, 29)) chunks.push(chunk);
      assert.ok(chunks.length >= 2, `expected several fetches for 2.7 MB, got ${chunks.length}`);
      assert.deepEqual(chunks.flat().map((r) => r.offset), Array.from({ length: 27 }, (_, i) => i + 2));
      for await (const chunk of log.readRange(topic, 0, 0, 30)) {
        assert.equal(chunk[0]!.offset, 0);
        break;
      }
      const admin = plain.admin();
      await admin.connect();
      try {
        const { groups } = await admin.listGroups();
        assert.deepEqual(groups.filter((g) => g.groupId.startsWith('lamina-read-')), []);
      } finally {
        await admin.disconnect();
      }
    });

    test('errors: a missing topic is NotFoundError, an unreachable broker is a retriable UnavailableError', async () => {
      const started = Date.now();
      await assert.rejects(log.partitionCount(newTopic()), NotFoundError);
      await assert.rejects(log.endOffsets(newTopic()), NotFoundError);
      await assert.rejects(log.produce(newTopic(), [{ key: 'k', value: 'v' }]), NotFoundError);
      assert.ok(Date.now() - started < 5000, 'missing topics are reported without kafkajs retry loops');

      const nowhere = new KafkaEventLog({ brokers: ['127.0.0.1:1'], logger, connectionTimeoutMs: 300, retry: { retries: 1, initialRetryTimeMs: 50 } });
      try {
        const error = await nowhere.ensureTopic('lamina-test-unreachable', 1).then(
          () => assert.fail('ensureTopic on an unreachable broker resolved'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof UnavailableError, `got ${(error as Error)?.name}: ${(error as Error)?.message}`);
        assert.equal((error as LaminaError).retriable, true);
        assert.ok((error as LaminaError).cause, 'the kafkajs error is kept as cause');
        assert.match((error as Error).message, /127\.0\.0\.1:1/);
      } finally {
        await nowhere.close();
      }
    });
  });
}


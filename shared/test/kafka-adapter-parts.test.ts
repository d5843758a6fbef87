// The Kafka adapter's broker-free parts: the delivery filter, the reader handoff, error mapping, options.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { Handoff } from '../src/adapters/kafka/handoff.js';
import { hasKafkaType, kafkaErrorMapper } from '../src/adapters/kafka/kafka-errors.js';
import { resolveKafkaOptions } from '../src/adapters/kafka/kafka-options.js';
import { PartitionCursor } from '../src/adapters/kafka/partition-cursor.js';
import { ConfigError, LaminaError, NotFoundError, UnavailableError } from '../src/errors.js';

// kafkajs is CommonJS and spreads its error classes into module.exports, so Node sees no named exports for them.
const { KafkaJSConnectionError, KafkaJSDeleteGroupsError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;

const records = (from: number, to: number): { offset: number }[] => Array.from({ length: to - from }, (_, i) => ({ offset: from + i }));
const offsets = (rs: { offset: number }[]): number[] => rs.map((r) => r.offset);

describe('PartitionCursor', () => {
  test('delivers a batch fetched at or before the position from the position on', () => {
    const cursor = new PartitionCursor(5);
    assert.deepEqual(offsets(cursor.select(0, records(0, 8), false)), [5, 6, 7]);
    assert.deepEqual(offsets(cursor.select(5, records(5, 9), false)), [5, 6, 7, 8]);
  });

  test('drops every batch while a seek is pending, even one that looks usable', () => {
    const cursor = new PartitionCursor(0);
    cursor.seek(2);
    assert.deepEqual(cursor.select(0, records(0, 10), true), []);
    assert.equal(cursor.expected, 2);
  });

  test('a batch fetched beyond the position without a pending seek means the log skipped those offsets', () => {
    const cursor = new PartitionCursor(3);
    assert.deepEqual(offsets(cursor.select(7, records(7, 9), false)), [7, 8]);
    assert.equal(cursor.expected, 7);
  });

  test('a delivery that began before a seek does not move the position the seek set', () => {
    const cursor = new PartitionCursor(0);
    const epoch = cursor.epoch;
    cursor.seek(2); // e.g. from inside onBatch
    assert.equal(cursor.advance(epoch, 6), false);
    assert.equal(cursor.expected, 2);
    assert.equal(cursor.advance(cursor.epoch, 6), true);
    assert.equal(cursor.expected, 6);
    assert.equal(cursor.advance(cursor.epoch, 4), true, 'never moves backwards by itself');
    assert.equal(cursor.expected, 6);
  });
});

describe('Handoff', () => {
  test('put resolves only once the reader took the item; end and errors come after queued items', async () => {
    const handoff = new Handoff<number>();
    let taken = false;
    const put = handoff.put(1).then(() => (taken = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(taken, false);
    assert.deepEqual(await handoff.take(1000, () => new Error('timeout')), { done: false, item: 1 });
    await put;
    assert.equal(taken, true);
    handoff.end();
    assert.deepEqual(await handoff.take(1000, () => new Error('timeout')), { done: true });
    assert.deepEqual(await handoff.take(1000, () => new Error('timeout')), { done: true }, 'done stays done');
  });

  test('take times out without progress; close releases a waiting put', async () => {
    const handoff = new Handoff<number>();
    await assert.rejects(handoff.take(20, () => new UnavailableError('no progress')), UnavailableError);
    const failing = new Handoff<number>();
    failing.fail(new Error('crashed'));
    await assert.rejects(failing.take(1000, () => new Error('timeout')), /crashed/);
    const closing = new Handoff<number>();
    const put = closing.put(1);
    closing.close();
    await put;
    await closing.put(2); // after close, nothing waits
  });
});

describe('kafka error mapping', () => {
  const map = kafkaErrorMapper(['k1:9092', 'k2:9092']);

  test('connection failures and exhausted retries are retriable UnavailableErrors naming the brokers, with the cause kept', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    const exhausted = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 1000 });
    for (const error of [refused, exhausted]) {
      const mapped = map(error, 'ensureTopic(t, 3)');
      assert.ok(mapped instanceof UnavailableError);
      assert.equal(mapped.retriable, true);
      assert.equal(mapped.cause, error);
      assert.match(mapped.message, /^ensureTopic\(t, 3\): Kafka at k1:9092,k2:9092 is unreachable/);
    }
  });

  test('unknown topics are NotFoundErrors, rejected requests are not retriable', () => {
    const unknown = new KafkaJSProtocolError({ message: 'This server does not host this topic-partition', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true } as never);
    assert.ok(map(new KafkaJSNumberOfRetriesExceeded(unknown, { retryCount: 5, retryTime: 1 }), 'produce') instanceof NotFoundError);
    const rejected = map(new KafkaJSProtocolError({ message: 'Replication factor is invalid', type: 'INVALID_REPLICATION_FACTOR', code: 38, retriable: false } as never), 'ensureTopic');
    assert.equal(rejected.code, 'KAFKA_REJECTED');
    assert.equal(rejected.retriable, false);
    const lamina = new LaminaError('X', 'already mapped');
    assert.equal(map(lamina, 'anything'), lamina);
  });

  test('hasKafkaType looks into DeleteGroups results', () => {
    const notFound = new KafkaJSProtocolError({ message: 'not found', type: 'GROUP_ID_NOT_FOUND', code: 69, retriable: false } as never);
    const error = new KafkaJSDeleteGroupsError('Error in DeleteGroups', [{ groupId: 'g', errorCode: 69, error: notFound }] as never);
    assert.equal(hasKafkaType(error, 'GROUP_ID_NOT_FOUND'), true);
    assert.equal(hasKafkaType(error, 'NOT_COORDINATOR'), false);
  });
});

describe('KafkaEventLog options', () => {
  test('brokers and timings are validated with actionable ConfigErrors', () => {
    assert.throws(() => resolveKafkaOptions({ brokers: [] }), ConfigError);
    assert.throws(() => resolveKafkaOptions({ brokers: ['localhost'] }), /host:port/);
    assert.throws(() => resolveKafkaOptions({ brokers: ['h:1'], consumer: { heartbeatIntervalMs: 5000, sessionTimeoutMs: 5000 } }), /heartbeatIntervalMs/);
    const resolved = resolveKafkaOptions({ brokers: ['h:1'] });
    assert.equal(resolved.topicConfig['message.timestamp.type'], 'LogAppendTime');
    assert.equal(resolved.replicationFactor, 1);
  });
});

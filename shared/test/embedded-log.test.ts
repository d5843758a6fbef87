import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { ConflictError, NotFoundError, ValidationError } from '../src/errors.js';
import { EmbeddedEventLog, type ConsumerErrorContext } from '../src/adapters/embedded-log/index.js';
import { rangeAssign } from '../src/adapters/embedded-log/consumer-group.js';
import { crc32, crc32Table } from '../src/adapters/embedded-log/crc32.js';
import { Recorder, eventLogConformance, keyFor, readAll, waitFor } from './conformance/event-log-conformance.js';

eventLogConformance('embedded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-embedded-log-'));
  const log = await EmbeddedEventLog.open({ dir, onWarning: () => undefined, onConsumerError: () => undefined });
  return {
    log,
    topic: `conformance-${Math.random().toString(36).slice(2, 10)}`,
    cleanup: async () => {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('EmbeddedEventLog (embedded-only behaviour)', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'lamina-embedded-log-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  test('reopening after close keeps topics, records, timestamps and committed offsets', async () => {
    const dir = await tempDir();
    const log = await EmbeddedEventLog.open({ dir });
    await log.ensureTopic('events', 3);
    await log.ensureTopic('other', 1);
    const binary = randomBytes(5000);
    await log.produce('events', [
      { key: 'a', value: 'one' },
      { key: null, value: binary },
      { key: 'b', value: '' },
      { key: 'ключ', value: 'two' },
    ]);
    await log.produce('other', [{ key: null, value: 'x' }]);
    await log.commitOffsets('g', 'events', [{ partition: 1, offset: 2 }]);
    const before = await snapshot(log, 'events');
    await log.close();

    const reopened = await EmbeddedEventLog.open({ dir });
    try {
      assert.equal(await reopened.partitionCount('events'), 3);
      assert.equal(await reopened.partitionCount('other'), 1);
      assert.deepEqual(await snapshot(reopened, 'events'), before);
      assert.deepEqual(await reopened.endOffsets('other'), [1]);
      assert.deepEqual(await reopened.committedOffsets('g', 'events'), new Map([[1, 2]]));
      const [next] = await reopened.produce('events', [{ key: 'a', value: 'three' }]);
      const aPartition = before.find((r) => r.key === 'a')!.partition;
      assert.deepEqual(next, { partition: aPartition, offset: before.filter((r) => r.partition === aPartition).length });
      const records = await readAll(reopened, 'events', aPartition, 0, next!.offset + 1);
      for (let i = 1; i < records.length; i++) assert.ok(records[i]!.timestamp >= records[i - 1]!.timestamp, 'timestamps never go back');
    } finally {
      await reopened.close();
    }
  });

  test('a second open of the same folder is refused while the first is open, and allowed after close', async () => {
    const dir = await tempDir();
    const log = await EmbeddedEventLog.open({ dir });
    await assert.rejects(EmbeddedEventLog.open({ dir }), (e: unknown) => e instanceof ConflictError && /in use by process/.test(e.message));
    await log.close();
    const again = await EmbeddedEventLog.open({ dir });
    await again.close();
  });

  test('a stale lock of a dead process is taken over, with a warning', async () => {
    const dir = await tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    assert.ok(deadPid > 0);
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: deadPid, token: 'stale', acquiredAt: '2020-01-01T00:00:00Z' }));
    const warnings: string[] = [];
    const log = await EmbeddedEventLog.open({ dir, onWarning: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`stale lock .* process ${deadPid}`));
    assert.equal(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')).pid, process.pid);
    await log.close();
    await assert.rejects(readFile(join(dir, 'LOCK')), { code: 'ENOENT' });
  });

  test('concurrent produce calls to one partition are group-committed: far fewer fsyncs than calls', async () => {
    const log = await EmbeddedEventLog.open({ dir: await tempDir() });
    try {
      await log.ensureTopic('t', 1);
      const before = log.ioStats();
      const positions = await Promise.all(Array.from({ length: 50 }, (_, i) => log.produce('t', [{ key: 'k', value: `v${i}` }])));
      const after = log.ioStats();
      assert.deepEqual(positions.map(([p]) => p!.offset), Array.from({ length: 50 }, (_, i) => i), 'offsets follow call order');
      assert.ok(after.syncs - before.syncs < 10, `${after.syncs - before.syncs} fsyncs for 50 concurrent produce calls`);
      assert.equal(after.writes - before.writes, after.syncs - before.syncs);
      const values = (await readAll(log, 't', 0, 0, 50)).map((r) => new TextDecoder().decode(r.value));
      assert.deepEqual(values, Array.from({ length: 50 }, (_, i) => `v${i}`));
    } finally {
      await log.close();
    }
  });

  test('the newest records reach readers from memory as they read from the file after a reopen', async () => {
    const dir = await tempDir();
    const log = await EmbeddedEventLog.open({ dir });
    const bytes = new Uint8Array([1, 2, 3]);
    try {
      await log.ensureTopic('t', 1);
      await log.produce('t', [{ key: 'a', value: 'zero' }, { key: null, value: bytes }, { key: 'c\ud800', value: 'plain' }]);
      bytes[0] = 9; // the caller's array changes after the call: the log holds its own copy
      const recorder = new Recorder();
      const consumer = log.consumer({ groupId: 'g', topic: 't' });
      await consumer.start(recorder);
      await waitFor(() => recorder.delivered(0).length === 3, 'delivery');
      const delivered = recorder.batches.flatMap((b) => b.records);
      assert.deepEqual(delivered.map((r) => [r.key, [...r.value]]), [['a', [...Buffer.from('zero')]], [null, [1, 2, 3]], ['c\ufffd', [...Buffer.from('plain')]]], 'a lone surrogate in a key reads as U+FFFD, as from the file');
      const ranged = await readAll(log, 't', 0, 0, 3);
      assert.deepEqual(ranged.map((r) => [r.key, [...r.value]]), delivered.map((r) => [r.key, [...r.value]]));
      await consumer.stop();
    } finally {
      await log.close();
    }
    const reopened = await EmbeddedEventLog.open({ dir });
    try {
      const records = await readAll(reopened, 't', 0, 0, 3);
      assert.deepEqual(records.map((r) => [r.offset, r.key, [...r.value]]), [[0, 'a', [...Buffer.from('zero')]], [1, null, [1, 2, 3]], [2, 'c\ufffd', [...Buffer.from('plain')]]]);
    } finally {
      await reopened.close();
    }
  });

  test('values from memory are the bytes in the file, for text with multi-byte characters, in small groups (views of the write buffer) and in one above 1 MiB (copies)', async () => {
    const dir = await tempDir();
    const value = (i: number) => `{"n":${i},"s":"${'é✓𝄞'.repeat(i % 7)}${'x'.repeat(i % 300)}"}`;
    const small = Array.from({ length: 20 }, (_, i) => ({ key: null, value: value(i) }));
    const big = Array.from({ length: 6_000 }, (_, i) => ({ key: null, value: value(20 + i) })); // about 1.2 MB in one group
    const tail = Array.from({ length: 20 }, (_, i) => ({ key: null, value: value(7_000 + i) }));
    const expected = [...small, ...big, ...tail].map((r) => r.value);
    const log = await EmbeddedEventLog.open({ dir });
    try {
      await log.ensureTopic('t', 1);
      await log.produce('t', small);
      await log.produce('t', big);
      await log.produce('t', tail);
      const fromMemory = await readAll(log, 't', 0, expected.length - 4_096, expected.length);
      assert.deepEqual(fromMemory.map((r) => Buffer.from(r.value).toString('utf8')), expected.slice(-4_096));
      const early = await readAll(log, 't', 0, 0, 20);
      assert.deepEqual(early.map((r) => Buffer.from(r.value).toString('utf8')), expected.slice(0, 20));
    } finally {
      await log.close();
    }
    const reopened = await EmbeddedEventLog.open({ dir });
    try {
      const fromFile = await readAll(reopened, 't', 0, 0, expected.length);
      assert.deepEqual(fromFile.map((r) => Buffer.from(r.value).toString('utf8')), expected);
    } finally {
      await reopened.close();
    }
  });

  test('onBatch failures are reported to onConsumerError and the same batch is retried with backoff', async () => {
    const errors: { error: unknown; context: ConsumerErrorContext; at: number }[] = [];
    const log = await EmbeddedEventLog.open({
      dir: await tempDir(),
      retryBackoff: { initialMs: 40, maxMs: 80 },
      onConsumerError: (error, context) => errors.push({ error, context, at: Date.now() }),
    });
    try {
      await log.ensureTopic('t', 2);
      await log.produce('t', [0, 1, 2].map((i) => ({ key: keyFor(1, 2, i), value: `v${i}` })));
      const recorder = new Recorder();
      recorder.failures = 3;
      const consumer = log.consumer({ groupId: 'g', topic: 't' });
      await consumer.start(recorder);
      await waitFor(() => recorder.delivered(1).length === 3, 'delivery after three failures');
      assert.deepEqual(recorder.delivered(1), [0, 1, 2]);
      assert.equal(errors.length, 3);
      for (const { context } of errors) assert.deepEqual(context, { groupId: 'g', topic: 't', phase: 'onBatch', partition: 1, offset: 0 });
      assert.match((errors[0]!.error as Error).message, /planned onBatch failure/);
      assert.ok(errors[1]!.at - errors[0]!.at >= 35 && errors[2]!.at - errors[1]!.at >= 75, 'backoff 40 ms, then 80 ms');
      await consumer.stop();
    } finally {
      await log.close();
    }
  });

  test('onAssigned failing on the first assignment rejects start() and the group continues without that member', async () => {
    const log = await EmbeddedEventLog.open({ dir: await tempDir(), onConsumerError: () => undefined });
    try {
      await log.ensureTopic('t', 3);
      const good = new Recorder();
      const member = log.consumer({ groupId: 'g', topic: 't' });
      await member.start(good);
      const failing = log.consumer({ groupId: 'g', topic: 't' });
      await assert.rejects(
        failing.start({ ...good, onAssigned: async () => Promise.reject(new Error('cannot load state')), onRevoked: async () => {}, onBatch: async () => {} }),
        /cannot load state/,
      );
      assert.deepEqual(failing.assignment(), []);
      assert.deepEqual(member.assignment().sort(), [0, 1, 2]);
      await failing.stop();
      await member.stop();
    } finally {
      await log.close();
    }
  });

  test('range assignment matches Kafka: contiguous ranges, the first members take the remainder', async () => {
    assert.deepEqual([...rangeAssign(5, ['m2', 'm1'])], [['m1', [0, 1, 2]], ['m2', [3, 4]]]);
    assert.deepEqual([...rangeAssign(2, ['a', 'b', 'c'])], [['a', [0]], ['b', [1]], ['c', []]]);
    const log = await EmbeddedEventLog.open({ dir: await tempDir() });
    try {
      await log.ensureTopic('t', 5);
      const members = [0, 1, 2].map(() => log.consumer({ groupId: 'g', topic: 't' }));
      for (const m of members) await m.start(new Recorder());
      assert.deepEqual(members.map((m) => m.assignment()), [[0, 1], [2, 3], [4]]);
      await members[0]!.stop();
      assert.deepEqual(members.slice(1).map((m) => m.assignment()), [[0, 1, 2], [3, 4]]);
    } finally {
      await log.close();
    }
  });

  test('close() stops running consumers (onRevoked) and later calls fail with LOG_CLOSED', async () => {
    const log = await EmbeddedEventLog.open({ dir: await tempDir() });
    await log.ensureTopic('t', 2);
    const recorder = new Recorder();
    await log.consumer({ groupId: 'g', topic: 't' }).start(recorder);
    await log.close();
    assert.deepEqual(recorder.revocations, [[0, 1]]);
    await assert.rejects(log.produce('t', [{ key: null, value: 'x' }]), { code: 'LOG_CLOSED' });
    await assert.rejects(log.endOffsets('t'), { code: 'LOG_CLOSED' });
    await log.close();
  });

  test('bad input is rejected with actionable errors', async () => {
    const log = await EmbeddedEventLog.open({ dir: await tempDir(), maxRecordBytes: 100 });
    try {
      await assert.rejects(log.produce('missing', [{ key: null, value: 'x' }]), NotFoundError);
      await assert.rejects(log.ensureTopic('bad/name', 1), ValidationError);
      await assert.rejects(log.ensureTopic('t', 0), ValidationError);
      await log.ensureTopic('t', 2);
      await assert.rejects(log.produce('t', [{ key: null, value: 'x'.repeat(101) }]), /above maxRecordBytes 100/);
      await assert.rejects(readAll(log, 't', 2, 0, 1), ValidationError);
      await assert.rejects(readAll(log, 't', 0, 5, 1), ValidationError);
      await assert.rejects(log.commitOffsets('g', 't', [{ partition: 9, offset: 1 }]), ValidationError);
      const consumer = log.consumer({ groupId: 'g', topic: 't' });
      await consumer.start(new Recorder());
      assert.throws(() => consumer.seek(7, 0), ValidationError);
      assert.throws(() => consumer.seek(0, -1), ValidationError);
      await assert.rejects(consumer.start(new Recorder()), ValidationError);
      await consumer.stop();
      assert.deepEqual(await log.endOffsets('t'), [0, 0], 'nothing of a rejected produce call was stored');
    } finally {
      await log.close();
    }
  });

  test('the table crc32 fallback agrees with the native one', () => {
    for (const size of [0, 1, 7, 64, 1000, 65_537]) {
      const data = randomBytes(size);
      assert.equal(crc32Table(data), crc32(data), `size ${size}`);
    }
    assert.equal(crc32Table(new TextEncoder().encode('123456789')), 0xcbf43926);
  });
});

async function snapshot(log: EmbeddedEventLog, topic: string) {
  const ends = await log.endOffsets(topic);
  const all = [];
  for (let p = 0; p < ends.length; p++) all.push(...(await readAll(log, topic, p, 0, ends[p]!)));
  return all.map((r) => ({ ...r, value: Buffer.from(r.value).toString('base64') }));
}

/**
 * Under a backlog the archiver reads on while a flush is written; a flush that fails while the consumer
 * waits on it makes the log deliver that batch again. Every offset must still land in the lake once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeltaTable, type ConsumerOptions, EmbeddedEventLog, EventValidator, LocalObjectStore, UnavailableError, createRegistry, encodeEvent, lakeLayout, silentLogger, type ObjectStore } from '@lamina/shared';
import { Archiver } from '../src/index.js';
import { testConfig } from '../../test/support/test-config.js';
import { waitFor } from '../../test/support/log-facts.js';

/** The real local store, whose data-file writes fail while `failures` lasts (a store that is down). */
function failingDataWrites(store: LocalObjectStore, state: { failures: number }): ObjectStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== 'put' && name !== 'putIfAbsent') return typeof value === 'function' ? value.bind(target) : value;
      return async (key: string, body: Uint8Array | string) => {
        if (key.endsWith('.parquet') && state.failures > 0) {
          state.failures--;
          throw new UnavailableError(`injected: ${key} not written`);
        }
        return (value as (k: string, b: Uint8Array | string) => Promise<unknown>).call(target, key, body);
      };
    },
  });
}

/**
 * 1,000 events archived while `failures` flushes fail: in a data-file write (before anything is
 * committed), or in the log's committed offsets (after the lake commits, once the buffer is released).
 */
async function backlogThroughFailures(failing: 'data files' | 'committed offsets'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-archiver-'));
  // No timer flush: each retry of a failed flush comes from the consumer's re-delivery (quick here), so
  // the re-delivered batch is buffered while the failed one may still be there.
  const config = testConfig({ partitions: 1, archiver: { flushRecords: 40, flushIntervalMs: 60_000 } });
  const redelivered: number[] = [];
  const log = await EmbeddedEventLog.open({
    dir: join(dir, 'log'),
    fsync: false,
    retryBackoff: { initialMs: 1, maxMs: 5 },
    onConsumerError: (_error, context) => void (context.phase === 'onBatch' && redelivered.push(context.offset ?? -1)),
  });
  const local = new LocalObjectStore({ root: join(dir, 'lake') });
  const state = { failures: 0 };
  // Batches of 20 against flushes of 40: the consumer is waiting on a flush when it fails.
  const smallBatches = new Proxy(log, {
    get: (target, name, receiver) => (name === 'consumer' ? (options: ConsumerOptions) => target.consumer({ ...options, maxBatchRecords: 20 }) : Reflect.get(target, name, receiver)),
  });
  const failingOffsets = new Proxy(smallBatches, {
    get: (target, name, receiver) =>
      name === 'commitOffsets' && failing === 'committed offsets'
        ? async (...args: Parameters<EmbeddedEventLog['commitOffsets']>) => {
            if (state.failures > 0) {
              state.failures--;
              throw new UnavailableError('injected: committed offsets not written');
            }
            return target.commitOffsets(...args);
          }
        : Reflect.get(target, name, receiver),
  });
  const store = failing === 'data files' ? failingDataWrites(local, state) : local;
  const archiver = new Archiver({ config, log: failingOffsets, store, logger: silentLogger, registry: createRegistry() });
  try {
    await log.ensureTopic(config.topic, config.partitions);
    const validator = new EventValidator(config);
    const n = 1000;
    const events = Array.from({ length: n }, (_, i) => {
      const r = validator.validate({ id: `e${i}`, type: 'page_view', ts: Date.UTC(2026, 10, 20, i % 24), data: { url: `/${i % 3}`, country: 'DE', userId: `u${i % 17}`, durationMs: i } });
      return r.ok ? r.event : assert.fail('invalid test event');
    });
    await log.produce(config.topic, events.map((e) => ({ key: validator.keyOf(e), value: encodeEvent(e) })));
    state.failures = 3;
    await archiver.start();
    // Like an operator's retry: catch-up reports a failed final flush, and the next call goes on.
    for (let attempt = 0; ; attempt++) {
      try {
        await archiver.catchUp();
        break;
      } catch (error) {
        if (!(error instanceof UnavailableError) || attempt > 10) throw error;
      }
    }
    assert.equal(state.failures, 0, 'the injected failures happened');
    assert.ok(redelivered.length > 0, 'a failed flush made the log deliver a batch again');

    const raw = DeltaTable.open(local, lakeLayout.rawTable('page_view'));
    const all = await raw.readAll(await raw.snapshot());
    const offsets = Array.from({ length: all.numRows }, (_, i) => Number(all.getChild('_offset')!.get(i))).sort((a, b) => a - b);
    assert.equal(offsets.length, n, 'as many rows as events');
    assert.deepEqual(offsets, Array.from({ length: n }, (_, i) => i), 'each offset once');
  } finally {
    await archiver.stop();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('a backlog archived through failing flushes: every offset once', { timeout: 60_000 }, () => backlogThroughFailures('data files'));

// A flush that failed after its commits had released the buffer made the consumer's re-delivered batch
// be buffered a second time: its events were archived twice at the same positions, and the batch
// run's deduplication, which drops later copies by position, then dropped both copies.
test('a backlog archived while committing the log offsets fails: every offset once', { timeout: 60_000 }, () => backlogThroughFailures('committed offsets'));

test('the tail of a backlog is archived at once, not at the flush timer', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-archiver-'));
  // A timer that never fires within the test: only the end of the backlog can flush the tail.
  const config = testConfig({ partitions: 2, archiver: { flushRecords: 40, flushIntervalMs: 600_000 } });
  const log = await EmbeddedEventLog.open({ dir: join(dir, 'log'), fsync: false });
  const smallBatches = new Proxy(log, {
    get: (target, name, receiver) => (name === 'consumer' ? (options: ConsumerOptions) => target.consumer({ ...options, maxBatchRecords: 30 }) : Reflect.get(target, name, receiver)),
  });
  const archiver = new Archiver({ config, log: smallBatches, store: new LocalObjectStore({ root: join(dir, 'lake') }), logger: silentLogger, registry: createRegistry() });
  try {
    await log.ensureTopic(config.topic, config.partitions);
    const validator = new EventValidator(config);
    const n = 1013; // not a multiple of a flush
    const events = Array.from({ length: n }, (_, i) => {
      const r = validator.validate({ id: `e${i}`, type: 'page_view', ts: Date.UTC(2026, 10, 20, i % 24), data: { url: `/${i % 3}`, country: 'DE', userId: `u${i % 17}`, durationMs: i } });
      return r.ok ? r.event : assert.fail('invalid test event');
    });
    await log.produce(config.topic, events.map((e) => ({ key: validator.keyOf(e), value: encodeEvent(e) })));
    await archiver.start();
    const archived = await waitFor('every event archived', async () => {
      const total = [...(await archiver.frontier()).values()].reduce((a, b) => a + b, 0);
      return total === n ? total : undefined;
    }, 20_000);
    assert.equal(archived, n);
  } finally {
    await archiver.stop();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});

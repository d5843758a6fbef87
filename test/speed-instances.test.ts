/**
 * Two speed instances in one consumer group share the partitions; the serving side sees every
 * partition covered exactly once, and when one instance stops its partitions move to the other
 * without losing or doubling an event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedEventLog, EventValidator, LocalObjectStore, createRegistry, encodeEvent, silentLogger, type LaminaEvent } from '@lamina/shared';
import { ServingLayer } from '@lamina/serving-layer';
import { Archiver, BatchJob } from '@lamina/batch-layer';
import { SpeedLayer } from '@lamina/speed-layer';
import { testConfig } from './support/test-config.js';
import { bruteForce, assertSameRows } from './support/brute-force.js';

const config = testConfig();

test('two instances cover all partitions exactly once, and survive one leaving', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-speed-'));
  const log = await EmbeddedEventLog.open({ dir: join(dir, 'log'), fsync: false });
  const store = new LocalObjectStore({ root: join(dir, 'lake') });
  const make = (instance: string) => new SpeedLayer({ config, log, store, logger: silentLogger, registry: createRegistry(), instance, generationPollMs: 0 });
  const a = make('a');
  const b = make('b');
  const validator = new EventValidator(config);
  const accepted: LaminaEvent[] = [];
  const produce = async (n: number, prefix: string) => {
    const events = Array.from({ length: n }, (_, i) => validator.validate({ id: `${prefix}${i}`, type: 'page_view', ts: Date.UTC(2026, 10, 20, i % 24), data: { url: `/${i % 3}`, country: 'DE', userId: `u${i % 17}`, durationMs: i } }));
    const ok = events.map((r) => (r.ok ? r.event : assert.fail('invalid test event')));
    await log.produce(config.topic, ok.map((e) => ({ key: validator.keyOf(e), value: encodeEvent(e) })));
    accepted.push(...ok);
  };
  // The serving layer over both instances (not started: only its generations and queries are used).
  const serving = new ServingLayer({ config, log, store, realtime: [a, b], logger: silentLogger, registry: createRegistry(), generationPollMs: 0 });
  const { queries, generations: loaded } = serving;
  const check = async (label: string) => {
    for (let i = 0; i < 400; i++) {
      const status = await Promise.all([a.status(), b.status()]);
      const ends = await log.endOffsets(config.topic);
      const folded = status.flatMap((s) => s.generations.at(-1)?.partitions ?? []).reduce((sum, c) => sum + c.toOffset, 0);
      if (folded >= ends.reduce((x, y) => x + y, 0)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const answer = await queries.query('pageviews', { granularity: 'hour', groupBy: ['url'] });
    assertSameRows(answer.rows, bruteForce(config, accepted, 'pageviews', { granularity: 'hour', groupBy: ['url'] }), new Set(), label);
    return answer;
  };
  try {
    await log.ensureTopic(config.topic, config.partitions);
    await a.start();
    await b.start();
    await new Promise((r) => setTimeout(r, 50));
    const owned = [...(await a.status()).generations[0]!.partitions, ...(await b.status()).generations[0]!.partitions].map((c) => c.partition).sort();
    assert.deepEqual(owned, [0, 1, 2], 'the group shares out every partition once');
    assert.ok((await a.status()).generations[0]!.partitions.length > 0 && (await b.status()).generations[0]!.partitions.length > 0, 'both instances own partitions');

    await produce(300, 'x');
    const first = await check('two instances');
    assert.equal(first.meta.coverage.length, 3);

    // A batch in between: both instances rebuild for generation 1.
    const registry = createRegistry();
    const archiver = new Archiver({ config, log, store, logger: silentLogger, registry });
    await archiver.start();
    await archiver.catchUp();
    const manifest = await new BatchJob({ config, store, logger: silentLogger, registry, scratchDir: join(dir, 'scratch') }).run();
    await Promise.all([a.addGeneration(manifest), b.addGeneration(manifest)]);
    await loaded.refresh();
    await produce(200, 'y');
    assert.equal((await check('after a batch')).meta.generation, 1);

    await b.stop();
    await produce(100, 'z');
    const after = await check('after instance b left');
    assert.deepEqual(after.meta.coverage.map((c) => c.partition), [0, 1, 2]);
    await archiver.stop();
  } finally {
    await a.stop();
    await b.stop();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * Retention on MinIO and Kafka: after compactions, date rewrites and a changed view definition, the
 * vacuum removes old generations, the files no live generation reads and the old definition's table
 * — and nothing a live generation reads: answers stay exact, from a serving layer started afresh and
 * after the next batch run. A dry run reports the same and removes nothing; objects younger than the
 * age are never touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DeltaTable, GenerationStore, KafkaEventLog, S3ObjectStore, dataFileKey, silentLogger, validateConfig, type ObjectStore } from '@lamina/shared';
import { vacuumLake } from '@lamina/batch-layer';
import { testConfig } from './support/test-config.js';
import { InProcessLamina } from './support/in-process-lamina.js';
import { INFRA_SKIP_REASON, dropRunInfra, requireInfra } from './support/infra-env.js';
import { pageViews } from './support/http.js';

const infra = requireInfra();
const DAY = Date.UTC(2026, 9, 12);
const MONTH = 30 * 86_400_000;

async function objectCount(store: ObjectStore): Promise<number> {
  let n = 0;
  for await (const _ of store.list('')) n++;
  return n;
}

async function answers(lamina: InProcessLamina) {
  await lamina.waitForRealtime();
  const views = await lamina.serving.queries.query('pageviews', { granularity: 'hour', groupBy: ['url'] });
  const revenue = await lamina.serving.queries.query('revenue', { granularity: 'all', groupBy: ['country'] });
  return { views: views.rows, revenue: revenue.rows };
}

test('lake vacuum removes what no live generation reads, and nothing that one does', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 240_000 }, async () => {
  const { kafkaBrokers, s3 } = infra!;
  const run = randomUUID().slice(0, 8);
  const config = testConfig({ topic: `lamina-vacuum-${run}`, batch: { maxDeltaFilesPerDate: 1 } });
  const log = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-vacuum-${run}`, consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, maxWaitTimeMs: 100 } });
  const admin = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-vacuum-admin-${run}` });
  const store = new S3ObjectStore({ ...s3, prefix: `lamina-test/vacuum-${run}` });
  const lamina = await InProcessLamina.start(config, { log, store, groupSuffix: `-${run}` });
  const purchase = (i: number) => ({ id: `pu-${run}-${i}`, type: 'purchase', ts: new Date(DAY + i * 60_000).toISOString(), data: { country: ['DE', 'FR'][i % 2], userId: `u${i}`, revenue: i } });
  try {
    // Nine small flushes on one date: the next run compacts them (the small raw files leave the table).
    for (let round = 0; round < 9; round++) {
      await lamina.serving.ingest.ingest([...pageViews(20, { prefix: `pv-${run}-${round}`, from: DAY, spreadMs: 86_400_000 }), purchase(round)]);
      await lamina.archiver.catchUp();
    }
    await lamina.runBatch();
    // Another run on the same date rewrites it (maxDeltaFilesPerDate 1): the first run's view files leave the tables.
    await lamina.serving.ingest.ingest([...pageViews(20, { prefix: `pv-${run}-late`, from: DAY, spreadMs: 86_400_000 }), purchase(50)]);
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    // A changed definition of `revenue`: a new table; the old one is read only by older generations.
    const changed = validateConfig({ ...config, views: { ...config.views, revenue: { ...config.views.revenue, measures: { ...config.views.revenue!.measures, maxOrder: { kind: 'max', field: 'revenue' } } } } });
    await lamina.restart(changed);
    await lamina.runBatch();
    const before = await answers(lamina);
    const generations = (await new GenerationStore(store).list()).map((g) => g.generation);
    assert.deepEqual(generations, [1, 2, 3]);

    const options = { olderThanMs: 7 * 86_400_000, keepGenerations: 1, now: Date.now() + MONTH };
    const objects = await objectCount(store);
    const young = await vacuumLake(store, changed, { ...options, dryRun: false, now: Date.now() }, silentLogger);
    assert.deepEqual({ ...young, dryRun: false }, { dryRun: false, generations: [], dataFiles: 0, bytes: 0, viewTables: [], runRecords: 0 }, 'nothing is old yet: nothing removed');
    const dry = await vacuumLake(store, changed, { ...options, dryRun: true }, silentLogger);
    assert.equal(await objectCount(store), objects, 'a dry run removes nothing');
    assert.deepEqual(dry.generations, [1, 2]);
    assert.ok(dry.dataFiles >= 2, `compacted raw files and rewritten view files: ${JSON.stringify(dry)}`);
    assert.equal(dry.viewTables.length, 2, `the old definition of revenue, at its own grain and rolled up by day: ${dry.viewTables.join(', ')}`);
    for (const table of dry.viewTables) assert.match(table, /^views\/revenue\//);

    const done = await vacuumLake(store, changed, { ...options, dryRun: false }, silentLogger);
    assert.deepEqual({ ...done, dryRun: true }, dry, 'the same as the dry run said');
    assert.ok((await objectCount(store)) < objects);
    // Every file the live generation reads is still there.
    const newest = await new GenerationStore(store).latest();
    for (const [table, version] of [...Object.entries(newest!.tableVersions), ...Object.values(newest!.views).flatMap((v) => [[v.table, v.version] as const, ...Object.values(v.rollups ?? {}).map((r) => [r!.table, r!.version] as const)])]) {
      for (const f of (await DeltaTable.open(store, table).snapshot(version)).files) assert.ok(await store.head(dataFileKey(table, f.path)), `${table}@${version}: ${f.path} is read by the live generation`);
    }
    assert.deepEqual((await vacuumLake(store, changed, { ...options, dryRun: false }, silentLogger)).dataFiles, 0, 'a second vacuum finds nothing more');

    // Serving started afresh on the vacuumed lake, and the next run, answer the same.
    await lamina.restart(changed);
    assert.deepEqual(await answers(lamina), before);
    await lamina.serving.ingest.ingest([purchase(60)]);
    await lamina.archiver.catchUp();
    const next = await lamina.runBatch();
    assert.equal(next.mode, 'incremental');
    const after = await answers(lamina);
    assert.deepEqual(after.views, before.views);
    assert.notDeepEqual(after.revenue, before.revenue, 'the new purchase counts');
  } finally {
    await lamina.stop();
    await dropRunInfra(admin, config.topic, store);
  }
});

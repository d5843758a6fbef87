/**
 * Kappa replay on Kafka and MinIO: `batch run --from-log` rebuilds every view from the log and
 * publishes a generation with the lake path's watermark, events, copies and quarantine — and the
 * same answers; the lake path then goes on from it. Where retention removed records the lake
 * covers, the replay refuses before doing anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaEventLog, LaminaError, S3ObjectStore, createRegistry, silentLogger } from '@lamina/shared';
import { BatchJob } from '@lamina/batch-layer';
import { testConfig } from './support/test-config.js';
import { InProcessLamina } from './support/in-process-lamina.js';
import { INFRA_SKIP_REASON, dropRunInfra, requireInfra } from './support/infra-env.js';
import { pageViews } from './support/http.js';

const infra = requireInfra();
const DAY = Date.UTC(2026, 8, 7);

async function answers(lamina: InProcessLamina) {
  await lamina.waitForRealtime();
  const q = lamina.serving.queries;
  return {
    byHour: (await q.query('pageviews', { granularity: 'hour', groupBy: ['url'] })).rows,
    allTime: (await q.query('pageviews', { granularity: 'all', groupBy: ['country'] })).rows,
    revenue: (await q.query('revenue', { granularity: 'day' })).rows,
    german: (await q.query('germanViews', { granularity: 'all' })).rows,
  };
}

test('batch run --from-log rebuilds the lake path\'s answers from the log, and refuses once retention removed records', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 240_000 }, async () => {
  const { kafkaBrokers, s3 } = infra!;
  const run = randomUUID().slice(0, 8);
  const config = testConfig({ topic: `lamina-kappa-${run}`, partitions: 2 });
  const log = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-kappa-${run}`, consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, maxWaitTimeMs: 100 } });
  const store = new S3ObjectStore({ ...s3, prefix: `lamina-test/kappa-${run}` });
  const scratchDir = await mkdtemp(join(tmpdir(), 'lamina-kappa-'));
  const lamina = await InProcessLamina.start(config, { log, store, groupSuffix: `-${run}` });
  const replayJob = new BatchJob({ config, store, log, logger: silentLogger, registry: createRegistry(), scratchDir });
  const purchase = (i: number) => ({ id: `pu-${run}-${i}`, type: 'purchase', ts: new Date(DAY + i * 3_600_000).toISOString(), data: { country: ['DE', 'FR', 'US'][i % 3], userId: `user-${i % 7}`, revenue: 5 + i, ...(i % 4 === 0 ? { coupon: 'X' } : {}) } });
  try {
    const views = pageViews(600, { prefix: `pv-${run}`, from: DAY, spreadMs: 3 * 86_400_000 });
    await lamina.serving.ingest.ingest([...views, ...Array.from({ length: 40 }, (_, i) => purchase(i))]);
    await lamina.serving.ingest.ingest(views.slice(0, 50)); // copies: deduplicated alike
    await log.produce(config.topic, [{ key: null, value: '{"not": "an event"' }]); // quarantined alike
    await lamina.archiver.catchUp();
    const lakePath = await lamina.runBatch();
    const expected = await answers(lamina);

    const replayed = await replayJob.run({ fromLog: true });
    await lamina.speed.addGeneration(replayed);
    await lamina.serving.generations.refresh();
    assert.equal(replayed.source, 'log');
    assert.equal(replayed.generation, lakePath.generation + 1);
    assert.deepEqual(
      { watermark: replayed.watermark, events: replayed.events, duplicates: replayed.duplicates, quarantined: replayed.quarantined },
      { watermark: lakePath.watermark, events: lakePath.events, duplicates: lakePath.duplicates, quarantined: lakePath.quarantined },
    );
    assert.equal((await lamina.serving.queries.freshness()).generation, replayed.generation, 'serving answers from the replayed generation');
    assert.deepEqual(await answers(lamina), expected, 'the same answers as the lake path');

    // The lake path goes on from the replayed generation (its tables are the replay's, so it recomputes in full).
    await lamina.serving.ingest.ingest([purchase(100)]);
    await lamina.archiver.catchUp();
    const next = await lamina.runBatch();
    assert.equal(next.events, lakePath.events + 1);
    const after = await answers(lamina);
    assert.deepEqual(after.byHour, expected.byHour);
    assert.notDeepEqual(after.revenue, expected.revenue);

    // Retention removed the first records of partition 0: the log no longer holds what the lake does.
    const kafka = new Kafka({ brokers: kafkaBrokers, clientId: `lamina-kappa-admin-${run}`, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [config.topic] });
      await admin.deleteTopicRecords({ topic: config.topic, partitions: [{ partition: 0, offset: '5' }] });
    } finally {
      await admin.disconnect();
    }
    await assert.rejects(replayJob.run({ fromLog: true }), (error: unknown) => error instanceof LaminaError && error.code === 'REPLAY_UNAVAILABLE' && /partition 0 .*starts at offset 5|cannot be read from offset 0/.test(error.message));
  } finally {
    await lamina.stop();
    await dropRunInfra(new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-kappa-cleanup-${run}` }), config.topic, store);
    await rm(scratchDir, { recursive: true, force: true });
  }
});

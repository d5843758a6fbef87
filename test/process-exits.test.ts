/**
 * Issue 6, item 4: a worker exited without a message. `lamina archive` on the embedded log exited 0,
 * silently, once it had caught up: every partition waited for appends (no handle), the flush timer is
 * unref'd, so the event loop drained — and the last partial buffer was never archived. Now a
 * long-running command stays up until it is told to stop, and every end is logged with a reason and
 * an exit code (0 only for a clean stop).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedEventLog, KafkaEventLog, LocalObjectStore, S3ObjectStore, withDeadline } from '@lamina/shared';
import { loadConfig } from '../cli/src/load-config.js';
import { INFRA_SKIP_REASON, requireInfra } from './support/infra-env.js';
import { archivedOffsets, produceEvents, rawRows, readTopic, validEvents, waitFor } from './support/log-facts.js';
import { freePort, runToEnd, startLayer, type LaminaProcess } from './support/processes.js';
import { pageViews } from './support/http.js';

const infra = requireInfra();
const READY = /health endpoints listening/;
/** An env that selects embedded mode although the test runner exports the stack's. */
const EMBEDDED = { LAMINA_KAFKA_BROKERS: '', LAMINA_S3_BUCKET: '', LAMINA_S3_ENDPOINT: '', LAMINA_TOPIC: '' };

/** 7,300 events: one flush at the 5,000-record threshold, and a 2,300 tail only the timer flushes. */
const BACKLOG = 7_300;

async function exitWithin(p: LaminaProcess, ms: number) {
  return withDeadline(p.exited, ms, () => new Error(`${p.name} still running ${ms} ms later:\n${p.output.slice(-10).join('\n')}`));
}

test('archive on Kafka + S3: archives a backlog to its last event, stays up when idle, and an unhandled rejection ends it with a fatal log line and exit 70', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 180_000 }, async () => {
  const run = randomUUID().slice(0, 8);
  const { kafkaBrokers, s3 } = infra!;
  const topic = `lamina-exits-${run}`;
  const prefix = `lamina-test/exits-${run}`;
  const { config: base } = await loadConfig(undefined);
  const config = { ...base, topic };
  const log = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-exits-${run}` });
  const store = new S3ObjectStore({ ...s3, prefix });
  const port = await freePort();
  let archiver: LaminaProcess | undefined;
  try {
    await log.ensureTopic(topic, config.partitions);
    await produceEvents(log, config, pageViews(BACKLOG, { prefix: run, from: Date.UTC(2026, 10, 20), spreadMs: 86_400_000 }));
    const onTopic = validEvents(config, await readTopic(log, topic)).length;
    assert.equal(onTopic, BACKLOG);

    archiver = await startLayer('archiver', ['archive'], {
      LAMINA_KAFKA_BROKERS: kafkaBrokers.join(','), LAMINA_TOPIC: topic, LAMINA_S3_ENDPOINT: s3.endpoint, LAMINA_S3_BUCKET: s3.bucket,
      LAMINA_S3_PREFIX: prefix, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region, PORT: String(port),
    }, READY, { nodeArgs: ['--import', './test/support/reject-on-sigusr2.mjs'] });

    await waitFor('the lake archives the whole backlog, tail included', async () => ((await archivedOffsets(store, config)) === onTopic ? true : undefined), 60_000);
    assert.equal(await rawRows(store, config), onTopic, 'each event on the topic is in the lake once');

    await sleep(3000); // idle, caught up: the moment the embedded archiver used to vanish
    assert.equal(archiver.child.exitCode, null, 'the archiver is still running after catching up');
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);

    archiver.child.kill('SIGUSR2');
    const end = await exitWithin(archiver, 20_000);
    assert.deepEqual(end, { code: 70, signal: null });
    assert.ok(archiver.output.some((line) => /"level":60.*unhandled promise rejection: injected by the test/.test(line)), `a fatal log line says why:\n${archiver.output.slice(-5).join('\n')}`);
  } finally {
    await archiver?.stop();
    await log.deleteTopic(topic).catch(() => undefined);
    await log.close();
    for await (const object of store.list('')) await store.delete(object.key);
    store.destroy();
  }
});

test('embedded: lamina archive over a backlog in the embedded log archives every event and runs until SIGTERM, then logs its stop and exits 0', { timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lamina-exits-'));
  const { config } = await loadConfig(undefined);
  let archiver: LaminaProcess | undefined;
  try {
    const embedded = await EmbeddedEventLog.open({ dir: join(dataDir, 'log'), fsync: false });
    await embedded.ensureTopic(config.topic, config.partitions);
    await produceEvents(embedded, config, pageViews(BACKLOG, { prefix: 'backlog', from: Date.UTC(2026, 10, 20), spreadMs: 86_400_000 }));
    await embedded.close();

    archiver = await startLayer('archiver', ['archive'], { ...EMBEDDED, LAMINA_DATA_DIR: dataDir, PORT: '0' }, READY);
    const lake = new LocalObjectStore({ root: join(dataDir, 'lake') });
    await waitFor('the lake archives the whole backlog, tail included', async () => ((await archivedOffsets(lake, config)) === BACKLOG ? true : undefined), 60_000);
    await sleep(3000);
    assert.equal(archiver.child.exitCode, null, 'still running after catching up (it used to exit 0 here, silently)');

    archiver.child.kill('SIGTERM');
    const end = await exitWithin(archiver, 30_000);
    assert.deepEqual(end, { code: 0, signal: null });
    assert.ok(archiver.output.some((line) => line.includes('lamina archive stopped (SIGTERM)')), archiver.output.slice(-5).join('\n'));

    // A one-shot command's stdout is its answer alone, its logs (and process warnings) on stderr.
    const env = { ...EMBEDDED, LAMINA_DATA_DIR: dataDir, LAMINA_LOG_LEVEL: 'info' };
    const batch = await runToEnd(['batch', 'run'], env, 120_000);
    assert.equal(batch.code, 0, batch.stderr);
    const batchLines = batch.stdout.trim().split('\n');
    assert.equal(batchLines.length, 1, `batch run printed only its manifest:\n${batch.stdout.slice(0, 2000)}`);
    assert.equal((JSON.parse(batchLines[0]!) as { events: number }).events, BACKLOG);
    assert.match(batch.stderr, /"msg":"config loaded"/);
    const history = await runToEnd(['batch', 'history', '--json'], env);
    assert.equal(history.code, 0, history.stderr);
    const records = history.stdout.trim().split('\n').map((line) => JSON.parse(line) as { status: string; gates: unknown[] });
    assert.deepEqual(records.map((r) => [r.status, Array.isArray(r.gates)]), [['published', true]]);
  } finally {
    await archiver?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

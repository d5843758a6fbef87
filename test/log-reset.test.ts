/**
 * Issue 6, item 1: a reset log loses nothing silently. The topic is deleted and recreated under
 * running layers (what a wiped broker looks like to Lamina): ingest answers 503 with the reason,
 * the archiver and the speed layer stop with an error that names the recovery, the batch does not
 * publish and alerts, /readyz and a metric show it. `lamina log new-epoch` recovers: events written
 * to the new log meanwhile and after are counted, the archived ones stay counted, none twice.
 * A second test wipes an embedded log folder (a new cluster id) and recovers the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventValidator, KafkaEventLog, S3ObjectStore, validateConfig, type LaminaEvent } from '@lamina/shared';
import example from '../cli/src/example-config.js';
import { INFRA_SKIP_REASON, laminaProcessEnv, requireInfra } from './support/infra-env.js';
import { freePort, kcatProduce, runToEnd, startLayer, type LaminaProcess } from './support/processes.js';
import { archivedOffsets, waitFor } from './support/log-facts.js';
import { pageViews, postEvents } from './support/http.js';
import { settleExact } from './support/exact-answers.js';

const infra = requireInfra();
const READY = /listening/;
const DAY = Date.UTC(2026, 10, 20);

async function alertSink(): Promise<{ url: string; alerts: { alert: string; message: string }[]; close(): void }> {
  const alerts: { alert: string; message: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as { alert: string; message: string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/alert`, alerts, close: () => server.close() };
}

async function exits(p: LaminaProcess, withinMs: number): Promise<{ code: number | null }> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${p.name} still running after ${withinMs} ms:\n${p.output.slice(-20).join('\n')}`)), withinMs));
  return Promise.race([p.exited, timeout]);
}

test('a recreated topic is refused by every layer, loudly; lamina log new-epoch recovers, exact', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 240_000 }, async (t) => {
  const { kafkaBrokers, s3 } = infra!;
  const run = randomUUID().slice(0, 8);
  const dir = await mkdtemp(join(tmpdir(), 'lamina-reset-'));
  const sink = await alertSink();
  const configFile = join(dir, 'lamina.config.mjs');
  const raw = { ...example, partitions: 2, batch: { alertWebhook: sink.url } };
  await writeFile(configFile, `export default ${JSON.stringify(raw)};\n`);
  const config = validateConfig({ ...raw, topic: `lamina-reset-${run}` });
  const [speedPort, servePort, archivePort] = [await freePort(), await freePort(), await freePort()];
  const env = laminaProcessEnv(infra!, { configFile, topic: config.topic, prefix: `lamina-test/reset-${run}`, scratchDir: join(dir, 'scratch') });
  const admin = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-reset-admin-${run}` });
  const store = new S3ObjectStore({ ...s3, prefix: env.LAMINA_S3_PREFIX });
  const processes: LaminaProcess[] = [];
  const start = async (name: string, args: string[], port: number, extra: Record<string, string> = {}) => {
    const p = await startLayer(name, args, { ...env, PORT: String(port), ...extra }, READY);
    processes.push(p);
    return p;
  };
  const serving = `http://127.0.0.1:${servePort}`;
  const validator = new EventValidator(config);
  const accepted: LaminaEvent[] = [];
  const accept = (events: unknown[]) => accepted.push(...events.map((e) => validator.validate(e)).map((r) => (r.ok ? r.event : assert.fail(r.reason))));
  try {
    await admin.ensureTopic(config.topic, config.partitions);
    let archiver = await start('archiver', ['archive'], archivePort);
    let speed = await start('speed', ['speed'], speedPort, { LAMINA_INSTANCE: 'speed-1' });
    await start('serve', ['serve'], servePort, { LAMINA_SPEED_URLS: `http://127.0.0.1:${speedPort}` });

    const before = pageViews(200, { prefix: `a-${run}`, from: DAY, spreadMs: 6 * 3600_000 });
    assert.equal((await postEvents(serving, before)).status, 200);
    accept(before);
    await waitFor('the archiver archives the first events', async () => ((await archivedOffsets(store, config)) === 200 ? true : undefined), 60_000);
    const first = await runToEnd(['batch', 'run'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout.trim().split('\n').at(-1)!).generation, 1);
    await settleExact(serving, config, accepted, 'before the reset');

    // The reset: the topic is deleted and created again, its offsets start at 0 below the archived 200.
    await admin.deleteTopic(config.topic);
    await waitFor('the topic is gone', async () => ((await admin.partitionCount(config.topic).catch(() => 0)) === 0 ? true : undefined), 30_000);
    await admin.ensureTopic(config.topic, config.partitions);
    const reset = Date.now();
    // Another producer writes to the new log during the outage: these must be counted in the end.
    const foreign = pageViews(40, { prefix: `k-${run}`, from: DAY + 7 * 3600_000, spreadMs: 3600_000 });
    await kcatProduce(kafkaBrokers.join(','), config.topic, foreign.map((e) => ({ key: (e as { data: { userId: string } }).data.userId, value: JSON.stringify(e) })));
    accept(foreign);

    let probe = 0;
    const refused = await waitFor('ingest refuses the reset log', async () => {
      const event = pageViews(1, { prefix: `x-${run}-${probe++}`, from: DAY, spreadMs: 1000 });
      const r = await postEvents(serving, event);
      // Until the guard's next check, ingest still accepts — into the new log, whose events are counted in the end.
      if (r.status === 200) accept(event);
      return r.status === 503 ? r : undefined;
    }, 30_000);
    t.diagnostic(`ingest answered 503 ${Date.now() - reset} ms after the reset`);
    const refusal = refused.body as unknown as { error: string; retriable: boolean };
    assert.match(refusal.error, /the log is not the log the lake describes: the log is behind what the lake archived/);
    assert.match(refusal.error, /lamina log new-epoch/);
    const ready = await waitFor('/readyz turns not ready', async () => {
      const r = await fetch(`${serving}/readyz`);
      return r.status === 503 ? ((await r.json()) as { dependencies: Record<string, { ok: boolean }> }) : undefined;
    }, 15_000);
    assert.equal(ready.dependencies['log-identity']!.ok, false);
    assert.match(await (await fetch(`${serving}/metrics`)).text(), /lamina_log_identity_ok 0/);

    for (const layer of [archiver, speed]) {
      const end = await exits(layer, 30_000);
      assert.notEqual(end.code, 0, `${layer.name} stops with an error`);
      assert.ok(layer.output.some((line) => /not the log the lake describes/.test(line) && /lamina log new-epoch/.test(line)), `${layer.name} says what happened and how to recover`);
    }
    const refusedBatch = await runToEnd(['batch', 'run'], env);
    assert.equal(refusedBatch.code, 75, 'the batch does not publish');
    assert.match(refusedBatch.stderr, /not the log the lake describes/);
    assert.deepEqual(sink.alerts.map((a) => a.alert), ['lamina_log_mismatch']);

    // The recovery: one command, then the layers start again.
    const recovery = await runToEnd(['log', 'new-epoch'], env);
    assert.equal(recovery.code, 0, recovery.stderr);
    const summary = JSON.parse(recovery.stdout.trim().split('\n').at(-1)!) as { epoch: number; sealed: { epoch: number; frontier: number[] }[]; generation: number; events: number };
    assert.equal(summary.epoch, 1);
    assert.deepEqual(summary.sealed.map((s) => [s.epoch, s.frontier.reduce((a, b) => a + b, 0)]), [[0, 200]]);
    assert.equal(summary.generation, 2);
    assert.equal(summary.events, 200, 'the new generation covers everything archived of the old log');
    archiver = await start('archiver-2', ['archive'], archivePort);
    speed = await start('speed-2', ['speed'], speedPort, { LAMINA_INSTANCE: 'speed-1' });
    await waitFor('ingest accepts again', async () => (await fetch(`${serving}/readyz`)).status === 200 ? true : undefined, 30_000);
    const after = pageViews(60, { prefix: `b-${run}`, from: DAY + 2 * 86_400_000, spreadMs: 3600_000 });
    assert.equal((await postEvents(serving, after)).status, 200);
    accept(after);
    await settleExact(serving, config, accepted, 'after the new epoch');
    await waitFor('the new log is archived, in epoch 1', async () => ((await archivedOffsets(store, config, 1)) === accepted.length - 200 ? true : undefined), 60_000);
    const third = await runToEnd(['batch', 'run'], env);
    assert.equal(third.code, 0, third.stderr);
    const manifest = JSON.parse(third.stdout.trim().split('\n').at(-1)!) as { generation: number; epoch: number; events: number };
    assert.deepEqual({ generation: manifest.generation, epoch: manifest.epoch, events: manifest.events }, { generation: 3, epoch: 1, events: accepted.length });
    await settleExact(serving, config, accepted, 'after a batch of the new epoch');
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    sink.close();
    await admin.deleteTopic(config.topic).catch(() => undefined);
    await admin.close();
    for await (const object of store.list('')) await store.delete(object.key);
    store.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});

test('embedded: a wiped log folder (a new log id) refuses to start; lamina log new-epoch recovers, exact', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-reset-embedded-'));
  const port = await freePort();
  // Embedded mode whatever the runner's infrastructure environment says.
  const env = { LAMINA_DATA_DIR: dir, PORT: String(port), LAMINA_KAFKA_BROKERS: '', LAMINA_S3_ENDPOINT: '', LAMINA_S3_BUCKET: '' };
  const base = `http://127.0.0.1:${port}`;
  const config = validateConfig(example);
  const validator = new EventValidator(config);
  const accepted: LaminaEvent[] = [];
  const post = async (events: unknown[]) => {
    assert.equal((await postEvents(base, events)).status, 200);
    accepted.push(...events.map((e) => validator.validate(e)).map((r) => (r.ok ? r.event : assert.fail(r.reason))));
  };
  let dev = await startLayer('dev', ['dev', '--no-schedule'], env, /Lamina is running/);
  try {
    await post(pageViews(100, { prefix: 'a', from: DAY, spreadMs: 3600_000 }));
    const batch = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation { runBatch { generation events } }' }) });
    assert.deepEqual(((await batch.json()) as { data: unknown }).data, { runBatch: { generation: 1, events: 100 } });
    await dev.stop();

    await rm(join(dir, 'log'), { recursive: true, force: true });
    const refused = await runToEnd(['dev', '--no-schedule'], env, 60_000);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr + refused.stdout, /the log's cluster id is embedded-\S+, but the lake describes cluster embedded-\S+/);
    assert.match(refused.stderr + refused.stdout, /lamina log new-epoch/);

    const recovery = await runToEnd(['log', 'new-epoch'], env);
    assert.equal(recovery.code, 0, recovery.stderr);
    assert.equal((JSON.parse(recovery.stdout.trim().split('\n').at(-1)!) as { epoch: number }).epoch, 1);
    dev = await startLayer('dev', ['dev', '--no-schedule'], env, /Lamina is running/);
    await post(pageViews(50, { prefix: 'b', from: DAY, spreadMs: 3600_000 }));
    await settleExact(base, config, accepted, 'after the new epoch');
  } finally {
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

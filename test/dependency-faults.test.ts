/**
 * Issue 6, items 2, 5 and 6: a stalled broker, a stalled object store and a crashed broker, on a
 * real Kafka + MinIO of this file's own (the shared stack other files use is never paused). Every
 * final answer is compared with an independent count: the records really on the topic, read back
 * through the EventLog — not what HTTP answers claimed (a 503'd write may still have landed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { LaminaConfig, LaminaEvent } from '@lamina/shared';
import { loadConfig } from '../cli/src/load-config.js';
import { INFRA_SKIP_REASON, dropRunInfra, requireInfra } from './support/infra-env.js';
import { layerEnv, runClients, startPrivateStack, type PrivateStack } from './support/private-stack.js';
import { freePort, runLayer, runToEnd, startLayer, type LaminaProcess } from './support/processes.js';
import { archivedOffsets, produceEvents, rawRows, readTopic, settledEvents, validEvents, waitFor } from './support/log-facts.js';
import { settleExact } from './support/exact-answers.js';
import { graphql, pageViews, postEvents } from './support/http.js';

const execFileAsync = promisify(execFile);
const skip = requireInfra() ? false : INFRA_SKIP_REASON;
const DAY = Date.UTC(2026, 10, 23);
/** Ingest's deadline in these tests (the default is 10 s). */
const INGEST_TIMEOUT_MS = 4000;

let stack: PrivateStack;

before(async () => {
  if (!skip) stack = await startPrivateStack();
}, { timeout: 180_000 });

after(async () => {
  await stack?.destroy();
}, { timeout: 120_000 });

/** One scenario's topic, lake prefix, clients and processes; `close` cleans them all up. */
async function scenario(name: string) {
  const run = `${name}-${randomUUID().slice(0, 8)}`;
  const { config: base } = await loadConfig(undefined);
  const config: LaminaConfig = { ...base, topic: `lamina-${run}` };
  const env = layerEnv(stack, config.topic, `lamina-test/${run}`);
  const { log, store } = runClients(env, `lamina-test-${run}`);
  const processes: LaminaProcess[] = [];
  const start = async (layer: 'archive' | 'speed' | 'serve', extra: Record<string, string> = {}) => {
    const port = await freePort();
    const ready = { archive: /health endpoints listening/, speed: /speed layer API listening/, serve: /serving layer listening/ }[layer];
    const p = await startLayer(`${layer}-${run}`, [layer], { ...env, PORT: String(port), ...extra }, ready);
    processes.push(p);
    return { process: p, url: `http://127.0.0.1:${port}` };
  };
  /** A speed instance and a serving instance merging with it. */
  const startServing = async (extra: Record<string, string> = {}) => {
    const speed = await start('speed', { LAMINA_INSTANCE: `speed-${run}` });
    const serving = await start('serve', { LAMINA_SPEED_URLS: speed.url, ...extra });
    return { speed, serving };
  };
  /** The valid events on the topic, once two reads a second apart agree (late writes have landed). */
  const eventsOnTopic = (): Promise<LaminaEvent[]> => settledEvents(log, config, { gapMs: 1000, timeoutMs: 60_000 });
  await log.ensureTopic(config.topic, config.partitions);
  return {
    config, env, log, store, start, startServing, eventsOnTopic,
    async close() {
      await Promise.all(processes.map((p) => p.stop()));
      await dropRunInfra(log, config.topic, store);
    },
  };
}

async function readyz(url: string): Promise<{ status: number; body: { ready: boolean; dependencies: Record<string, { ok: boolean; reason?: string }> } }> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as never };
}

/** Resolves with the ms since `since` once /readyz of `url` answers `status`. */
async function untilReadyz(url: string, status: 200 | 503, since: number, timeoutMs = 60_000): Promise<number> {
  return waitFor(`${url}/readyz answers ${status}`, async () => ((await readyz(url)).status === status ? Date.now() - since : undefined), timeoutMs);
}

test('broker paused (SIGSTOP): ingest answers 503 within its deadline and /readyz says why; after SIGCONT the answers equal what is on the topic', { skip, timeout: 240_000 }, async (t) => {
  const s = await scenario('broker-stall');
  try {
    const { serving, speed } = await s.startServing({ LAMINA_INGEST_TIMEOUT_MS: String(INGEST_TIMEOUT_MS) });
    const first = await postEvents(serving.url, pageViews(300, { prefix: 'before', from: DAY, spreadMs: 86_400_000 }));
    assert.equal(first.status, 200);

    stack.pause('kafka');
    const paused = Date.now();
    const stalled = await Promise.all([0, 1, 2].map(async (i) => {
      const sent = Date.now();
      const answer = await postEvents(serving.url, pageViews(100, { prefix: `paused-${i}`, from: DAY, spreadMs: 86_400_000 }));
      return { ...answer, ms: Date.now() - sent };
    }));
    for (const answer of stalled) {
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal((answer.body as unknown as { retriable: boolean }).retriable, true);
      assert.ok(answer.ms < INGEST_TIMEOUT_MS + 6000, `answered after ${answer.ms} ms; the deadline is ${INGEST_TIMEOUT_MS} ms`);
    }
    t.diagnostic(`ingest answered 503 after ${stalled.map((a) => a.ms).join(', ')} ms (deadline ${INGEST_TIMEOUT_MS} ms)`);
    assert.ok(serving.process.output.some((line) => line.includes('ingest answered 503')), 'the 503 is logged with its reason');

    const notReady = await untilReadyz(serving.url, 503, paused, 20_000);
    const report = await readyz(serving.url);
    assert.equal(report.body.dependencies.log!.ok, false);
    assert.equal(report.body.dependencies.store!.ok, true);
    assert.equal((await fetch(`${serving.url}/healthz`, { signal: AbortSignal.timeout(2000) })).status, 200, 'the process itself answers');
    await untilReadyz(speed.url, 503, paused, 20_000);
    t.diagnostic(`serving /readyz not ready ${notReady} ms after the pause: ${report.body.dependencies.log!.reason}`);

    stack.resume('kafka');
    const resumed = Date.now();
    t.diagnostic(`serving ready again ${await untilReadyz(serving.url, 200, resumed)} ms after SIGCONT`);
    const later = pageViews(200, { prefix: 'after', from: DAY, spreadMs: 86_400_000 });
    await waitFor('ingest accepts again', async () => ((await postEvents(serving.url, later)).status === 200 ? true : undefined), 60_000);

    const onTopic = await s.eventsOnTopic();
    t.diagnostic(`${onTopic.length - 500} of the 300 events answered 503 are on the topic all the same`);
    assert.ok(onTopic.length >= 500 && onTopic.length <= 800, `${onTopic.length} events on the topic`);
    await settleExact(serving.url, s.config, onTopic, 'after the broker stall');
  } finally {
    await s.close();
  }
});

test('object store paused (SIGSTOP MinIO): a warning within seconds, /readyz not ready, batch run fails retriably; after SIGCONT ready again and the answers are exact', { skip, timeout: 300_000 }, async (t) => {
  const s = await scenario('store-stall');
  try {
    const archiver = await s.start('archive');
    const { serving, speed } = await s.startServing();
    await produceEvents(s.log, s.config, pageViews(400, { prefix: 'before', from: DAY, spreadMs: 86_400_000 }));
    await waitFor('the archiver archives the first 400', async () => ((await archivedOffsets(s.store, s.config)) === 400 ? true : undefined), 60_000);

    const logged = archiver.process.output.length;
    stack.pause('minio');
    const paused = Date.now();
    await produceEvents(s.log, s.config, pageViews(300, { prefix: 'during', from: DAY, spreadMs: 86_400_000 }));

    const warned = await waitFor('the archiver logs a warning', async () => {
      const line = archiver.process.output.slice(logged).find((l) => /"level":40/.test(l) && /store|S3/.test(l));
      return line === undefined ? undefined : { ms: Date.now() - paused, line };
    }, 30_000);
    const notReady = await untilReadyz(archiver.url, 503, paused, 30_000);
    const report = await readyz(archiver.url);
    assert.equal(report.body.dependencies.store!.ok, false);
    assert.equal(report.body.dependencies.log!.ok, true);
    await untilReadyz(serving.url, 503, paused, 30_000);
    await untilReadyz(speed.url, 503, paused, 30_000);
    assert.ok(warned.ms < 20_000 && notReady < 20_000, `warning after ${warned.ms} ms, not ready after ${notReady} ms`);
    t.diagnostic(`warning after ${warned.ms} ms: ${JSON.parse(warned.line).msg}`);
    t.diagnostic(`archiver /readyz not ready after ${notReady} ms: ${report.body.dependencies.store!.reason}`);

    const batch = await runToEnd(['batch', 'run'], s.env, 120_000);
    assert.equal(batch.code, 75, `batch run exits retriably (75): ${batch.stderr}`);
    assert.match(batch.stderr, /S3 .* failed after \d attempt/);
    t.diagnostic(`batch run during the stall: exit ${batch.code} after ${batch.ms} ms`);

    stack.resume('minio');
    const resumed = Date.now();
    t.diagnostic(`archiver ready again ${await untilReadyz(archiver.url, 200, resumed)} ms after SIGCONT`);
    await untilReadyz(serving.url, 200, resumed);
    await untilReadyz(speed.url, 200, resumed);

    const onTopic = await s.eventsOnTopic();
    assert.equal(onTopic.length, 700);
    await waitFor('the archiver catches up', async () => ((await archivedOffsets(s.store, s.config)) === onTopic.length ? true : undefined), 90_000);
    const generation = JSON.parse((await runLayer(['batch', 'run'], s.env)).trim().split('\n').at(-1)!) as { generation: number; events: number };
    assert.deepEqual(generation, { ...generation, generation: 1, events: onTopic.length });
    await waitFor('serving loads generation 1', async () => ((await graphql<{ freshness: { generation: number } }>(serving.url, '{ freshness { generation } }')).data?.freshness.generation === 1 ? true : undefined), 60_000);
    await settleExact(serving.url, s.config, onTopic, 'after the store stall');
  } finally {
    await s.close();
  }
});

test('stack:up after a broker kill -9 restarts it on its data: same cluster id and port, and an archiver started before the crash carries on', { skip, timeout: 300_000 }, async (t) => {
  const s = await scenario('broker-crash');
  const admin = new kafkajs.Kafka({ brokers: s.env.LAMINA_KAFKA_BROKERS!.split(','), clientId: 'lamina-test-cluster-id', logLevel: kafkajs.logLevel.NOTHING });
  const clusterId = async () => {
    const client = admin.admin();
    try {
      await client.connect();
      return (await client.describeCluster()).clusterId;
    } finally {
      await client.disconnect();
    }
  };
  try {
    const archiver = await s.start('archive');
    await produceEvents(s.log, s.config, pageViews(500, { prefix: 'before', from: DAY, spreadMs: 86_400_000 }));
    await waitFor('the archiver archives the first 500', async () => ((await archivedOffsets(s.store, s.config)) === 500 ? true : undefined), 60_000);
    const idBefore = await clusterId();

    process.kill(stack.pid('kafka'), 'SIGKILL');
    const crashed = Date.now();
    const up = await execFileAsync(process.execPath, ['infra/stack.mjs', 'up'], { env: { ...process.env, ...stack.stackVars }, timeout: 180_000 });
    t.diagnostic(`stack:up restarted the broker in ${Date.now() - crashed} ms`);
    const printed = Object.fromEntries(up.stdout.trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
    assert.equal(printed.LAMINA_KAFKA_BROKERS, s.env.LAMINA_KAFKA_BROKERS, 'the same port (LAMINA_STACK_KAFKA_PORT, as recorded)');
    assert.equal(await clusterId(), idBefore, 'the same cluster id: the storage was not formatted again');
    assert.equal(validEvents(s.config, await readTopic(s.log, s.config.topic)).length, 500, 'the topic kept its records');

    await produceEvents(s.log, s.config, pageViews(300, { prefix: 'after', from: DAY, spreadMs: 86_400_000 }));
    const onTopic = await s.eventsOnTopic();
    assert.equal(onTopic.length, 800);
    await waitFor('the archiver started before the crash archives what came after', async () => ((await archivedOffsets(s.store, s.config)) === onTopic.length ? true : undefined), 120_000);
    assert.equal(await rawRows(s.store, s.config), onTopic.length, 'each event on the topic is in the lake once');
    assert.equal(archiver.process.child.exitCode, null, 'the same archiver process');
    await untilReadyz(archiver.url, 200, crashed);
  } finally {
    await s.close();
  }
});

/**
 * Declared quality gates on the real stack (Kafka, MinIO, every layer its own process), as a data
 * team meets them: good nights publish; a night whose events trip the volume and uniqueness gates
 * (a client retry storm: the same events again, and more of them) publishes nothing — exit 65, the
 * alert webhook called, the run history and GraphQL say which gates failed — while serving stays
 * exact on the previous generation plus realtime; once the producer is fixed and the failed run
 * reviewed, a run waiving those gates publishes, and the next night passes them on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { KafkaEventLog, LeaseHeldError, RunHistory, S3ObjectStore, createRegistry, silentLogger, validateConfig, type QualityResult, type RunRecord } from '@lamina/shared';
import { BatchJob, QualityGateError } from '@lamina/batch-layer';
import { testConfig } from './support/test-config.js';
import { InProcessLamina } from './support/in-process-lamina.js';
import example from '../cli/src/example-config.js';
import { INFRA_SKIP_REASON, dropRunInfra, laminaProcessEnv, requireInfra } from './support/infra-env.js';
import { freePort, runToEnd, startLayer, type LaminaProcess } from './support/processes.js';
import { archivedOffsets, produceEvents, waitFor } from './support/log-facts.js';
import { graphql, pageViews } from './support/http.js';

const infra = requireInfra();
const DAY = Date.UTC(2026, 10, 2);

test('volume and uniqueness gates block a bad night, serving stays exact, and the reviewed data publishes', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 300_000 }, async () => {
  const { kafkaBrokers, s3 } = infra!;
  const run = randomUUID().slice(0, 8);
  const dir = await mkdtemp(join(tmpdir(), 'lamina-gates-'));
  const alerts: { alert: string; message: string }[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as { alert: string; message: string });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const raw = {
    ...example,
    partitions: 2,
    batch: {
      alertWebhook: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alert`,
      quality: {
        gates: {
          pageViewVolume: { check: 'volume', type: 'page_view', minRatio: 0.25, maxRatio: 3, recentRuns: 3 },
          pageViewIds: { check: 'uniqueness', type: 'page_view', maxDuplicateRatio: 0.05 },
          durationDrift: { check: 'distribution', type: 'page_view', field: 'durationMs', maxChange: 0.5, severity: 'warn' },
        },
      },
    },
  };
  const configFile = join(dir, 'lamina.config.mjs');
  await writeFile(configFile, `export default ${JSON.stringify(raw)};\n`);
  const config = validateConfig({ ...raw, topic: `lamina-gates-${run}` });
  const env = laminaProcessEnv(infra!, { configFile, topic: config.topic, prefix: `lamina-test/gates-${run}`, scratchDir: join(dir, 'scratch') });
  const admin = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-gates-admin-${run}` });
  const store = new S3ObjectStore({ ...s3, prefix: env.LAMINA_S3_PREFIX });
  const processes: LaminaProcess[] = [];
  let produced = 0;
  const produce = async (events: unknown[]) => {
    await produceEvents(admin, config, events);
    produced += events.length;
    await waitFor(`the archiver archives ${produced} events`, async () => ((await archivedOffsets(store, config)) === produced ? true : undefined), 90_000);
  };
  const batchRun = async (...args: string[]) => {
    const result = await runToEnd(['batch', 'run', ...args], env, 180_000);
    return { ...result, manifest: result.code === 0 ? (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { generation: number; events: number; duplicates: number }) : undefined };
  };
  const history = async () => {
    const result = await runToEnd(['batch', 'history', '--json', '--limit', '1'], env);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout.trim().split('\n')[0]!) as RunRecord;
  };
  try {
    await admin.ensureTopic(config.topic, config.partitions);
    const [archivePort, speedPort, servePort] = [await freePort(), await freePort(), await freePort()];
    processes.push(await startLayer('archiver', ['archive'], { ...env, PORT: String(archivePort) }, /health endpoints listening/));
    processes.push(await startLayer('speed', ['speed'], { ...env, PORT: String(speedPort) }, /speed layer API listening/));
    processes.push(await startLayer('serve', ['serve'], { ...env, PORT: String(servePort), LAMINA_SPEED_URLS: `http://127.0.0.1:${speedPort}` }, /serving layer listening/));
    const base = `http://127.0.0.1:${servePort}`;
    const totalViews = async () => {
      const answer = await graphql<{ pageviews: { views: number }[]; freshness: { generation: number; stale: boolean } }>(base, '{ pageviews(granularity: ALL, groupBy: []) { views } freshness { generation stale } }');
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      return { views: answer.data!.pageviews[0]?.views ?? 0, generation: answer.data!.freshness.generation };
    };

    // Two good nights: 400 page views each, all new ids.
    const night1 = pageViews(400, { prefix: `n1-${run}`, from: DAY, spreadMs: 86_400_000 });
    const night2 = pageViews(400, { prefix: `n2-${run}`, from: DAY + 86_400_000, spreadMs: 86_400_000 });
    await produce(night1);
    const first = await batchRun();
    assert.equal(first.code, 0, first.stderr);
    await produce(night2);
    const second = await batchRun();
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.manifest!.events, 800);
    assert.deepEqual((await history()).gates.filter((g) => g.check !== undefined).map((g) => [g.gate, g.passed]), [['pageViewVolume', true], ['pageViewIds', true], ['durationDrift', true]]);

    // A bad night: a retry storm sends night 2 again, with its durations in the wrong unit, plus 1,000 new events.
    const resent = (night2 as { data: { durationMs: number } }[]).map((e) => ({ ...e, data: { ...e.data, durationMs: e.data.durationMs * 1000 } }));
    const night3 = pageViews(1000, { prefix: `n3-${run}`, from: DAY + 86_400_000, spreadMs: 86_400_000 });
    await produce([...resent, ...night3]);
    const bad = await batchRun();
    assert.equal(bad.code, 65, `a failed gate exits 65 (the data, not the system)\n${bad.stderr}`);
    assert.match(bad.stderr, /pageViewVolume[^;]*3\.50× the median 400/);
    assert.match(bad.stderr, /pageViewIds: 400 of 1400 new page_view events repeat an event id/);
    assert.equal(alerts.filter((a) => a.alert === 'lamina_quality_gate_failed').length, 1, 'the alert webhook was called once');
    const failedRun = await history();
    assert.equal(failedRun.status, 'gates_failed');
    assert.equal(failedRun.generation, 3);
    assert.deepEqual(failedRun.gates.filter((g) => !g.passed).map((g) => [g.gate, g.severity]), [['pageViewVolume', 'error'], ['pageViewIds', 'error'], ['durationDrift', 'warn']]);
    assert.deepEqual(failedRun.steps.map((s) => [s.name, s.status]), [['snapshot', 'succeeded'], ['plan', 'succeeded'], ['compute', 'succeeded'], ['check', 'succeeded'], ['clean up', 'succeeded']]);
    const runs = await graphql<{ batchRuns: { status: string; generation: number; gates: { gate: string; passed: boolean }[] }[] }>(base, '{ batchRuns(limit: 2) { status generation gates { gate passed } } }');
    assert.deepEqual(runs.data!.batchRuns.map((r) => [r.status, r.generation]), [['GATES_FAILED', 3], ['PUBLISHED', 2]]);

    // Serving: generation 2 plus realtime, the copies not counted.
    await waitFor('serving answers the 1,800 distinct events', async () => {
      const now = await totalViews();
      return now.views === 1800 ? now : undefined;
    }, 30_000);
    assert.equal((await totalViews()).generation, 2, 'the failed generation was not published');

    // Reviewed: the producer is fixed (a normal night follows) and the flagged events are waived through once.
    const typo = await batchRun('--waive', 'pageViewVolum');
    assert.equal(typo.code, 78, 'a misspelt gate is a configuration error, not a waiver');
    const waived = await batchRun('--waive', 'pageViewVolume,pageViewIds');
    assert.equal(waived.code, 0, waived.stderr);
    assert.deepEqual({ events: waived.manifest!.events, duplicates: waived.manifest!.duplicates }, { events: 2200, duplicates: 400 });
    assert.deepEqual((await history()).gates.filter((g) => g.waived).map((g) => g.gate), ['pageViewVolume', 'pageViewIds']);
    await produce(pageViews(450, { prefix: `n4-${run}`, from: DAY + 2 * 86_400_000, spreadMs: 86_400_000 }));
    const next = await batchRun();
    assert.equal(next.code, 0, `the next normal night passes on its own\n${next.stderr}`);
    assert.equal((await history()).gates.every((g) => g.passed), true);
    await waitFor('serving answers from the new generation', async () => {
      const now = await totalViews();
      return now.generation === next.manifest!.generation && now.views === 2250 ? now : undefined;
    }, 30_000);

    // Retention, as an operator runs it: nothing is old enough yet, so a dry run would remove nothing.
    const vacuum = await runToEnd(['lake', 'vacuum', '--dry-run'], env);
    assert.equal(vacuum.code, 0, vacuum.stderr);
    assert.deepEqual(JSON.parse(vacuum.stdout.trim().split('\n').at(-1)!), { dryRun: true, generations: [], dataFiles: 0, bytes: 0, viewTables: [], runRecords: 0 });

    // A normal start and a normal life: not one error-level line from the long-running layers
    // (kafkajs's "Topic creation errors" and "coordinator not available" during start-up are retried, not errors).
    for (const p of processes) assert.deepEqual(p.output.filter((line) => /"level":(50|60)/.test(line)), [], `${p.name} logged errors`);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await new Promise((resolve) => hook.close(resolve));
    await dropRunInfra(admin, config.topic, store);
    await rm(dir, { recursive: true, force: true });
  }
});

test('freshness, schema and referential gates judge the new events; two schedulers at once compute one generation', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 240_000 }, async () => {
  const { kafkaBrokers, s3 } = infra!;
  const run = randomUUID().slice(0, 8);
  const config = testConfig({
    topic: `lamina-gates2-${run}`,
    batch: {
      quality: {
        gates: {
          recent: { check: 'freshness', type: 'purchase', maxAgeMinutes: 60, severity: 'warn' },
          shape: { check: 'schema', type: 'purchase', maxNullIncrease: 0.2 },
          knownBuyers: { check: 'referential', type: 'purchase', field: 'userId', references: { type: 'page_view', field: 'userId' } },
        },
      },
    },
  });
  const log = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-gates2-${run}`, consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, maxWaitTimeMs: 100 } });
  const store = new S3ObjectStore({ ...s3, prefix: `lamina-test/gates2-${run}` });
  const admin = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-gates2-admin-${run}` });
  const lamina = await InProcessLamina.start(config, { log, store, groupSuffix: `-${run}` });
  const now = Date.now();
  const purchase = (i: number, user: string, coupon?: string) => ({ id: `pu-${run}-${i}`, type: 'purchase', ts: new Date(now - 3_600_000 * 3 + i * 1000).toISOString(), data: { country: 'DE', userId: user, revenue: 10 + i, ...(coupon ? { coupon } : {}) } });
  const gatesOf = async (manifestOrError: Promise<unknown>) => {
    try {
      const manifest = (await manifestOrError) as { quality: QualityResult[] };
      return { published: true, gates: Object.fromEntries(manifest.quality.filter((q) => q.check).map((q) => [q.gate, q])) };
    } catch (error) {
      assert.ok(error instanceof QualityGateError, String(error));
      return { published: false, gates: Object.fromEntries(error.manifest.quality.filter((q) => q.check).map((q) => [q.gate, q])) };
    }
  };
  try {
    await lamina.serving.ingest.ingest(pageViews(50, { prefix: `pv-${run}`, from: now - 86_400_000, spreadMs: 3_600_000, users: 20 }));
    // Buyers user-0..9 viewed pages; every purchase has a coupon.
    await lamina.serving.ingest.ingest(Array.from({ length: 20 }, (_, i) => purchase(i, `user-${i % 10}`, 'SPRING')));
    await lamina.archiver.catchUp();
    const good = await gatesOf(lamina.runBatch());
    assert.equal(good.published, true);
    assert.equal(good.gates.recent!.passed, false, 'the newest purchase is 3 h old: freshness (warn) fails and the run publishes');
    assert.equal(good.gates.recent!.severity, 'warn');
    assert.equal(good.gates.shape!.passed, true, good.gates.shape!.detail);
    assert.equal(good.gates.knownBuyers!.passed, true, good.gates.knownBuyers!.detail);

    // Purchases by users never seen, and without the coupon field (its share of missing values jumps from 0 to 100 %).
    await lamina.serving.ingest.ingest(Array.from({ length: 10 }, (_, i) => purchase(100 + i, `ghost-${i % 3}`)));
    await lamina.archiver.catchUp();
    const bad = await gatesOf(lamina.runBatch());
    assert.equal(bad.published, false);
    assert.match(bad.gates.knownBuyers!.detail, /10 of 10 new purchase events have a userId no page_view event has[^(]*\(e\.g\. "ghost-0", "ghost-1", "ghost-2"\)/);
    assert.match(bad.gates.shape!.detail, /'coupon' is missing in 100\.00% of the new events \(recent median 0\.00%/);

    // Two schedulers at once: one takes the lease and publishes; the other stops before computing.
    const other = new BatchJob({ config, store, logger: silentLogger, registry: createRegistry(), scratchDir: join(tmpdir(), `lamina-gates2-${run}`) });
    const waive = ['knownBuyers', 'shape'];
    const results = await Promise.allSettled([lamina.batch.run({ waive }), other.run({ waive })]);
    const published = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(published.length, 1, JSON.stringify(refused.map((r) => String(r.reason))));
    assert.ok(refused[0]!.reason instanceof LeaseHeldError, String(refused[0]!.reason));
    assert.equal((refused[0]!.reason as LeaseHeldError).retriable, true, 'retry later: exit 75');
    const statuses = (await new RunHistory(store).recent(2)).map((r) => r.status).sort();
    assert.deepEqual(statuses, ['published', 'skipped']);
  } finally {
    await lamina.stop();
    await dropRunInfra(admin, config.topic, store);
  }
});

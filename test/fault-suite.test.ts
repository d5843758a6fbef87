/**
 * Issue 10, item 7: the fault suite. One deployment on a private Kafka + MinIO (archiver, speed and
 * serving each their own process; the batch as `lamina batch run`), under a steady generated load: a
 * generator produces 40 events to the topic every 100 ms and counts what the broker acknowledged.
 * Faults, one after the other:
 *   - kill -9 of the archiver mid-flush: its raw data file written, the raw table's commit held by a
 *     proxy in front of the object store (support/store-proxy.ts);
 *   - kill -9 of a batch run between writing its view tables and publishing the generation (its
 *     manifest write held by the proxy);
 *   - kill -9 of the speed instance while it builds its state for a new generation;
 *   - kill -9 of the serving instance;
 *   - the broker stopped (SIGSTOP) for 20 s;
 *   - the object store unreachable (SIGSTOP) for 30 s.
 * After each: the load pauses and the answer must equal the brute-force aggregation of every event
 * on the topic (acknowledged ≤ on the topic ≤ sent), the lake must hold each archived event once,
 * every process must answer /healthz; the recovery time (from the restart or the healing to the
 * layer's first sign of work, and to the exact answer) is reported as a diagnostic.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeltaTable, lakeLayout, type KafkaEventLog, type LaminaConfig } from '@lamina/shared';
import { loadConfig } from '../cli/src/load-config.js';
import { INFRA_SKIP_REASON, dropRunInfra, requireInfra } from './support/infra-env.js';
import { layerEnv, runClients, startPrivateStack, type PrivateStack } from './support/private-stack.js';
import { freePort, runToEnd, startLayer, type LaminaProcess } from './support/processes.js';
import { archivedOffsets, produceEvents, rawRows, settledEvents, waitFor } from './support/log-facts.js';
import { settleExact } from './support/exact-answers.js';
import { pageViews } from './support/http.js';
import { startStoreProxy } from './support/store-proxy.js';

const skip = requireInfra() ? false : INFRA_SKIP_REASON;
const DAY = Date.UTC(2026, 10, 24);

let stack: PrivateStack;
let work: string;

before(async () => {
  if (skip) return;
  stack = await startPrivateStack();
  work = await mkdtemp(join(tmpdir(), 'lamina-faults-'));
}, { timeout: 180_000 });

after(async () => {
  await stack?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
}, { timeout: 120_000 });

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

/** Produces `size` events every `everyMs` until stopped; counts what was sent and what the broker acknowledged. */
function steadyLoad(log: KafkaEventLog, config: LaminaConfig, size: number, everyMs: number) {
  let sent = 0;
  let acknowledged = 0;
  let lastAck = 0;
  let batch = 0;
  let paused = false;
  let running = true;
  let idle: () => void = () => undefined;
  const loop = (async () => {
    while (running) {
      if (paused) idle();
      else {
        const events = pageViews(size, { prefix: `load-${batch++}`, from: DAY, spreadMs: 86_400_000 });
        sent += size;
        try {
          await produceEvents(log, config, events);
          acknowledged += size;
          lastAck = Date.now();
        } catch {
          // Not acknowledged (the broker stalled): the records may or may not be on the topic.
        }
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    get sent() { return sent; },
    get acknowledged() { return acknowledged; },
    get lastAck() { return lastAck; },
    /** Resolves once the produce in flight (if any) has been acknowledged or has failed. */
    pause(): Promise<void> {
      paused = true;
      return new Promise((resolve) => (idle = resolve));
    },
    resume() { paused = false; },
    async stop() { running = false; await loop; },
  };
}

test('the fault suite: kill -9 of each layer at its worst moment, broker stopped 20 s, store unreachable 30 s, all under load: exact counts after each, recovery times reported', { skip, timeout: 900_000 }, async (t) => {
  const run = `faults-${randomUUID().slice(0, 8)}`;
  const { config: base } = await loadConfig(undefined);
  const config: LaminaConfig = {
    ...base,
    topic: `lamina-${run}`,
    archiver: { ...base.archiver, flushIntervalMs: 300 },
    batch: { ...base.batch, leaseSeconds: 5 },
  };
  const configFile = join(work, `${run}.config.mjs`);
  await writeFile(configFile, `export default ${JSON.stringify(config)};`);
  const env: Record<string, string> = { ...layerEnv(stack, config.topic, `lamina-test/${run}`), LAMINA_CONFIG: configFile };
  const { log, store } = runClients(env, `lamina-test-${run}`);
  await log.ensureTopic(config.topic, config.partitions);
  const proxy = await startStoreProxy(env.LAMINA_S3_ENDPOINT!);
  const running = new Map<string, { process: LaminaProcess; url: string }>();
  const start = async (layer: 'archive' | 'serve') => {
    const port = await freePort();
    const ready = { archive: /health endpoints listening/, serve: /serving layer listening/ }[layer];
    // The archiver writes through the proxy, so a test can hold its commit.
    const extra: Record<string, string> = layer === 'serve' ? { LAMINA_SPEED_URLS: running.get('speed')!.url } : { LAMINA_S3_ENDPOINT: proxy.endpoint };
    const p = await startLayer(`${layer}-${run}`, [layer], { ...env, PORT: String(port), ...extra }, ready);
    const entry = { process: p, url: `http://127.0.0.1:${port}` };
    running.set(layer, entry);
    return entry;
  };
  // The speed instance keeps its port across restarts: the serving instance was told where it is.
  const speedPort = await freePort();
  const startSpeed = async () => {
    const p = await startLayer(`speed-${run}`, ['speed'], { ...env, PORT: String(speedPort), LAMINA_INSTANCE: `speed-${run}` }, /speed layer API listening/);
    const entry = { process: p, url: `http://127.0.0.1:${speedPort}` };
    running.set('speed', entry);
    return entry;
  };
  const recoveries: { fault: string; working: number; exact: number; detail: string }[] = [];
  const load = steadyLoad(log, config, 40, 100);

  /** Pauses the load, checks every count, resumes; the ms from `since` to the exact answer. */
  const exactAfter = async (label: string, since: number): Promise<number> => {
    await load.pause();
    const onTopic = await settledEvents(log, config, { gapMs: 500, timeoutMs: 120_000 });
    assert.ok(onTopic.length >= load.acknowledged && onTopic.length <= load.sent, `${label}: ${onTopic.length} on the topic, ${load.acknowledged} acknowledged, ${load.sent} sent`);
    assert.equal(new Set(onTopic.map((e) => e.id)).size, onTopic.length, `${label}: every event id once on the topic`);
    await settleExact(running.get('serve')!.url, config, onTopic, label, 120_000);
    const exact = Date.now() - since;
    await waitFor(`${label}: the archiver catches up`, async () => ((await archivedOffsets(store, config)) === onTopic.length ? true : undefined), 120_000);
    assert.equal(await rawRows(store, config), onTopic.length, `${label}: the lake holds each archived event once`);
    for (const [layer, { url }] of running) assert.equal((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).status, 200, `${label}: ${layer} answers /healthz`);
    load.resume();
    return exact;
  };
  const record = (fault: string, working: number, exact: number, detail: string) => {
    recoveries.push({ fault, working, exact, detail });
    t.diagnostic(`${fault}: working again after ${working} ms, exact after ${exact} ms (${detail})`);
  };
  const currentGeneration = async (): Promise<number> => {
    const bytes = await store.tryGet(lakeLayout.currentPointer);
    return bytes ? Number(new TextDecoder().decode(bytes)) : 0;
  };
  const keysUnder = async (prefix: string): Promise<Set<string>> => {
    const keys = new Set<string>();
    for await (const o of store.list(prefix)) keys.add(o.key);
    return keys;
  };

  try {
    await start('archive');
    await startSpeed();
    await start('serve');
    await exactAfter('the deployment under load', Date.now());

    // 1. kill -9 of the archiver mid-flush: its raw data file written, the raw table's commit held.
    {
      const archiver = running.get('archive')!;
      const before = await archivedOffsets(store, config);
      const rawLog = `/${lakeLayout.rawTable('page_view')}/_delta_log/`;
      const held = await withTimeout(proxy.holdNext((method, path) => method === 'PUT' && path.includes(rawLog) && path.split('?')[0]!.endsWith('.json')), 30_000, 'the archiver commits');
      const files = await keysUnder(`${lakeLayout.rawTable('page_view')}/`);
      const committed = new Set((await DeltaTable.open(store, lakeLayout.rawTable('page_view')).snapshot()).files.map((f) => f.path));
      const orphans = [...files].filter((k) => k.endsWith('.parquet') && !k.includes('/_delta_log/') && ![...committed].some((path) => k.endsWith(path)));
      assert.ok(orphans.length > 0, `the flush wrote a data file its held commit (${held.path}) would add`);
      await archiver.process.kill9();
      proxy.release();
      const restarted = Date.now();
      await start('archive');
      const working = await waitFor('the new archiver commits', async () => ((await archivedOffsets(store, config)) > before ? Date.now() - restarted : undefined), 60_000);
      const exact = await exactAfter('after kill -9 of the archiver mid-flush', restarted);
      record('archiver kill -9 mid-flush', working, exact, `${orphans.length} uncommitted data file(s) left behind, not counted`);
    }

    // 2. kill -9 of a batch run between writing its view tables and publishing the generation.
    {
      const current = await currentGeneration();
      const manifest = /\/generations\/\d+\.json$/;
      const held = proxy.holdNext((method, path) => method === 'PUT' && manifest.test(path.split('?')[0]!));
      const batch = await startLayer(`batch-${run}`, ['batch', 'run'], { ...env, LAMINA_S3_ENDPOINT: proxy.endpoint }, /batch/, { timeoutMs: 60_000 });
      running.set('batch', { process: batch, url: '' });
      await withTimeout(held, 120_000, 'the batch publishes');
      const views = [...(await keysUnder('views/'))].filter((k) => k.endsWith('.parquet'));
      assert.ok(views.length > 0, 'the run wrote its view tables before publishing');
      assert.equal(await currentGeneration(), current, 'nothing published yet');
      await batch.kill9();
      running.delete('batch');
      proxy.release();
      const killed = Date.now();
      let attempts = 0;
      const generation = await waitFor('a batch run publishes', async () => {
        attempts++;
        const result = await runToEnd(['batch', 'run'], env, 120_000);
        if (result.code === 75) return undefined; // the killed run's lease has not expired yet
        assert.equal(result.code, 0, `batch run after the kill: ${result.stderr}`);
        return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { generation: number; events: number };
      }, 120_000);
      const working = Date.now() - killed;
      assert.equal(generation.generation, current + 1, 'the killed run published nothing; the next one publishes the next generation');
      const exact = await exactAfter('after kill -9 of the batch before publishing', killed);
      record('batch kill -9 between write and publish', working, exact, `generation ${generation.generation} published by run ${attempts} after it (the dead run's lease expires after ${config.batch.leaseSeconds} s)`);
    }

    // 3. kill -9 of the speed instance while it builds its state for a new generation.
    {
      const speed = running.get('speed')!;
      const current = await currentGeneration();
      const batch = runToEnd(['batch', 'run'], env, 120_000);
      const seen = await waitFor('the speed instance starts on the new generation', async () => {
        const status = (await (await fetch(`${speed.url}/v1/status`)).json()) as { generations?: { generation: number; partitions: { ready: boolean }[] }[]; status?: { generations: { generation: number; partitions: { ready: boolean }[] }[] } };
        const g = (status.generations ?? status.status?.generations ?? []).find((x) => x.generation === current + 1);
        return g ? { building: g.partitions.length < config.partitions || g.partitions.some((p) => !p.ready) } : undefined;
      }, 120_000);
      await speed.process.kill9();
      assert.equal((await batch).code, 0);
      const restarted = Date.now();
      await startSpeed();
      const working = Date.now() - restarted;
      const exact = await exactAfter('after kill -9 of the speed instance', restarted);
      record('speed kill -9 mid-rebuild', working, exact, seen.building ? `killed while its state for generation ${current + 1} was still catching up` : `killed just after its state for generation ${current + 1} caught up (the build was faster than the status poll)`);
    }

    // 4. kill -9 of the serving instance.
    {
      await running.get('serve')!.process.kill9();
      const restarted = Date.now();
      await start('serve');
      const working = Date.now() - restarted;
      record('serving kill -9', working, await exactAfter('after kill -9 of the serving instance', restarted), 'restarted on the same lake and speed instance');
    }

    // 5. The broker stopped for 20 s.
    {
      stack.pause('kafka');
      await new Promise((r) => setTimeout(r, 20_000));
      stack.resume('kafka');
      const healed = Date.now();
      const working = await waitFor('the generator is acknowledged again', async () => (load.lastAck > healed ? load.lastAck - healed : undefined), 120_000);
      record('broker stopped 20 s', working, await exactAfter('after the broker stopped 20 s', healed), `${load.sent - load.acknowledged} events unacknowledged so far (each on the topic at most once)`);
    }

    // 6. The object store unreachable for 30 s.
    {
      const before = await archivedOffsets(store, config);
      stack.pause('minio');
      await new Promise((r) => setTimeout(r, 30_000));
      stack.resume('minio');
      const healed = Date.now();
      const working = await waitFor('the archiver commits again', async () => ((await archivedOffsets(store, config)) > before ? Date.now() - healed : undefined), 120_000);
      record('object store unreachable 30 s', working, await exactAfter('after the store was unreachable 30 s', healed), 'the archiver held its batch and retried');
    }

    for (const [layer, { process: p }] of running) assert.equal(p.child.exitCode, null, `${layer} still runs`);
    t.diagnostic(`recovery times: ${JSON.stringify(recoveries)}`);
  } finally {
    await load.stop();
    await Promise.allSettled([...running.values()].map(({ process: p }) => p.stop()));
    await proxy.close();
    await dropRunInfra(log, config.topic, store);
  }
});

/**
 * Time a query may take from the process: the execution deadline (QUERY_TIMEOUT), /healthz answering
 * while a big legal query runs, an oversized body answered 413 without waiting for it, and the
 * refusal counter — on a real embedded Lamina, over its HTTP server where the network matters.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createRegistry, silentLogger, type LaminaConfig, type RealtimeSource, type Registry } from '@lamina/shared';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';
import { ServingLayer, type ServingLayerOptions } from '../src/index.js';

type Answer = { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function gql(serving: ServingLayer, query: string): Promise<Answer> {
  const response = await serving.yoga.fetch('http://lamina.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return (await response.json()) as Answer;
}

/** Another serving layer over the same log and lake, with its own limits, realtime sources and metrics. */
function servingWith(lamina: InProcessLamina, limits: Record<string, number>, realtime: RealtimeSource[], options: Partial<ServingLayerOptions> = {}): { serving: ServingLayer; registry: Registry } {
  const config: LaminaConfig = { ...lamina.config, serving: { ...lamina.config.serving, limits: { ...lamina.config.serving.limits, ...limits } } };
  const registry = createRegistry();
  return { serving: new ServingLayer({ config, log: lamina.log, store: lamina.store, realtime, logger: silentLogger, registry, ...options }), registry };
}

async function refusals(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('lamina_graphql_refused_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [v.labels.reason, v.value]));
}

/** A speed instance that has stalled: it accepts every call and never answers. */
const stalled: RealtimeSource = { name: 'stalled', status: () => new Promise(() => {}), query: () => new Promise(() => {}) };

/** Counts the view fields that reached the speed layer, calling `onFirst` from inside the first. */
function countSpeedQueries(lamina: InProcessLamina, onFirst: () => void = () => {}): () => number {
  let calls = 0;
  const speed = lamina.speed;
  const query = speed.query.bind(speed);
  speed.query = (request) => {
    if (calls++ === 0) onFirst();
    return query(request);
  };
  return () => calls;
}

const turns = (n: number) => Array.from({ length: n }).reduce<Promise<void>>((p) => p.then(() => new Promise((r) => setImmediate(r))), Promise.resolve());

/** Ten view fields (the default maxViewFields), each merging every row of the view: big, but legal. */
const tenFields = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: pageviews(granularity: ALL, groupBy: []) { views visitors p95DurationMs }`).join(' ')} }`;

describe('query time', () => {
  let lamina: InProcessLamina;
  let base: string;
  const events = 20_000;

  before(async () => {
    lamina = await InProcessLamina.start(testConfig());
    // A large in-memory (realtime) view: 20,000 rows of (minute, url, country), the last minutes before now.
    const start = Math.floor(Date.now() / 60_000) * 60_000 - events * 60_000;
    for (let from = 0; from < events; from += 10_000) {
      const batch = Array.from({ length: 10_000 }, (_, i) => {
        const n = from + i;
        return { id: `e${n}`, type: 'page_view', ts: new Date(start + n * 60_000).toISOString(), data: { url: `/p${n % 5000}`, country: 'DE', userId: `u${n % 3000}`, durationMs: n % 1000 } };
      });
      assert.equal((await lamina.serving.ingest.ingest(batch)).accepted, batch.length);
    }
    await lamina.waitForRealtime(60_000);
    base = `http://127.0.0.1:${await lamina.serving.start(0, '127.0.0.1')}`;
  });
  after(() => lamina.stop());

  test('/healthz answers while a big legal query runs: view fields take turns with the event loop', async () => {
    let health: Promise<{ status: number; fieldsDone: number; queryDone: boolean }> | undefined;
    let queryDone = false;
    const fields = countSpeedQueries(lamina, () => {
      // From inside the query's first view field: the probe can only be answered between fields.
      health = fetch(`${base}/healthz`).then((r) => ({ status: r.status, fieldsDone: fields(), queryDone }));
    });
    const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: tenFields }) });
    const answer = (await response.json()) as Answer;
    queryDone = true;
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assert.deepEqual(answer.data!.a9[0].views, events, 'the query is legal and complete');
    const probe = await health!;
    assert.equal(probe.status, 200);
    assert.equal(probe.queryDone, false, '/healthz answered before the query did');
    assert.ok(probe.fieldsDone < 10, `/healthz answered after ${probe.fieldsDone} of the 10 view fields`);
  });

  test('past the deadline a query answers QUERY_TIMEOUT (retriable) instead of hanging on a stalled speed instance', async () => {
    const { serving, registry } = servingWith(lamina, { queryTimeoutMs: 100 }, [stalled]);
    for (const query of ['{ pageviews { views } }', '{ freshness { generation } }']) {
      const answer = await gql(serving, query);
      assert.deepEqual(answer.errors!.map((e) => e.extensions), [{ code: 'QUERY_TIMEOUT', retriable: true }], query);
      assert.match(answer.errors![0]!.message, /did not finish within 100 ms \(serving\.limits\.queryTimeoutMs\)/);
    }
    assert.deepEqual(await refusals(registry), { QUERY_TIMEOUT: 2 });
  });

  test('the view fields a timed-out query had not started yet never run', async () => {
    const fields = countSpeedQueries(lamina);
    const { serving } = servingWith(lamina, { queryTimeoutMs: 1 }, [lamina.speed]);
    const answer = await gql(serving, tenFields);
    assert.deepEqual(answer.errors!.map((e) => e.extensions!.code), ['QUERY_TIMEOUT']);
    await turns(20); // every remaining field has had its turn
    assert.ok(fields() < 10, `only ${fields()} of the 10 view fields ran`);
  });

  test('a client that hangs up cancels the view fields its query had not started yet', async () => {
    const client = new AbortController();
    const fields = countSpeedQueries(lamina, () => client.abort());
    const request = fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: tenFields }), signal: client.signal });
    await assert.rejects(request, { name: 'AbortError' });
    await turns(20);
    assert.ok(fields() < 10, `only ${fields()} of the 10 view fields ran`);
  });

  test('an oversized body is answered 413 without waiting for it', async () => {
    const url = new URL(`${base}/graphql`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 50_000_000 } }, (res) => {
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders(); // and not one byte of the 50 MB body
    });
    assert.equal(status, 413);
  });

  test('refusals are counted by reason on /metrics', async () => {
    const tooLong = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ ${'freshness { generation } '.repeat(1000)} }` }) });
    assert.equal(((await tooLong.json()) as Answer).errors![0]!.extensions!.code, 'QUERY_TOO_LONG');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /lamina_graphql_refused_total\{reason="QUERY_TOO_LONG"\} 1/);
    assert.match(metrics, /lamina_graphql_refused_total\{reason="REQUEST_ENTITY_TOO_LARGE"\} 1/);
  });

  test('a mutation is not a query: runBatch takes the time a batch takes', async () => {
    const runBatch = async (options: { full: boolean }) => {
      const started = Date.now();
      await lamina.archiver.catchUp(); // as embedded mode's runBatch: archive everything, then the batch
      return { manifest: await lamina.runBatch(options), durationMs: Date.now() - started };
    };
    const { serving } = servingWith(lamina, { queryTimeoutMs: 1 }, [lamina.speed], { runBatch });
    const answer = await gql(serving, 'mutation { runBatch { generation events durationMs } }');
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assert.equal(answer.data!.runBatch.events, events);
    assert.ok(answer.data!.runBatch.durationMs > 1, 'longer than the query deadline');
  });
});

/**
 * Live answers over SSE, in-process through yoga.fetch: the answer at once, again after new events
 * and a new generation, at most once a second; a retriable error is an event and the stream goes
 * on; a bad argument ends it; a client that goes away closes the subscription.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { evolvedTestConfigs, testConfig } from '../../test/support/test-config.js';
import { SseReader, type SseEvent } from '../../test/support/sse.js';

let lamina: InProcessLamina;

async function subscribe(query: string, variables?: Record<string, unknown>): Promise<SseReader> {
  const response = await lamina.serving.yoga.fetch('http://lamina.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query, variables }),
  });
  return new SseReader(response);
}

async function openSubscriptions(): Promise<number> {
  return (await lamina.registry.getSingleMetric('lamina_graphql_subscriptions')!.get()).values[0]?.value ?? 0;
}

let sequence = 0;
const pageView = (country: string) => ({ id: `live-${sequence++}`, type: 'page_view', ts: '2026-11-20T10:00:00Z', data: { url: '/', country, userId: `u${sequence}`, durationMs: 100 } });
const total = (event: SseEvent) => (event.data?.data?.pageviews?.rows as { views: number }[] | undefined)?.reduce((s, r) => s + r.views, 0);

describe('GraphQL subscriptions', () => {
  before(async () => {
    lamina = await InProcessLamina.start(testConfig());
    assert.equal((await lamina.serving.ingest.ingest([pageView('DE'), pageView('FR')])).accepted, 2);
    await lamina.archiver.catchUp();
    await lamina.runBatch();
  });
  after(() => lamina.stop());

  test('one Subscription field per view, with the arguments of its query field', async () => {
    const response = await lamina.serving.yoga.fetch('http://lamina.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __schema { queryType { fields { name args { name } } } subscriptionType { fields { name type { ofType { name } } args { name } } } } }' }),
    });
    const schema = ((await response.json()) as { data: { __schema: any } }).data.__schema;
    const queryFields = new Map<string, string[]>(schema.queryType.fields.map((f: { name: string; args: { name: string }[] }) => [f.name, f.args.map((a) => a.name)]));
    const subscriptionFields = schema.subscriptionType.fields as { name: string; type: { ofType: { name: string } }; args: { name: string }[] }[];
    assert.deepEqual(subscriptionFields.map((f) => f.name).sort(), Object.keys(lamina.config.views).sort());
    for (const field of subscriptionFields) {
      assert.deepEqual(field.args.map((a) => a.name), queryFields.get(field.name), `${field.name}: same arguments as the query`);
      assert.equal(field.type.ofType.name, `${field.name[0]!.toUpperCase()}${field.name.slice(1)}Answer`);
    }
  });

  test('the answer at once, again after new events and a new generation, at most once a second; closing stops it', { timeout: 60_000 }, async () => {
    const stream = await subscribe('subscription Live($country: [String]) { pageviews(groupBy: [], filter: { country: { in: $country } }) { rows { views } freshness { generation realtimeLagRecords } } }', { country: ['DE', 'US'] });
    const first = await stream.until((e) => e.event === 'next');
    assert.equal(first.data!.errors, undefined, JSON.stringify(first.data!.errors));
    assert.equal(total(first), 1, 'the first answer comes at once: the one DE event of generation 1');
    assert.equal(first.data!.data!.pageviews.freshness.generation, 1);
    assert.equal(await openSubscriptions(), 1);

    await lamina.serving.ingest.ingest([pageView('DE'), pageView('FR')]);
    await stream.until((e) => total(e) === 2, 5_000);
    // A new event every 100 ms for 2.5 s: the answers come at most once a second, the last one complete.
    const started = Date.now();
    for (let i = 0; i < 25; i++) {
      await lamina.serving.ingest.ingest([pageView('US')]);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seen: SseEvent[] = [];
    const last = await stream.until((e) => (seen.push(e), total(e) === 27), 5_000);
    const allowed = Math.floor((last.at - started) / 1000) + 1;
    assert.ok(seen.length <= allowed, `${seen.length} answers in ${last.at - started} ms: at most one a second (${allowed})`);

    await lamina.archiver.catchUp();
    await lamina.runBatch();
    const next = await stream.until((e) => e.data?.data?.pageviews.freshness.generation === 2, 5_000);
    assert.equal(total(next), 27, 'the new generation takes the realtime events over: the same total');

    await stream.close();
    const deadline = Date.now() + 5_000;
    while ((await openSubscriptions()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await openSubscriptions(), 0, 'the subscription stopped when the client went away');
  });

  test('a bad argument is an error event with its code, then the stream ends', async () => {
    const stream = await subscribe('subscription { revenue(granularity: MINUTE) { rows { orders } } }');
    const event = await stream.until((e) => e.event === 'next');
    assert.equal(event.data!.errors![0]!.extensions!.code, 'VALIDATION_FAILED');
    assert.match(event.data!.errors![0]!.message, /stored per hour/);
    assert.equal((await stream.next())?.event, 'complete');
  });
});

test('a view newer than the generation: VIEW_INCOMPLETE as an event, then its answer once a batch computes it', { timeout: 60_000 }, async () => {
  const [v1, v2] = evolvedTestConfigs();
  lamina = await InProcessLamina.start(v1!);
  try {
    await lamina.serving.ingest.ingest([pageView('DE')]);
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    await lamina.restart(v2!);
    const stream = await subscribe('subscription { byPlan(groupBy: [plan]) { rows { plan n } freshness { generation } } }');
    const incomplete = await stream.until((e) => e.event === 'next');
    assert.equal(incomplete.data!.errors![0]!.extensions!.code, 'VIEW_INCOMPLETE');
    assert.equal(incomplete.data!.errors![0]!.extensions!.retriable, true);
    await lamina.runBatch();
    const answer = await stream.until((e) => e.event === 'next', 5_000);
    assert.equal(answer.data!.errors, undefined, 'the same stream goes on with the answer');
    assert.deepEqual(answer.data!.data!.byPlan, { rows: [{ plan: 'free', n: 1 }], freshness: { generation: 2 } });
    await stream.close();
  } finally {
    await lamina.stop();
  }
});

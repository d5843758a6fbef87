/** The GraphQL API, in-process through yoga.fetch: generated fields, arguments, errors, freshness. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';

let lamina: InProcessLamina;

async function gql(query: string, variables?: Record<string, unknown>) {
  const response = await lamina.serving.yoga.fetch('http://lamina.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, any>; errors?: { message: string; extensions?: Record<string, unknown> }[]; extensions?: Record<string, any> };
}

const t = (h: number, m = 0) => new Date(Date.UTC(2026, 10, 20, h, m)).toISOString();

describe('GraphQL API', () => {
  before(async () => {
    lamina = await InProcessLamina.start(testConfig());
    const events = [
      { id: '1', type: 'page_view', ts: t(10, 1), data: { url: '/', country: 'DE', userId: 'a', durationMs: 100 } },
      { id: '2', type: 'page_view', ts: t(10, 2), data: { url: '/', country: 'DE', userId: 'b', durationMs: 300 } },
      { id: '3', type: 'page_view', ts: t(11, 5), data: { url: '/docs', country: 'FR', userId: 'a', durationMs: 200 } },
      { id: '4', type: 'purchase', ts: t(10, 30), data: { country: 'DE', userId: 'a', revenue: 10.5, coupon: 'VIP' } },
      { id: '5', type: 'purchase', ts: t(12, 0), data: { country: 'FR', userId: 'c', revenue: 4.25 } },
    ];
    assert.equal((await lamina.serving.ingest.ingest(events)).accepted, 5);
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    assert.equal((await lamina.serving.ingest.ingest([{ id: '6', type: 'page_view', ts: t(10, 3), data: { url: '/', country: 'DE', userId: 'c', durationMs: 500 } }])).accepted, 1);
    await lamina.waitForRealtime();
  });
  after(() => lamina.stop());

  test('one typed field per view, merged across batch and realtime', async () => {
    const result = await gql('{ pageviews(granularity: HOUR, orderBy: [{field: bucket, direction: ASC}, {field: url, direction: ASC}]) { bucket url country views visitors avgDurationMs maxDurationMs } }');
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data!.pageviews, [
      { bucket: t(10), url: '/', country: 'DE', views: 3, visitors: 3, avgDurationMs: 300, maxDurationMs: 500 },
      { bucket: t(11), url: '/docs', country: 'FR', views: 1, visitors: 1, avgDurationMs: 200, maxDurationMs: 200 },
    ]);
    assert.equal(result.extensions!.lamina.generation, 1);
    assert.deepEqual(result.extensions!.lamina.answers.pageviews.batchWatermark.reduce((a: number, b: number) => a + b, 0), 5);
  });

  test('filters, group-by, time range, order and limit', async () => {
    const result = await gql(`{
      de: pageviews(filter: { country: { eq: "DE" } }, groupBy: [country]) { bucket country views }
      range: pageviews(from: "${t(11)}", to: "${t(12)}", groupBy: []) { views }
      top: revenue(granularity: ALL, groupBy: [country], orderBy: [{ field: revenue }], limit: 1) { country revenue orders minOrder }
      noCoupon: revenue(filter: { coupon: { in: [null] } }, groupBy: []) { orders }
    }`);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data!.de, [{ bucket: null, country: 'DE', views: 3 }]);
    assert.deepEqual(result.data!.range, [{ views: 1 }]);
    assert.deepEqual(result.data!.top, [{ country: 'DE', revenue: 10.5, orders: 1, minOrder: 10.5 }]);
    assert.deepEqual(result.data!.noCoupon, [{ orders: 1 }]);
  });

  test('filters: eq, in, not, prefix (all must hold)', async () => {
    const result = await gql(`{
      prefix: pageviews(filter: { url: { prefix: "/d" } }, groupBy: [url]) { url views }
      not: pageviews(filter: { url: { not: ["/"] } }, groupBy: [url]) { url views }
      both: pageviews(filter: { url: { in: ["/", "/docs"], not: ["/docs"] }, country: { prefix: "D" } }, groupBy: [url]) { url views }
      none: pageviews(filter: { url: { prefix: "/nothing" } }, groupBy: []) { views }
    }`);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data!.prefix, [{ url: '/docs', views: 1 }]);
    assert.deepEqual(result.data!.not, [{ url: '/docs', views: 1 }]);
    assert.deepEqual(result.data!.both, [{ url: '/', views: 3 }]);
    assert.deepEqual(result.data!.none, []);
  });

  test('time zones: days, weeks and months start at local midnight', async () => {
    // Event times 10:01-12:00 UTC on 2026-11-20: one day in UTC and in Tokyo (+9); in Honolulu (-10) they are 00:01-02:00 local.
    const result = await gql(`{
      utc: pageviews(granularity: DAY, groupBy: []) { bucket views }
      tokyo: pageviews(granularity: DAY, groupBy: [], timeZone: "Asia/Tokyo") { bucket views }
      honolulu: revenue(granularity: DAY, groupBy: [], timeZone: "Pacific/Honolulu") { bucket orders }
      kolkataHours: pageviews(granularity: HOUR, groupBy: [], timeZone: "Asia/Kolkata") { bucket views }
    }`);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data!.utc, [{ bucket: '2026-11-20T00:00:00.000Z', views: 4 }]);
    assert.deepEqual(result.data!.tokyo, [{ bucket: '2026-11-19T15:00:00.000Z', views: 4 }]);
    assert.deepEqual(result.data!.honolulu, [{ bucket: '2026-11-20T10:00:00.000Z', orders: 2 }]);
    assert.deepEqual(result.data!.kolkataHours, [{ bucket: '2026-11-20T09:30:00.000Z', views: 3 }, { bucket: '2026-11-20T10:30:00.000Z', views: 1 }]);
    const bad = await gql('{ pageviews(timeZone: "Mars/Olympus") { views } }');
    assert.match(bad.errors![0]!.message, /'Mars\/Olympus' is not an IANA time zone name/);
    assert.equal(bad.errors![0]!.extensions!.code, 'VALIDATION_FAILED');
  });

  test('cursor pagination: limit pages through the ordered answer; nextCursor is null on the last page', async () => {
    const order = '[{ field: bucket, direction: ASC }]';
    const page = async (after?: string) =>
      (await gql(`{ pageviewsWithFreshness(granularity: MINUTE, groupBy: [], orderBy: ${order}, limit: 2${after ? `, after: "${after}"` : ''}) { rows { bucket views } nextCursor } }`)).data!.pageviewsWithFreshness as { rows: { bucket: string }[]; nextCursor: string | null };
    const first = await page();
    assert.equal(first.rows.length, 2);
    assert.ok(first.nextCursor);
    const second = await page(first.nextCursor!);
    assert.deepEqual(second.rows.map((r) => r.bucket), [t(10, 3), t(11, 5)]);
    assert.equal(second.nextCursor, null);
    const all = await gql(`{ pageviews(granularity: MINUTE, groupBy: [], orderBy: ${order}) { bucket } }`);
    assert.deepEqual([...first.rows, ...second.rows].map((r) => r.bucket), all.data!.pageviews.map((r: { bucket: string }) => r.bucket));
    const bad = await gql('{ pageviews(after: "nope") { views } }');
    assert.match(bad.errors![0]!.message, /'after' is not a cursor this API returned/);
  });

  test('only the measures a request selects are merged: ordering by an unselected measure still works', async () => {
    const result = await gql('{ pageviews(groupBy: [url], orderBy: [{ field: visitors }]) { url views } }');
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data!.pageviews, [{ url: '/', views: 3 }, { url: '/docs', views: 1 }]);
    const fragment = await gql('fragment M on PageviewsRow { p95DurationMs } { pageviewsWithFreshness(groupBy: []) { rows { ...M } } }');
    assert.equal(fragment.errors, undefined, JSON.stringify(fragment.errors));
    assert.ok(fragment.data!.pageviewsWithFreshness.rows[0].p95DurationMs > 0);
  });

  test('freshness says which generation and how far realtime got', async () => {
    const result = await gql('{ freshness { generation batchWatermark realtimeLagRecords realtimeCaughtUp coverage { partition fromOffset toOffset ready } } generations { generation events } }');
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const f = result.data!.freshness;
    assert.equal(f.generation, 1);
    assert.equal(f.realtimeLagRecords, 0);
    assert.equal(f.realtimeCaughtUp, true);
    assert.equal(f.coverage.length, 3);
    assert.equal(f.coverage.reduce((s: number, c: { toOffset: number; fromOffset: number }) => s + c.toOffset - c.fromOffset, 0), 1, 'one event is realtime-only');
    assert.deepEqual(result.data!.generations.map((g: { generation: number }) => g.generation), [1, 0]);
    const both = await gql('{ pageviewsWithFreshness(groupBy: []) { rows { views } freshness { generation } } }');
    assert.deepEqual(both.data!.pageviewsWithFreshness, { rows: [{ views: 4 }], freshness: { generation: 1 } });
  });

  test('bad arguments get actionable errors with a code', async () => {
    const fine = await gql('{ revenue(granularity: MINUTE) { orders } }');
    assert.match(fine.errors![0]!.message, /stored per hour; it cannot answer granularity minute/);
    assert.equal(fine.errors![0]!.extensions!.code, 'VALIDATION_FAILED');
    const range = await gql(`{ pageviews(from: "${t(12)}", to: "${t(11)}") { views } }`);
    assert.match(range.errors![0]!.message, /`from` must be before `to`/);
    const time = await gql('{ pageviews(from: "last tuesday") { views } }');
    assert.match(time.errors![0]!.message, /DateTime must be an ISO-8601 string/);
    const batch = await gql('mutation { runBatch { generation } }');
    assert.match(batch.errors![0]!.message, /embedded mode only/);
  });
  test('read-your-writes: a query passed an ingest token answers once the events are in', async () => {
    const { token } = await lamina.serving.ingest.ingest([{ id: 'ryw', type: 'page_view', ts: t(13), data: { url: '/ryw', country: 'DE', userId: 'z', durationMs: 1 } }]);
    assert.ok(token);
    const result = await gql(`{ pageviews(filter: { url: { eq: "/ryw" } }, groupBy: [url], consistentWith: "${token}") { url views } }`);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data!.pageviews, [{ url: '/ryw', views: 1 }]);
    const bad = await gql('{ pageviews(consistentWith: "x") { views } }');
    assert.match(bad.errors![0]!.message, /'consistentWith' is not a token an ingest answer returned/);
  });

  test('a variable of the wrong type says which and why, not "Unexpected error."', async () => {
    const result = await gql('query ($n: Int, $g: Granularity) { pageviews(limit: $n, granularity: $g) { views } }', { n: 'ten', g: 'FORTNIGHT' });
    assert.equal(result.errors?.length, 2, JSON.stringify(result.errors));
    assert.match(result.errors![0]!.message, /Variable "\$n" got invalid value "ten"; Expected type Int; Int cannot represent non-integer value/);
    assert.match(result.errors![1]!.message, /Variable "\$g" got invalid value "FORTNIGHT"/);
  });

  test('sums past the range of a double cannot enter: 1e308 is refused at ingest, and the totals still answer', async () => {
    const huge = (id: string) => ({ id, type: 'purchase', ts: t(13), data: { country: 'DE', userId: 'z', revenue: 1e308 } });
    const result = await lamina.serving.ingest.ingest([huge('o1'), huge('o2')]);
    assert.equal(result.accepted, 0);
    assert.match(result.rejected[0]!.reason, /beyond ±2\^53/);
    const totals = await gql('{ revenue(granularity: ALL, groupBy: []) { revenue orders } }');
    assert.equal(totals.errors, undefined, JSON.stringify(totals.errors));
    assert.ok(Number.isFinite(totals.data!.revenue[0].revenue));
  });
});

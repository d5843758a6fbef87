/**
 * serving.limits, in-process through yoga.fetch on a real embedded Lamina: every limit refuses with
 * its code before any view is read (or, for rows, instead of a truncated answer), queries within the
 * limits still answer, and refusals are counted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';
import { SseReader } from '../../test/support/sse.js';
import type { ServingLayer } from '../src/index.js';

interface GraphQLResponse {
  status: number;
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function post(serving: ServingLayer, body: BodyInit, init: { headers?: Record<string, string> } = {}): Promise<GraphQLResponse> {
  const response = await serving.yoga.fetch('http://lamina.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  return { status: response.status, ...((await response.json()) as object) };
}

const gql = (serving: ServingLayer, query: string, variables?: Record<string, unknown>) => post(serving, JSON.stringify({ query, variables }));

/** Counts what the resolvers ask of the query service: zero means no resolver reached a view or the freshness. */
function countResolverCalls(serving: ServingLayer): () => number {
  let calls = 0;
  const queries = serving.queries;
  const [query, freshness] = [queries.query.bind(queries), queries.freshness.bind(queries)];
  queries.query = (...args) => (calls++, query(...args));
  queries.freshness = () => (calls++, freshness());
  return () => calls;
}

const codes = (response: GraphQLResponse) => (response.errors ?? []).map((e) => e.extensions?.code);
const aliased = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
const t = (m: number) => new Date(Date.UTC(2026, 10, 20, 10, m)).toISOString();

async function startWithEvents(limits: Record<string, number> = {}): Promise<InProcessLamina> {
  const lamina = await InProcessLamina.start(testConfig({ serving: { limits } }));
  const urls = ['/', '/docs', '/pricing'];
  const events = urls.map((url, i) => ({ id: `e${i}`, type: 'page_view', ts: t(i), data: { url, country: 'DE', userId: `u${i}`, durationMs: 100 } }));
  assert.equal((await lamina.serving.ingest.ingest(events)).accepted, urls.length);
  await lamina.waitForRealtime();
  return lamina;
}

describe('query limits with the defaults', () => {
  let lamina: InProcessLamina;
  before(async () => (lamina = await startWithEvents()));
  after(() => lamina.stop());

  test('the 1,000-alias request of the incident is refused before any resolver runs', async () => {
    const calls = countResolverCalls(lamina.serving);
    const incident = aliased(1000, 'pageviews(granularity: ALL) { url country views visitors p95DurationMs avgDurationMs }');
    assert.ok(incident.length > 70_000, 'as large as the request that blocked the process');
    const response = await gql(lamina.serving, incident);
    assert.deepEqual(codes(response), ['QUERY_TOO_LONG'], JSON.stringify(response.errors));
    assert.equal(response.errors![0]!.extensions!.retriable, false);
    assert.match(response.errors![0]!.message, /Token limit of 2000 exceeded/);
    assert.equal(response.data, undefined, 'nothing executed');
    assert.equal(calls(), 0, 'no resolver ran');
  });

  test('a dashboard-sized query within the limits still answers', async () => {
    const response = await gql(
      lamina.serving,
      `{ all: pageviews(granularity: ALL, groupBy: []) { views }
         byUrl: pageviews(granularity: HOUR, orderBy: [{ field: url, direction: ASC }], limit: 10000) { url views }
         fresh: pageviewsWithFreshness { freshness { generation coverage { partition } } }
         freshness { generation } }`,
    );
    assert.equal(response.errors, undefined, JSON.stringify(response.errors));
    assert.deepEqual(response.data!.all, [{ views: 3 }]);
    assert.deepEqual(response.data!.byUrl.map((r: { url: string }) => r.url), ['/', '/docs', '/pricing']);
    assert.equal(response.data!.fresh.freshness.coverage.length, 3);
  });

  test('introspection (GraphiQL, codegen) is within the limits', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const response = await gql(lamina.serving, getIntrospectionQuery());
    assert.equal(response.errors, undefined, JSON.stringify(response.errors));
    assert.ok(response.data!.__schema.types.length > 10);
  });
});

describe('the incident request with a token limit that lets it through', () => {
  let lamina: InProcessLamina;
  before(async () => (lamina = await startWithEvents({ maxTokens: 100_000 })));
  after(() => lamina.stop());

  test('the alias limit refuses it, before any resolver runs', async () => {
    const calls = countResolverCalls(lamina.serving);
    const response = await gql(lamina.serving, aliased(1000, 'pageviews(granularity: ALL) { url country views visitors p95DurationMs avgDurationMs }'));
    // The first limit it breaks stops validation (before graphql-js compares its 1,000 fields pairwise).
    assert.deepEqual(codes(response), ['TOO_MANY_ALIASES'], JSON.stringify(response.errors));
    assert.match(response.errors![0]!.message, /Aliases limit of 15 exceeded, found 1000/);
    assert.equal(calls(), 0, 'no resolver ran');
  });
});

describe('query limits, each one alone', () => {
  let lamina: InProcessLamina;
  const limits = { maxAliases: 3, maxViewFields: 2, maxDepth: 3, maxTokens: 200, maxRows: 2, maxBodyBytes: 8192 };
  before(async () => (lamina = await startWithEvents(limits)));
  after(() => lamina.stop());

  /** Refused with `code` (and only that), before any resolver ran. */
  async function refusedBeforeResolvers(query: string, code: string, message: RegExp): Promise<void> {
    const calls = countResolverCalls(lamina.serving);
    const response = await gql(lamina.serving, query);
    assert.deepEqual(codes(response), [code], JSON.stringify(response.errors));
    assert.match(response.errors![0]!.message, message);
    assert.equal(response.errors![0]!.extensions!.retriable, false);
    assert.equal(calls(), 0, 'no resolver ran');
  }

  test('aliases: TOO_MANY_ALIASES, counted through fragments too', async () => {
    assert.equal((await gql(lamina.serving, aliased(3, 'freshness { generation }'))).errors, undefined);
    await refusedBeforeResolvers(aliased(4, 'freshness { generation }'), 'TOO_MANY_ALIASES', /Aliases limit of 3 exceeded, found 4/);
    await refusedBeforeResolvers('{ ...F ...G } fragment F on Query { a: freshness { generation } b: generations { generation } } fragment G on Query { c: pageviews { v: views } }', 'TOO_MANY_ALIASES', /found 4/);
  });

  test('view fields: TOO_MANY_VIEW_FIELDS, with or without aliases and fragments', async () => {
    assert.equal((await gql(lamina.serving, '{ pageviews(groupBy: []) { views } revenue { orders } freshness { generation } }')).errors, undefined);
    await refusedBeforeResolvers('{ pageviews { views } revenue { orders } germanViews { events } }', 'TOO_MANY_VIEW_FIELDS', /View fields limit of 2 exceeded, found 3/);
    await refusedBeforeResolvers('{ pageviews { views } ... on Query { a: pageviews(limit: 1) { views } } ...F } fragment F on Query { revenueWithFreshness { rows { orders } } }', 'TOO_MANY_VIEW_FIELDS', /found 3/);
  });

  test('depth: QUERY_TOO_DEEP', async () => {
    assert.equal((await gql(lamina.serving, '{ pageviewsWithFreshness(limit: 1) { freshness { generation } } }')).errors, undefined);
    await refusedBeforeResolvers('{ pageviewsWithFreshness { freshness { coverage { partition } } } }', 'QUERY_TOO_DEEP', /depth limit of 3 exceeded, found 4/);
  });

  test('tokens: QUERY_TOO_LONG; long filter lists fit as variables', async () => {
    const urls = Array.from({ length: 300 }, (_, i) => `/page${i}`);
    await refusedBeforeResolvers(`{ pageviews(filter: { url: { in: ${JSON.stringify(urls)} } }) { views } }`, 'QUERY_TOO_LONG', /Token limit of 200 exceeded/);
    const asVariables = await gql(lamina.serving, 'query ($urls: [String!]) { pageviews(filter: { url: { in: $urls } }, groupBy: []) { views } }', { urls: ['/', ...urls.slice(0, 50)] });
    assert.equal(asVariables.errors, undefined, JSON.stringify(asVariables.errors));
    assert.deepEqual(asVariables.data!.pageviews, [{ views: 1 }]);
  });

  test('refusals found in the document are request errors: HTTP 400 to a client that accepts graphql-response+json', async () => {
    const refused = {
      QUERY_TOO_LONG: `{ ${'freshness { generation } '.repeat(100)} }`,
      TOO_MANY_ALIASES: aliased(4, 'freshness { generation }'),
      TOO_MANY_VIEW_FIELDS: '{ pageviews { views } revenue { orders } germanViews { events } }',
      QUERY_TOO_DEEP: '{ pageviewsWithFreshness { freshness { coverage { partition } } } }',
    };
    for (const [code, query] of Object.entries(refused)) {
      const response = await post(lamina.serving, JSON.stringify({ query }), { headers: { accept: 'application/graphql-response+json' } });
      assert.equal(response.status, 400, code);
      assert.deepEqual(codes(response), [code]);
      assert.equal(response.data, undefined);
    }
  });

  test('rows: a subscription is held to maxRows too, for each event it sends', async () => {
    const events = async (query: string) => {
      const response = await lamina.serving.yoga.fetch('http://lamina.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ query }) });
      const reader = new SseReader(response);
      const first = await reader.until((e) => e.event === 'next');
      await reader.close();
      return first.data!;
    };
    for (const query of ['subscription { pageviews(limit: 3) { rows { url } } }', 'subscription { pageviews { rows { url } } }']) {
      const first = await events(query);
      assert.deepEqual((first.errors ?? []).map((e) => e.extensions?.code), ['TOO_MANY_ROWS'], query);
    }
    const narrow = await events('subscription { pageviews(limit: 2, orderBy: [{ field: url, direction: ASC }]) { rows { url } } }');
    assert.equal(narrow.errors, undefined, JSON.stringify(narrow.errors));
    assert.deepEqual(narrow.data!.pageviews.rows, [{ url: '/' }, { url: '/docs' }]);
  });

  test('rows: a `limit` above maxRows is refused before the view is read, as a variable too', async () => {
    await refusedBeforeResolvers('{ pageviews(limit: 3) { views } }', 'TOO_MANY_ROWS', /limit 3 is above the 2 rows a view field may answer/);
    const calls = countResolverCalls(lamina.serving);
    const response = await gql(lamina.serving, 'query ($n: Int) { pageviewsWithFreshness(limit: $n) { rows { views } } }', { n: 1000 });
    assert.deepEqual(codes(response), ['TOO_MANY_ROWS']);
    assert.equal(calls(), 0);
  });

  test('rows: a larger answer without `limit` is refused, not truncated; narrower ones answer', async () => {
    for (const field of ['pageviews { url }', 'pageviewsWithFreshness { rows { url } }']) {
      const response = await gql(lamina.serving, `{ ${field} }`);
      assert.deepEqual(codes(response), ['TOO_MANY_ROWS'], field);
      assert.match(response.errors![0]!.message, /the answer has 3 rows, more than the 2 a view field may answer; add `limit` \(at most 2\), or add filters, a shorter time range or a coarser granularity/);
      assert.equal(response.data, null, 'no partial list');
    }
    const limited = await gql(lamina.serving, '{ pageviews(limit: 2, orderBy: [{ field: url, direction: ASC }]) { url } }');
    assert.deepEqual(limited.data!.pageviews, [{ url: '/' }, { url: '/docs' }]);
    const filtered = await gql(lamina.serving, '{ pageviews(filter: { url: { eq: "/docs" } }) { url } }');
    assert.deepEqual(filtered.data!.pageviews, [{ url: '/docs' }]);
    const coarser = await gql(lamina.serving, '{ pageviews(groupBy: []) { views } }');
    assert.deepEqual(coarser.data!.pageviews, [{ views: 3 }]);
  });

  test('a field refused for its rows leaves no partial answer beside it', async () => {
    const response = await gql(lamina.serving, '{ pageviews { url } freshness { generation } }');
    assert.deepEqual(codes(response), ['TOO_MANY_ROWS']);
    assert.deepEqual(response.errors![0]!.extensions, { code: 'TOO_MANY_ROWS', retriable: false });
    assert.equal(response.data, null, 'pageviews is non-null, so the whole answer is null: refused, not partial');
  });

  test('body: 413 REQUEST_ENTITY_TOO_LARGE from Content-Length, before the body is read', async () => {
    const calls = countResolverCalls(lamina.serving);
    const big = JSON.stringify({ query: '{ freshness { generation } }', variables: { pad: 'x'.repeat(10_000) } });
    const response = await post(lamina.serving, big, { headers: { 'content-length': String(Buffer.byteLength(big)) } });
    assert.equal(response.status, 413);
    assert.deepEqual(codes(response), ['REQUEST_ENTITY_TOO_LARGE']);
    assert.equal(calls(), 0);
  });

  test('body: 413 for a streamed body without Content-Length, which is not read to its end', async () => {
    let pulled = 0;
    const chunk = new TextEncoder().encode(' '.repeat(1024));
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(pulled === 1 ? new TextEncoder().encode('{"query":"{ freshness { generation } }"') : chunk);
        if (pulled === 100) controller.close();
      },
    });
    const response = await post(lamina.serving, endless);
    assert.equal(response.status, 413);
    assert.deepEqual(codes(response), ['REQUEST_ENTITY_TOO_LARGE']);
    assert.ok(pulled < 100, `the body stopped being read once past the limit (read ${pulled} of 100 chunks)`);
  });
});

/**
 * Views evolve on a data folder that has published generations: a measure and a dimension added to a
 * view, and a new view. The server starts; every answer is exact or says VIEW_INCOMPLETE (never
 * silently short); embedded mode recomputes at once, and then every answer is exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '@lamina/cli';
import { EventValidator, validateConfig, type LaminaConfig, type LaminaEvent, type RollUp } from '@lamina/shared';
import { createRuntime } from '../cli/src/layers.js';
import { readRuntimeOptions } from '../cli/src/runtime-options.js';
import { graphql, pageViews, postEvents } from './support/http.js';
import { bruteForce } from './support/brute-force.js';

const pageView = { fields: { url: { type: 'string' }, country: { type: 'string' }, userId: { type: 'string' }, durationMs: { type: 'number' } } };
const before = validateConfig({
  partitions: 3,
  eventTypes: { page_view: pageView },
  views: { pageviews: { source: 'page_view', dimensions: ['url'], measures: { views: { kind: 'count' }, visitors: { kind: 'distinct', field: 'userId' } } } },
});
const after = validateConfig({
  ...before,
  views: {
    pageviews: { source: 'page_view', dimensions: ['url', 'country'], measures: { views: { kind: 'count' }, visitors: { kind: 'distinct', field: 'userId' }, p50: { kind: 'quantile', field: 'durationMs', q: 0.5 } } },
    slowest: { source: 'page_view', dimensions: ['country'], granularity: 'hour', measures: { maxMs: { kind: 'max', field: 'durationMs' } } },
  },
});

async function boot(dataDir: string, config: LaminaConfig) {
  const options = readRuntimeOptions({ LAMINA_DATA_DIR: dataDir, PORT: '0', LAMINA_LOG_LEVEL: 'silent' });
  const lamina = await startEmbedded(createRuntime(config, options, 'stdout'), { schedule: false });
  return { lamina, base: `http://127.0.0.1:${lamina.port}` };
}

const QUERIES = [
  { field: 'pageviews', groupBy: ['url', 'country'], select: 'views visitors p50', granularity: 'all' },
  { field: 'pageviews', groupBy: ['url'], select: 'bucket views', granularity: 'hour' },
  { field: 'slowest', groupBy: ['country'], select: 'bucket maxMs', granularity: 'day' },
];

/** Each query's answer: 'exact' (equal to brute force), or 'incomplete' (VIEW_INCOMPLETE); anything else fails. */
async function check(base: string, events: LaminaEvent[]): Promise<('exact' | 'incomplete')[]> {
  const verdicts: ('exact' | 'incomplete')[] = [];
  for (const q of QUERIES) {
    const result = await graphql<Record<string, Record<string, unknown>[]>>(base, `{ ${q.field}(granularity: ${q.granularity.toUpperCase()}, groupBy: [${q.groupBy.join(', ')}]) { ${q.groupBy.join(' ')} ${q.select} } }`);
    if (result.errors) {
      assert.equal(result.errors[0]!.extensions?.code, 'VIEW_INCOMPLETE', JSON.stringify(result.errors));
      verdicts.push('incomplete');
      continue;
    }
    const expected = bruteForce(after, events, q.field, { granularity: q.granularity as RollUp, groupBy: q.groupBy });
    const rows = result.data![q.field]!;
    assert.equal(rows.length, expected.length, `${q.field} ${q.granularity}: rows`);
    const key = (bucket: unknown, dims: Record<string, unknown>) => [bucket, ...q.groupBy.map((d) => dims[d])].join('|');
    const got = new Map(rows.map((r) => [key(r.bucket === undefined || r.bucket === null ? null : Date.parse(r.bucket as string), r), r]));
    for (const e of expected) {
      const row = got.get(key(q.granularity === 'all' ? null : e.bucket, e.dims));
      assert.ok(row, `${q.field}: group ${key(e.bucket, e.dims)} missing`);
      for (const m of q.select.split(' ').filter((f) => f in e.values)) assert.equal(row[m], e.values[m], `${q.field}.${m} of ${key(e.bucket, e.dims)}`);
    }
    verdicts.push('exact');
  }
  return verdicts;
}

test('a data folder with generations: added measure, dimension and view are exact or VIEW_INCOMPLETE, then exact', { timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lamina-views-'));
  const validator = new EventValidator(after);
  const day = Date.UTC(2026, 10, 20);
  const first = pageViews(300, { prefix: 'a', from: day, spreadMs: 8 * 3600_000 });
  const second = pageViews(120, { prefix: 'b', from: day + 2 * 3600_000, spreadMs: 3600_000 });
  const accepted = [...first, ...second].map((e) => validator.validate(e)).map((r) => (r.ok ? r.event : assert.fail(r.reason)));
  let { lamina, base } = await boot(dataDir, before);
  try {
    assert.equal((await postEvents(base, first)).body.accepted, 300);
    const batch = await graphql<{ runBatch: { generation: number } }>(base, 'mutation { runBatch { generation } }');
    assert.equal(batch.data?.runBatch.generation, 1, JSON.stringify(batch.errors));
    assert.equal((await postEvents(base, second)).body.accepted, 120);
    await lamina.archiver.catchUp();
    await lamina.stop();

    ({ lamina, base } = await boot(dataDir, after));
    for (let i = 0; i < 400; i++) {
      const verdicts = await check(base, accepted);
      if (verdicts.every((v) => v === 'exact')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(await check(base, accepted), ['exact', 'exact', 'exact'], 'the recompute makes every answer exact');
    const freshness = await graphql<{ freshness: { generation: number; incompleteViews: string[] } }>(base, '{ freshness { generation incompleteViews } }');
    assert.equal(freshness.data!.freshness.generation, 2, 'embedded mode ran a batch for the changed views at start');
    assert.deepEqual(freshness.data!.freshness.incompleteViews, []);
    const generations = await graphql<{ generations: { generation: number }[] }>(base, '{ generations { generation } }');
    assert.deepEqual(generations.data!.generations.map((g) => g.generation), [2, 1]);
  } finally {
    await lamina.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

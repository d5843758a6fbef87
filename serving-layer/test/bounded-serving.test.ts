/**
 * Serving with bounded memory: answers read the coarsest stored grain a query aligns to (day and
 * hour roll-ups), rows come into memory a data file at a time within the budget, cached answers scan
 * nothing, and answers never go backwards while a speed instance replays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RollUp, ViewQuery } from '@lamina/shared';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { assertSameRows, bruteForce } from '../../test/support/brute-force.js';
import { testConfig } from '../../test/support/test-config.js';

const DAY = Date.UTC(2026, 10, 20);
const pv = (i: number) => ({
  id: `e${i}`, type: 'page_view', ts: DAY + (i % 3) * 86_400_000 + ((i * 7919) % 86_400_000),
  data: { url: `/${i % 7}`, country: ['DE', 'FR', 'US'][i % 3], userId: `u${i % 101}`, durationMs: i % 1000 },
});

async function scanned(lamina: InProcessLamina): Promise<Record<string, number>> {
  const text = await lamina.registry.metrics();
  return Object.fromEntries([...text.matchAll(/lamina_serving_rows_scanned_total\{grain="(\w+)"\} (\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

test('answers read the coarsest grain they align to, equal brute force; cached answers scan nothing', { timeout: 120_000 }, async () => {
  const config = testConfig({ serving: { memoryBudgetMB: 16, cachedQueries: 16, consistencyWaitMs: 5000 } });
  const lamina = await InProcessLamina.start(config);
  try {
    const events = Array.from({ length: 3000 }, (_, i) => pv(i));
    assert.equal((await lamina.serving.ingest.ingest(events)).accepted, 3000);
    await lamina.archiver.catchUp();
    const manifest = await lamina.runBatch();
    assert.deepEqual(Object.keys(manifest.views.pageviews!.rollups ?? {}), ['hour', 'day'], 'the batch wrote the roll-ups');
    await lamina.waitForRealtime();
    const accepted = events.map((e) => ({ ...e, ts: e.ts }));
    const validator = new (await import('@lamina/shared')).EventValidator(config);
    const truth = accepted.map((e) => validator.validate(e)).map((r) => (r.ok ? r.event : assert.fail(r.reason)));
    const cases: [ViewQuery, string][] = [
      [{ granularity: 'all', groupBy: ['url'] }, 'day'],
      [{ granularity: 'day', from: DAY, to: DAY + 2 * 86_400_000 }, 'day'],
      [{ granularity: 'hour', from: DAY + 3600_000, to: DAY + 25 * 3600_000, groupBy: ['country'] }, 'hour'],
      [{ granularity: 'day', groupBy: [], timeZone: 'America/New_York' }, 'hour'],
      [{ granularity: 'hour', groupBy: [], timeZone: 'Asia/Kolkata' }, 'minute'],
      [{ granularity: 'minute', from: DAY + 60_000, to: DAY + 3600_000 }, 'minute'],
    ];
    for (const [query, grain] of cases) {
      const before = await scanned(lamina);
      const answer = await lamina.serving.queries.query('pageviews', query);
      assertSameRows(answer.rows, bruteForce(config, truth, 'pageviews', query), new Set(), JSON.stringify(query));
      const after = await scanned(lamina);
      assert.ok((after[grain] ?? 0) > (before[grain] ?? 0), `${JSON.stringify(query)} read the ${grain} grain (${JSON.stringify(after)})`);
      for (const other of ['minute', 'hour', 'day'].filter((g) => g !== grain)) assert.equal(after[other] ?? 0, before[other] ?? 0, `${JSON.stringify(query)} read no ${other} rows`);
      await lamina.serving.queries.query('pageviews', query);
      assert.deepEqual(await scanned(lamina), after, 'the same query again scans nothing');
    }
    const memory = await lamina.registry.metrics();
    const held = Number(/lamina_serving_chunk_cache_bytes (\d+)/.exec(memory)![1]);
    assert.ok(held > 0 && held <= 16 * 2 ** 20, `chunks held within the budget: ${held} bytes`);
  } finally {
    await lamina.stop();
  }
});

test('with caching off (each batch part serves one answer, its sketches merged when asked), answers with a realtime part equal brute force and the cached answers', { timeout: 120_000 }, async () => {
  // Some negative durations (the quantile's negative store); one group with 1,500 distinct users in
  // the batch part and more in the realtime part (dense HyperLogLog states, stored and decoded).
  const signed = (i: number) => {
    const e = pv(i);
    return i % 5 === 0 ? { ...e, data: { ...e.data, durationMs: -(i % 300) } } : e;
  };
  const dense = (i: number) => ({ ...pv(i), id: `d${i}`, data: { url: '/dense', country: 'DE', userId: `dense-${i}`, durationMs: i % 5000 } });
  const batchEvents = [...Array.from({ length: 3000 }, (_, i) => signed(i)), ...Array.from({ length: 1500 }, (_, i) => dense(i))];
  const realtimeEvents = [...Array.from({ length: 500 }, (_, i) => signed(4000 + i * 3)), ...Array.from({ length: 300 }, (_, i) => dense(1500 + i))];
  const events = [...batchEvents, ...realtimeEvents];
  const answers: Record<string, unknown>[] = [];
  for (const cachedQueries of [0, 16]) {
    const config = testConfig({ serving: { cachedQueries, consistencyWaitMs: 5000 } });
    const lamina = await InProcessLamina.start(config);
    try {
      await lamina.serving.ingest.ingest(batchEvents);
      await lamina.archiver.catchUp();
      await lamina.runBatch();
      // Realtime events: some in groups the batch part has, some in new ones.
      await lamina.serving.ingest.ingest(realtimeEvents);
      await lamina.waitForRealtime();
      const validator = new (await import('@lamina/shared')).EventValidator(config);
      const truth = events.map((e) => validator.validate(e)).map((r) => (r.ok ? r.event : assert.fail(r.reason)));
      const queries: ViewQuery[] = [
        { granularity: 'all', groupBy: ['url', 'country'] },
        { granularity: 'hour', from: DAY, to: DAY + 86_400_000, groupBy: ['url'] },
        { granularity: 'day', groupBy: [] },
      ];
      const answered: Record<string, unknown> = {};
      for (const query of queries) {
        const answer = await lamina.serving.queries.query('pageviews', query);
        assertSameRows(answer.rows, bruteForce(config, truth, 'pageviews', query), new Set(), `cachedQueries ${cachedQueries}: ${JSON.stringify(query)}`);
        const page = await lamina.serving.queries.query('pageviews', query, [{ field: 'views', direction: 'DESC' }], 4);
        // Ordered by a sketch: every group's sketch result read before the page is cut.
        const bySketch = await lamina.serving.queries.query('pageviews', query, [{ field: 'visitors', direction: 'DESC' }, { field: 'p95DurationMs', direction: 'ASC' }], 5);
        answered[JSON.stringify(query)] = { rows: answer.rows, page: page.rows, bySketch: bySketch.rows };
      }
      // Answers at once share the scratch a one-answer part merges in: each is still its own.
      const together = await Promise.all(queries.map((query) => lamina.serving.queries.query('pageviews', query)));
      together.forEach((answer, q) => assert.deepEqual(answer.rows, (answered[JSON.stringify(queries[q])] as { rows: unknown }).rows, `cachedQueries ${cachedQueries}: ${JSON.stringify(queries[q])} asked with the others`));
      answers.push(answered);
    } finally {
      await lamina.stop();
    }
  }
  assert.deepEqual(answers[0], answers[1], 'caching off and on give the same rows and pages');
});

test('answers never go backwards while a restarted speed instance replays', { timeout: 120_000 }, async () => {
  const config = testConfig();
  const lamina = await InProcessLamina.start(config);
  try {
    await lamina.serving.ingest.ingest(Array.from({ length: 4000 }, (_, i) => pv(i)));
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    for (let k = 0; k < 4; k++) await lamina.serving.ingest.ingest(Array.from({ length: 5000 }, (_, i) => pv(10_000 + k * 5000 + i)));
    await lamina.waitForRealtime(60_000);
    const query: ViewQuery = { granularity: 'all' as RollUp, groupBy: [] };
    const complete = await lamina.serving.queries.query('pageviews', query);
    assert.equal(complete.rows[0]!.values.views, 24_000);
    let staleAnswers = 0;
    for (let round = 0; round < 5; round++) {
      await lamina.restartSpeed();
      for (let i = 0; i < 20; i++) {
        const answer = await lamina.serving.queries.query('pageviews', query);
        assert.equal(answer.rows[0]!.values.views, 24_000, `round ${round}: never fewer than before (stale: ${answer.meta.stale})`);
        if (answer.meta.stale) staleAnswers++;
      }
    }
    process.stdout.write(`# stale answers while replaying: ${staleAnswers} of 100\n`);
    await lamina.waitForRealtime(60_000);
    const caughtUp = await lamina.serving.queries.query('pageviews', query);
    assert.equal(caughtUp.meta.stale, false, 'once the replay is done, answers are fresh again');
    assert.equal(caughtUp.rows[0]!.values.views, 24_000);
  } finally {
    await lamina.stop();
  }
});

test('a page ordered by plain measures gets its sketches late, for its rows only: the same rows as the whole answer', { timeout: 120_000 }, async () => {
  const config = testConfig({ serving: { cachedQueries: 16 } });
  const lamina = await InProcessLamina.start(config);
  try {
    await lamina.serving.ingest.ingest(Array.from({ length: 3000 }, (_, i) => pv(i)));
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    // Realtime events touch some groups of the batch part and add new ones.
    await lamina.serving.ingest.ingest(Array.from({ length: 400 }, (_, i) => pv(5000 + i * 3)));
    await lamina.waitForRealtime();
    const queries: [ViewQuery, { field: string; direction: 'ASC' | 'DESC' }[]][] = [
      [{ granularity: 'hour', from: DAY, to: DAY + 86_400_000, groupBy: ['url'] }, [{ field: 'views', direction: 'DESC' }]],
      [{ granularity: 'all', groupBy: ['url', 'country'] }, [{ field: 'views', direction: 'DESC' }, { field: 'avgDurationMs', direction: 'ASC' }]],
      [{ granularity: 'day', groupBy: ['url'] }, []],
      [{ granularity: 'all', groupBy: ['url'], measures: ['visitors', 'p95DurationMs'] }, [{ field: 'url', direction: 'ASC' }]],
    ];
    for (const [query, orderBy] of queries) {
      const whole = await lamina.serving.queries.query('pageviews', query, orderBy);
      assert.ok(whole.rows.length > 6, `${JSON.stringify(query)}: enough rows for pages (${whole.rows.length})`);
      for (const offset of [0, 3, whole.rows.length - 2]) {
        const page = await lamina.serving.queries.query('pageviews', query, orderBy, 3, { offset });
        assert.deepEqual(page.rows, whole.rows.slice(offset, offset + 3), `${JSON.stringify(query)} at ${offset}`);
        assert.equal(page.hasMore, offset + 3 < whole.rows.length);
      }
    }
  } finally {
    await lamina.stop();
  }
});

test('a repeated query whose realtime part has not moved reuses it: the speed instance answers unchanged, folding nothing', { timeout: 120_000 }, async () => {
  const config = testConfig({ serving: { cachedQueries: 16, consistencyWaitMs: 5000 } });
  const lamina = await InProcessLamina.start(config);
  try {
    await lamina.serving.ingest.ingest(Array.from({ length: 300 }, (_, i) => pv(i)));
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    await lamina.serving.ingest.ingest(Array.from({ length: 50 }, (_, i) => pv(300 + i)));
    await lamina.waitForRealtime();
    const replies: { known: boolean; unchanged: boolean; rows: number }[] = [];
    const speed = lamina.speed;
    const query = speed.query.bind(speed);
    speed.query = async (request) => {
      const part = await query(request);
      replies.push({ known: request.knownVersion !== undefined, unchanged: part.unchanged === true, rows: part.rows.length });
      return part;
    };
    const total = async () => (await lamina.serving.queries.query('pageviews', { granularity: 'all', groupBy: [] })).rows[0]!.values.views;
    assert.equal(await total(), 350);
    assert.deepEqual(replies.at(-1), { known: false, unchanged: false, rows: 1 }, 'the first asking folds the realtime rows');
    assert.equal(await total(), 350);
    assert.deepEqual(replies.at(-1), { known: true, unchanged: true, rows: 0 }, 'asked again, the speed instance says unchanged and sends no rows');
    await lamina.serving.ingest.ingest([pv(1000)]);
    await lamina.waitForRealtime();
    assert.equal(await total(), 351, 'a moved realtime state is folded again');
    assert.deepEqual(replies.at(-1), { known: true, unchanged: false, rows: 1 });
  } finally {
    await lamina.stop();
  }
});

test('a new generation is warmed before it is served: the recent queries\' batch parts are computed ahead, and their next asking scans nothing', { timeout: 120_000 }, async () => {
  const config = testConfig({ serving: { cachedQueries: 16, consistencyWaitMs: 5000 } });
  const lamina = await InProcessLamina.start(config);
  try {
    await lamina.serving.ingest.ingest(Array.from({ length: 600 }, (_, i) => pv(i)));
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    await lamina.waitForRealtime();
    const allTime: ViewQuery = { granularity: 'all', groupBy: ['url', 'country'] };
    const views = async () => (await lamina.serving.queries.query('pageviews', allTime)).rows.reduce((n, r) => n + (r.values.views as number), 0);
    assert.equal(await views(), 600);
    await lamina.serving.ingest.ingest(Array.from({ length: 400 }, (_, i) => pv(600 + i)));
    await lamina.archiver.catchUp();
    const before = await scanned(lamina);
    const manifest = await lamina.runBatch();
    assert.equal(manifest.generation, 2);
    const warmed = await scanned(lamina);
    assert.ok((warmed.day ?? 0) > (before.day ?? 0), `loading generation 2 scanned the all-time query's day rows ahead (${JSON.stringify(before)} -> ${JSON.stringify(warmed)})`);
    await lamina.waitForRealtime();
    assert.equal(await views(), 1000, 'the warmed part answers exactly');
    assert.deepEqual(await scanned(lamina), warmed, 'the first asking on generation 2 scanned nothing');
  } finally {
    await lamina.stop();
  }
});

test('groups of millions of possible (bucket, url, country) combinations equal brute force, pages and realtime included', { timeout: 180_000 }, async () => {
  // 3,000 urls × 1,000 countries: past the first hour of a day the dense slot table is full and a Map
  // finds the other groups; then 5,500 × 1,000, which never fits it. Both must equal brute force.
  const config = testConfig({ serving: { cachedQueries: 0 } });
  const lamina = await InProcessLamina.start(config);
  const wide = (from: number, to: number, tag: string) =>
    Array.from({ length: to - from }, (_, k) => {
      const i = from + k;
      return { id: `${tag}${i}`, type: 'page_view', ts: DAY + ((i * 7919) % 86_400_000), data: { url: `/w/${i}`, country: `K${(i * 31) % 1000}`, userId: `u${i % 97}`, durationMs: i % 500 } };
    });
  const validator = new (await import('@lamina/shared')).EventValidator(config);
  const accepted: ReturnType<typeof wide> = [];
  const orderBy = [{ field: 'views', direction: 'DESC' as const }, { field: 'url', direction: 'ASC' as const }, { field: 'country', direction: 'ASC' as const }, { field: 'bucket', direction: 'ASC' as const }];
  const queries: ViewQuery[] = [
    { granularity: 'hour', from: DAY, to: DAY + 86_400_000, groupBy: ['url', 'country'] },
    { granularity: 'hour', from: DAY, to: DAY + 86_400_000, groupBy: ['url', 'country'], filters: { url: { prefix: '/w/1' } } },
    { granularity: 'all', groupBy: ['url', 'country'] },
  ];
  try {
    for (const [batch, realtime] of [[wide(0, 3000, 'a'), wide(0, 200, 'r')], [wide(3000, 5500, 'b'), wide(100, 400, 's')]] as const) {
      await lamina.serving.ingest.ingest(batch);
      accepted.push(...batch);
      await lamina.archiver.catchUp();
      await lamina.runBatch();
      // Realtime events add to batch groups (the same url, country and hour) and to new ones.
      await lamina.serving.ingest.ingest(realtime);
      accepted.push(...realtime);
      await lamina.waitForRealtime();
      const truth = accepted.map((e) => validator.validate(e)).map((r) => (r.ok ? r.event : assert.fail(r.reason)));
      for (const query of queries) {
        const expected = bruteForce(config, truth, 'pageviews', query, orderBy);
        const whole = await lamina.serving.queries.query('pageviews', query, orderBy);
        assertSameRows(whole.rows, expected, new Set(), `${accepted.length} events, ${JSON.stringify(query)}`);
        const page = await lamina.serving.queries.query('pageviews', query, orderBy, 10, { offset: 5 });
        assert.deepEqual(page.rows, whole.rows.slice(5, 15), `${JSON.stringify(query)}: a page is the whole answer's slice`);
      }
    }
  } finally {
    await lamina.stop();
  }
});

/**
 * Deduplication by event id (config `deduplication.window`), end to end in embedded mode: the same
 * events posted again — in one request, in another, before and after a batch, with the event time
 * moved within the window or out of it — count once, alike in the speed fold and the batch SQL
 * (incremental and full), and the copies dropped are counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testConfig } from './support/test-config.js';
import { InProcessLamina } from './support/in-process-lamina.js';

const DAY = Date.UTC(2026, 10, 20);
const pv = (i: number, extra: { ts?: number; url?: string } = {}) => ({
  id: `dup-${i}`, type: 'page_view', ts: new Date(extra.ts ?? DAY + (i % 2) * 86_400_000 + i * 37_000).toISOString(),
  data: { url: extra.url ?? `/${i % 5}`, country: ['DE', 'FR'][i % 2], userId: `u${i % 31}`, durationMs: i % 900 },
});

async function totals(lamina: InProcessLamina): Promise<{ views: number; byUrl: Record<string, number> }> {
  await lamina.waitForRealtime();
  const all = await lamina.serving.queries.query('pageviews', { granularity: 'all', groupBy: [] });
  const byUrl = await lamina.serving.queries.query('pageviews', { granularity: 'all', groupBy: ['url'] });
  return { views: Number(all.rows[0]?.values.views ?? 0), byUrl: Object.fromEntries(byUrl.rows.map((r) => [r.dims.url, Number(r.values.views)])) };
}

async function speedMetric(lamina: InProcessLamina, name: string): Promise<number> {
  const text = await lamina.speedMetrics();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

test('the same 1,000 events posted twice — in two requests, before and after a batch — count 1,000; copies are counted as dropped', { timeout: 120_000 }, async () => {
  const lamina = await InProcessLamina.start(testConfig());
  try {
    const events = Array.from({ length: 1000 }, (_, i) => pv(i));
    assert.equal((await lamina.serving.ingest.ingest(events)).accepted, 1000);
    assert.equal((await lamina.serving.ingest.ingest(events.slice(0, 300))).accepted, 300, 'a copy is accepted (it is valid), then not counted');
    const before = await totals(lamina);
    assert.equal(before.views, 1000, 'speed fold: copies before the batch');

    await lamina.archiver.catchUp();
    const first = await lamina.runBatch();
    assert.equal(first.events, 1300);
    assert.equal(first.duplicates, 300, 'the manifest counts the copies the batch dropped');
    assert.deepEqual(await totals(lamina), before, 'batch SQL: the same answer');

    // After the batch: every event again, in another request — their first copies are in the lake.
    assert.equal((await lamina.serving.ingest.ingest(events)).accepted, 1000);
    assert.deepEqual(await totals(lamina), before, 'speed fold: copies of events the batch part counted');
    assert.ok((await speedMetric(lamina, 'lamina_speed_duplicates_total')) >= 1300, 'the speed layer counts the copies it passed over');

    await lamina.archiver.catchUp();
    const second = await lamina.runBatch();
    assert.equal(second.mode, 'incremental');
    assert.equal(second.duplicates, 1300);
    assert.deepEqual(await totals(lamina), before, 'incremental batch: copies of events in earlier runs');
    const full = await lamina.runBatch({ full: true });
    assert.equal(full.duplicates, 1300);
    assert.deepEqual(await totals(lamina), before, 'full batch');
    const response = await lamina.serving.yoga.fetch('http://lamina.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ generations { generation events duplicates } }' }) });
    const { data } = (await response.json()) as { data: { generations: { generation: number; events: number; duplicates: number }[] } };
    assert.deepEqual(data.generations[0], { generation: full.generation, events: 2300, duplicates: 1300 }, 'GraphQL shows the copies dropped');
  } finally {
    await lamina.stop();
  }
});

test('the first copy counts; the same id in another window is another event; deduplication off counts every copy', { timeout: 120_000 }, async () => {
  for (const window of ['day', 'hour', 'off'] as const) {
    const lamina = await InProcessLamina.start(testConfig({ deduplication: { window } }));
    try {
      const base = pv(7, { ts: DAY + 3_600_000, url: '/first' });
      await lamina.serving.ingest.ingest([base, pv(7, { ts: DAY + 3_600_000 + 1_800_000, url: '/same-hour' }), pv(7, { ts: DAY + 7_200_000, url: '/later-same-day' })]);
      await lamina.archiver.catchUp();
      await lamina.runBatch();
      await lamina.serving.ingest.ingest([
        pv(7, { ts: DAY + 3_600_000 + 60_000, url: '/after-batch-same-hour' }),
        pv(7, { ts: DAY + 5 * 3_600_000, url: '/after-batch-same-day' }),
        // Copies of that one, which only the speed fold has seen: in its hour, and in the next.
        pv(7, { ts: DAY + 5 * 3_600_000 + 600_000, url: '/after-batch-its-hour' }),
        pv(7, { ts: DAY + 6 * 3_600_000, url: '/after-batch-next-hour' }),
        pv(7, { ts: DAY + 86_400_000 + 60_000, url: '/next-day' }),
        pv(7, { ts: DAY + 86_400_000 + 3 * 3_600_000, url: '/next-day-later' }),
      ]);
      const expected = {
        day: { '/first': 1, '/next-day': 1 },
        hour: { '/first': 1, '/later-same-day': 1, '/after-batch-same-day': 1, '/after-batch-next-hour': 1, '/next-day': 1, '/next-day-later': 1 },
        off: { '/first': 1, '/same-hour': 1, '/later-same-day': 1, '/after-batch-same-hour': 1, '/after-batch-same-day': 1, '/after-batch-its-hour': 1, '/after-batch-next-hour': 1, '/next-day': 1, '/next-day-later': 1 },
      }[window];
      assert.deepEqual((await totals(lamina)).byUrl, expected, `window ${window}: realtime`);
      await lamina.archiver.catchUp();
      await lamina.runBatch();
      assert.deepEqual((await totals(lamina)).byUrl, expected, `window ${window}: after the next batch`);
    } finally {
      await lamina.stop();
    }
  }
});

test('over three generations, copies of events of every earlier run are dropped: a generation shares the lake keys its predecessor read and reads only its new rows', { timeout: 120_000 }, async () => {
  const lamina = await InProcessLamina.start(testConfig());
  try {
    const a = Array.from({ length: 400 }, (_, i) => pv(i));
    const b = Array.from({ length: 300 }, (_, i) => pv(1000 + i));
    const c = Array.from({ length: 200 }, (_, i) => pv(2000 + i));
    await lamina.serving.ingest.ingest(a);
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    // Generation 1's state reads the dates of a's copies from the lake.
    await lamina.serving.ingest.ingest(a.slice(0, 100));
    assert.equal((await totals(lamina)).views, 400);
    await lamina.serving.ingest.ingest(b);
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    // Generation 2 inherits generation 1's keys of those dates and adds b (and a's copies, which the batch dropped).
    await lamina.serving.ingest.ingest([...a.slice(100, 200), ...b.slice(0, 100)]);
    assert.equal((await totals(lamina)).views, 700, 'copies of run 1 and run 2 events dropped on generation 2');
    await lamina.serving.ingest.ingest(c);
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    await lamina.serving.ingest.ingest([...a.slice(200), ...b.slice(100), ...c]);
    assert.equal((await totals(lamina)).views, 900, 'copies of every earlier run dropped on generation 3');
    await lamina.archiver.catchUp();
    const last = await lamina.runBatch();
    assert.equal(last.events - (last.duplicates ?? 0), 900, 'the batch agrees');
    assert.equal((await totals(lamina)).views, 900);
  } finally {
    await lamina.stop();
  }
});

/**
 * The acceptance scenario of embedded mode, over HTTP as a user runs it: 1,000 page views, a batch,
 * 500 more of which some are late (event time before the batch), then exact merged numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '@lamina/cli';
import { createRuntime } from '../cli/src/layers.js';
import { readRuntimeOptions } from '../cli/src/runtime-options.js';
import { loadConfig } from '../cli/src/load-config.js';
import { graphql, pageViews, postEvents } from './support/http.js';

async function boot(dataDir: string) {
  const options = readRuntimeOptions({ LAMINA_DATA_DIR: dataDir, PORT: '0', LAMINA_LOG_LEVEL: 'silent' });
  const { config } = await loadConfig(undefined);
  const lamina = await startEmbedded(createRuntime(config, options, 'stdout'), { schedule: false });
  return { lamina, base: `http://127.0.0.1:${lamina.port}` };
}

const TOTAL_QUERY = '{ pageviews(from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", granularity: ALL) { views visitors url country } }';

type Row = { views: number; visitors: number; url: string; country: string };

async function settle(base: string, expectedViews: number) {
  // Ingest is durable when answered; the speed layer folds asynchronously, so wait for it to show.
  for (let i = 0; i < 200; i++) {
    const result = await graphql<{ pageviews: Row[] }>(base, TOTAL_QUERY);
    if (result.data && result.data.pageviews.reduce((s, r) => s + r.views, 0) >= expectedViews) return result;
    await new Promise((r) => setTimeout(r, 25));
  }
  return graphql<{ pageviews: Row[] }>(base, TOTAL_QUERY);
}

test('1,000 events, a batch, 500 more (some late): exact totals that name their generation; restart keeps them', { timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lamina-accept-'));
  let { lamina, base } = await boot(dataDir);
  try {
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200, 'embedded mode: the embedded log and the local lake answer /readyz, and the log is the lake\'s');
    assert.deepEqual(Object.keys(((await ready.json()) as { dependencies: object }).dependencies).sort(), ['log', 'log-identity', 'store']);
    const day = Date.UTC(2026, 10, 20);
    const first = pageViews(1000, { prefix: 'a', from: day + 12 * 3600_000, spreadMs: 6 * 3600_000, users: 300 });
    const posted = await postEvents(base, first);
    assert.equal(posted.status, 200);
    assert.equal(posted.body.accepted, 1000);

    const batch = await graphql<{ runBatch: { generation: number; events: number } }>(base, 'mutation { runBatch { generation events } }');
    assert.equal(batch.errors, undefined, JSON.stringify(batch.errors));
    assert.equal(batch.data!.runBatch.generation, 1);
    assert.equal(batch.data!.runBatch.events, 1000);

    // 500 more: half of them late (event times hours before the batch ran), some from new users.
    const late = pageViews(250, { prefix: 'late', from: day, spreadMs: 12 * 3600_000, users: 400 });
    const fresh = pageViews(250, { prefix: 'new', from: day + 20 * 3600_000, spreadMs: 3600_000, users: 350 });
    const invalid = [{ id: 'bad-1', type: 'page_view', ts: 'not a time', data: {} }, { id: 'bad-2', type: 'nope', ts: new Date(day).toISOString(), data: {} }];
    const second = await postEvents(base, [...late, ...invalid, ...fresh]);
    assert.equal(second.status, 207, 'mixed valid and invalid events answer 207');
    assert.equal(second.body.accepted, 500);
    assert.deepEqual(second.body.rejected.map((r) => r.index), [250, 251]);
    assert.match(second.body.rejected[0]!.reason, /ts/);
    assert.match(second.body.rejected[1]!.reason, /unknown event type 'nope'/);

    const answer = await settle(base, 1500);
    const rows = answer.data!.pageviews;
    assert.equal(rows.reduce((s, r) => s + r.views, 0), 1500, 'views sum to exactly 1,500');
    const lamina1 = answer.extensions!.lamina as { generation: number; answers: { pageviews: { batchWatermark: number[] } } };
    assert.equal(lamina1.generation, 1, 'the answer names the generation it used');
    assert.equal(lamina1.answers.pageviews.batchWatermark.reduce((a, b) => a + b, 0), 1000, 'the batch part covers the first 1,000 events');

    const allUsers = await graphql<{ pageviews: { visitors: number }[] }>(base, '{ pageviews(granularity: ALL, groupBy: []) { visitors views } }');
    const trueDistinct = new Set([...first, ...late, ...fresh].map((e) => (e as { data: { userId: string } }).data.userId)).size;
    const visitors = allUsers.data!.pageviews[0]!.visitors;
    assert.ok(Math.abs(visitors - trueDistinct) <= 3 * 0.0082 * trueDistinct + 1, `visitors ${visitors} within HyperLogLog error of ${trueDistinct}`);

    // Restart the whole process state: same data dir, same numbers.
    await lamina.stop();
    ({ lamina, base } = await boot(dataDir));
    const again = await settle(base, 1500);
    assert.equal(again.data!.pageviews.reduce((s, r) => s + r.views, 0), 1500, 'nothing lost or doubled across a restart');
    assert.deepEqual(
      again.data!.pageviews.map((r) => [r.url, r.country, r.views]).sort(),
      rows.map((r) => [r.url, r.country, r.views]).sort(),
    );
  } finally {
    await lamina.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

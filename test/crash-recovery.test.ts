/**
 * kill -9 at awkward moments (mid-ingest, mid-batch): after a restart every acknowledged event is
 * counted exactly once, and the answer equals what the log holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphql, pageViews, postEvents } from './support/http.js';
import { kill9, recordsInLog, startChild, stopGracefully } from './support/child-lamina.js';

const TOTAL = '{ pageviews(granularity: ALL, groupBy: []) { views } }';

async function totalViews(base: string): Promise<number> {
  const result = await graphql<{ pageviews: { views: number }[] }>(base, TOTAL);
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data!.pageviews[0]?.views ?? 0;
}

async function waitForViews(base: string, atLeast: number): Promise<number> {
  let views = 0;
  for (let i = 0; i < 400 && views < atLeast; i++) {
    views = await totalViews(base);
    if (views < atLeast) await new Promise((r) => setTimeout(r, 25));
  }
  return views;
}

test('kill -9 mid-ingest and mid-batch loses no acknowledged event and counts none twice', { timeout: 180_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lamina-crash-'));
  const day = Date.UTC(2026, 10, 21);
  let acknowledged = 0;
  let sent = 0;
  try {
    // Round 1: a stream of requests, killed while requests are in flight.
    let child = await startChild(dataDir);
    const inflight: Promise<void>[] = [];
    for (let round = 0; round < 30; round++) {
      const events = pageViews(100, { prefix: `r1-${round}`, from: day, spreadMs: 86_400_000 });
      sent += events.length;
      inflight.push(postEvents(child.base, events).then((r) => void (acknowledged += r.body.accepted), () => undefined));
      if (round === 20) await kill9(child);
      else if (round % 3 === 0) await inflight.at(-1);
    }
    await Promise.allSettled(inflight);
    assert.ok(acknowledged >= 100, `some requests were acknowledged before the kill (${acknowledged})`);

    child = await startChild(dataDir);
    const inLog = await recordsInLog(dataDir).catch(() => -1); // the child holds the lock: read after stop
    assert.equal(inLog, -1, 'the embedded log refuses a second process while Lamina runs');
    let views = await waitForViews(child.base, acknowledged);
    assert.ok(views >= acknowledged && views <= sent, `after kill -9: ${views} views, ${acknowledged} acknowledged, ${sent} sent`);

    // Round 2: kill -9 right after asking for a batch (the archiver flush and batch are mid-way).
    const more = pageViews(500, { prefix: 'r2', from: day, spreadMs: 86_400_000 });
    assert.equal((await postEvents(child.base, more)).body.accepted, 500);
    acknowledged += 500;
    sent += 500;
    void graphql(child.base, 'mutation { runBatch { generation } }').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 30));
    await kill9(child);

    child = await startChild(dataDir);
    views = await waitForViews(child.base, acknowledged);
    const batch = await graphql<{ runBatch: { generation: number; events: number } }>(child.base, 'mutation { runBatch { generation events } }');
    assert.equal(batch.errors, undefined, JSON.stringify(batch.errors));
    const afterBatch = await totalViews(child.base);
    assert.equal(afterBatch, views, 'a batch run after the crash changes no number');
    assert.equal(batch.data!.runBatch.events, views, 'the lake holds each counted event exactly once');
    assert.equal(await stopGracefully(child), 0);

    const logRecords = await recordsInLog(dataDir);
    assert.equal(views, logRecords, 'the answer counts every record of the log exactly once');
    assert.ok(logRecords >= acknowledged && logRecords <= sent);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

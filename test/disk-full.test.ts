/**
 * Issue 10, item 7: the embedded data folder fills up (ENOSPC). The folder is a tmpfs of a few MB
 * (mounted by the test: the machines run the suite as root), so the real kernel refuses the writes.
 * Ingest must answer 503 (retriable) with the reason, lose none of the events it acknowledged and keep
 * the process up; once space is back (the tmpfs grown) it accepts again, and the answers and the lake
 * count every event the log holds exactly once. A refused request may still have stored the events of
 * the partitions whose appends succeeded (as with Kafka, a 503'd write may have landed: a client
 * retries with the same ids, which deduplication drops), so the truth is the log, read back after
 * the process stops. The recovery time is reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphql, pageViews, postEvents } from './support/http.js';
import { recordsInLog, startChild, stopGracefully, type ChildLamina } from './support/child-lamina.js';
import { warningLines } from './support/processes.js';

const run = promisify(execFile);
const DAY = Date.UTC(2026, 10, 25);
const TOTAL = '{ pageviews(granularity: ALL, groupBy: []) { views } }';

async function totalViews(base: string): Promise<number | undefined> {
  const answer = await graphql<{ pageviews: { views: number }[] }>(base, TOTAL);
  return answer.errors ? undefined : (answer.data!.pageviews[0]?.views ?? 0);
}

/** Polls the total until it is `expected`; never above `sent`. */
async function settleViews(base: string, expected: number, sent: number): Promise<number | undefined> {
  let views: number | undefined;
  const deadline = Date.now() + 120_000;
  while (views !== expected && Date.now() < deadline) {
    views = await totalViews(base);
    assert.ok(views === undefined || views <= sent, `${views} views for ${sent} events sent: counted twice`);
    if (views !== expected) await new Promise((r) => setTimeout(r, 200));
  }
  return views;
}

test('a full data folder (ENOSPC): ingest answers 503 with the reason and keeps every acknowledged event; with space back it accepts again, and every event in the log counts once', { timeout: 240_000 }, async (t) => {
  const mountPoint = await mkdtemp(join(tmpdir(), 'lamina-full-'));
  let child: ChildLamina | undefined;
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mountPoint]).catch((error: Error) => {
      throw new Error(`this test mounts a small tmpfs to fill it (run the suite as root, as CI does): ${error.message}`);
    });
    const dataDir = join(mountPoint, 'data');
    child = await startChild(dataDir);
    let acknowledged = 0;
    let sent = 0;
    let refused: { status: number; body: unknown } | undefined;
    for (let round = 0; round < 400 && !refused; round++) {
      const answer = await postEvents(child.base, pageViews(500, { prefix: `fill-${round}`, from: DAY, spreadMs: 86_400_000 }));
      sent += 500;
      if (answer.status === 200) acknowledged += answer.body.accepted;
      else refused = answer;
    }
    assert.ok(refused, 'the folder filled up');
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    const body = refused.body as { error: string; retriable: boolean };
    assert.equal(body.retriable, true);
    assert.match(body.error, /ENOSPC|no space/i, `the answer says why: ${JSON.stringify(body)}`);
    t.diagnostic(`after ${acknowledged} acknowledged events: ${refused.status} ${body.error.slice(0, 200)}`);
    assert.equal((await fetch(`${child.base}/healthz`)).status, 200, 'the process stays up');
    const full = await totalViews(child.base);
    assert.ok(full === undefined || full <= sent, `while full: ${full} views for ${sent} sent`);

    await run('mount', ['-o', 'remount,size=256m', mountPoint]);
    const healed = Date.now();
    let accepted = false;
    while (!accepted && Date.now() - healed < 60_000) {
      const answer = await postEvents(child.base, pageViews(500, { prefix: `after-${Date.now()}`, from: DAY, spreadMs: 86_400_000 }));
      sent += 500;
      if (answer.status === 200) {
        acknowledged += answer.body.accepted;
        accepted = true;
      } else await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(accepted, 'ingest accepts again once there is space');
    const ingestBack = Date.now() - healed;
    const batch = await graphql<{ runBatch: { events: number } }>(child.base, 'mutation { runBatch { events } }');
    assert.equal(batch.errors, undefined, JSON.stringify(batch.errors));
    const published = Date.now() - healed;

    const firstOutput = child.output;
    assert.equal(await stopGracefully(child), 0, 'a graceful stop after the disk was full');
    const inLog = await recordsInLog(dataDir);
    assert.ok(inLog >= acknowledged && inLog <= sent, `${inLog} events in the log: ${acknowledged} acknowledged, ${sent} sent`);
    child = await startChild(dataDir);
    const settled = await settleViews(child.base, inLog, sent);
    // Short or over: say which part (the generation's batch part, the realtime part) and what the process warned of.
    if (settled !== inLog) {
      const freshness = await graphql(child.base, '{ freshness { generation batchWatermark realtimeLagRecords realtimeCaughtUp stale coverage { partition fromOffset toOffset ready } } }');
      t.diagnostic(`first batch run: ${JSON.stringify(batch.data)}; freshness after the restart: ${JSON.stringify(freshness.data)}`);
      t.diagnostic(`warnings before the restart:\n${warningLines(firstOutput, 15).join('\n')}\nafter it:\n${warningLines(child.output, 15).join('\n')}`);
    }
    assert.equal(settled, inLog, 'every event in the log counts once');
    const again = await graphql<{ runBatch: { events: number } }>(child.base, 'mutation { runBatch { events } }');
    assert.equal(again.data?.runBatch.events, inLog, `the lake holds each event of the log once (${JSON.stringify(again.errors)})`);
    t.diagnostic(`recovery: ingest accepted ${ingestBack} ms after space came back, a batch published ${published} ms after; ${inLog - acknowledged} events of refused requests had landed in the log`);
  } finally {
    if (child) await stopGracefully(child);
    // Lazily: the mount goes once nothing holds it, and never is the tmpfs's content removed in place.
    await run('umount', ['-l', mountPoint]).catch(() => undefined);
    await rm(mountPoint, { recursive: true, force: true });
  }
});

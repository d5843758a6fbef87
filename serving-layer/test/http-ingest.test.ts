/** HTTP ingest status codes and bodies, through a real listening server. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';
import { createRegistry } from '@lamina/shared';

let lamina: InProcessLamina;
let base: string;

before(async () => {
  lamina = await InProcessLamina.start(testConfig());
  base = `http://127.0.0.1:${await lamina.serving.start(0, '127.0.0.1')}`;
});
after(() => lamina.stop());

const post = (body: string, method = 'POST') => fetch(`${base}/v1/events`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body } : {}) });
const ok = { id: 'ok', type: 'purchase', ts: 1_795_000_000_000, data: { country: 'DE', userId: 'u', revenue: 3 } };

test('200 when all are accepted; a single object is accepted too', async () => {
  const response = await post(JSON.stringify(ok));
  assert.equal(response.status, 200);
  const body = (await response.json()) as { accepted: number; rejected: unknown[]; token: string };
  assert.deepEqual({ ...body, token: undefined }, { accepted: 1, rejected: [], token: undefined });
  assert.match(body.token, /^[A-Za-z0-9_-]+$/, 'a read-your-writes token');
  const ends = await lamina.log.endOffsets('events');
  assert.equal(ends.reduce((a, b) => a + b, 0), 1, 'the event is in the log when the answer comes');
});

test('400 when nothing is accepted or the body is not JSON; 405 for GET', async () => {
  const none = await post(JSON.stringify([{ ...ok, data: {} }]));
  assert.equal(none.status, 400);
  const body = (await none.json()) as { accepted: number; rejected: { reason: string }[] };
  assert.equal(body.accepted, 0);
  assert.match(body.rejected[0]!.reason, /data\.country/);
  const broken = await post('[{"id":');
  assert.equal(broken.status, 400);
  assert.match(((await broken.json()) as { error: string }).error, /not valid JSON/);
  assert.equal((await post('', 'GET')).status, 405);
});

test('metrics and health are served', async () => {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /lamina_ingest_events_accepted_total \d+/);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
});

test('a hostile request: deep nesting, huge strings, too many values — each refused with its reason, the valid events kept', async () => {
  // Written as text: JSON.stringify itself cannot nest 10,000 deep.
  const deep = `${'{"deeper":'.repeat(10_000)}"bottom"${'}'.repeat(10_000)}`;
  const huge = 'x'.repeat(5 * 1024 * 1024);
  const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
  const deepEvent = JSON.stringify({ ...ok, id: 'deep', data: { ...ok.data, extra: 'DEEP' } }).replace('"DEEP"', deep);
  const response = await post(`[${deepEvent},${JSON.stringify([
    { ...ok, id: 'ok-1' },
    { ...ok, id: 'huge', data: { ...ok.data, country: huge } },
    { ...ok, id: huge },
    { ...ok, id: 'wide', data: { ...ok.data, wide } },
    { ...ok, id: 'ok-2' },
  ]).slice(1)}`);
  assert.equal(response.status, 207);
  const text = await response.text();
  assert.ok(text.length < 4000, `nothing echoed beyond a short prefix (${text.length} bytes answered)`);
  const body = JSON.parse(text) as { accepted: number; rejected: { index: number; id: string | null; reason: string }[] };
  assert.equal(body.accepted, 2, 'the valid events of the same request are kept');
  assert.deepEqual(body.rejected.map((r) => r.index), [0, 2, 3, 4]);
  assert.match(body.rejected[0]!.reason, /data\.extra\.deeper.*nested deeper than 32 levels \(ingest\.maxDepth\)/);
  assert.match(body.rejected[1]!.reason, /data\.country: a string of 5242880 characters; at most 8192/);
  assert.match(body.rejected[2]!.id!, /^x{64}… \(5242880 characters\)$/, 'a long id is echoed as a short prefix');
  assert.match(body.rejected[3]!.reason, /more than 1000 values \(ingest\.maxValues\)/);
});

test('numbers out of range, declared bounds and implausible event times are refused, each with the fix', async () => {
  const config = testConfig({
    eventTypes: { ...testConfig().eventTypes, page_view: { ...testConfig().eventTypes.page_view!, fields: { ...testConfig().eventTypes.page_view!.fields, durationMs: { type: 'integer', min: 0 } } } },
  });
  const now = Date.UTC(2026, 10, 29, 12);
  const { IngestService } = await import('../src/ingest-service.js');
  const ingest = new IngestService(config, lamina.log, createRegistry(), 10_000, undefined, () => now);
  const view = (id: string, ts: number | string, durationMs: number) => ({ id, type: 'page_view', ts, data: { url: '/', country: 'DE', userId: 'u', durationMs } });
  const result = await ingest.ingest([
    { ...ok, id: 'big', data: { ...ok.data, revenue: 1e308 } },
    view('negative', now, -5),
    view('seconds', Math.floor(now / 1000), 5),
    view('year-1', '0001-01-01T00:00:00Z', 5),
    view('year-1990', '1990-01-01T00:00:00Z', 5),
    view('year-3000', '3000-01-01T00:00:00Z', 5),
    view('fine', now - 3_600_000, 5),
  ]);
  assert.equal(result.accepted, 1);
  const reasons = Object.fromEntries(result.rejected.map((r) => [r.id, r.reason]));
  assert.match(reasons.big!, /data\.revenue: 1e\+308 is beyond ±2\^53/);
  assert.match(reasons.negative!, /data\.durationMs: -5 is below the declared minimum 0/);
  assert.match(reasons.seconds!, /more than 3650 days ago.*looks like epoch seconds — send milliseconds/);
  assert.match(reasons['year-1']!, /ts: .*epoch milliseconds, from 1970 on/);
  assert.match(reasons['year-1990']!, /more than 3650 days ago \(ingest\.maxPastDays\)/);
  assert.match(reasons['year-3000']!, /3000-01-01T00:00:00\.000Z is more than 60 minutes ahead/);
});

test('413 for an oversized body, 415 for anything but application/json (a cross-site form cannot post)', async () => {
  const big = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `[${'"x",'.repeat(5_000_000)}"x"]` });
  assert.equal(big.status, 413);
  assert.match(((await big.json()) as { error: string }).error, /exceeds 16777216 bytes/);
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const response = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(ok) });
    assert.equal(response.status, 415, type);
  }
  assert.equal((await post(JSON.stringify({ ...ok, id: 'still-fine' }))).status, 200, 'the server is still up and serving');
});

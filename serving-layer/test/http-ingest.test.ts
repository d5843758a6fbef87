/** HTTP ingest status codes and bodies, through a real listening server. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';

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

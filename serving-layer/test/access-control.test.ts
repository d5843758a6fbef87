/**
 * Keys and CORS on a listening serving instance: ingest needs a write key, queries a read key,
 * runBatch an admin key (an admin key passes everywhere); a missing key is 401, a wrong one 403, and
 * no key ever shows in a log line or an answer. Browsers get CORS headers for configured origins only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createRegistry } from '@lamina/shared';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';
import { ServingLayer } from '../src/serving-layer.js';

const READ = 'read-key-0123456789abcdef';
const WRITE = 'write-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef';
let lamina: InProcessLamina;
let serving: ServingLayer;
let base: string;
const logged: string[] = [];

before(async () => {
  lamina = await InProcessLamina.start(testConfig());
  const sink = new Writable({ write: (chunk, _encoding, done) => (logged.push(String(chunk)), done()) });
  serving = new ServingLayer({
    config: lamina.config, log: lamina.log, store: lamina.store, realtime: [lamina.speed], logger: pino({ level: 'debug' }, sink), registry: createRegistry(), generationPollMs: 0,
    access: { read: [READ], write: [WRITE], admin: [ADMIN] }, corsOrigins: ['https://dash.example.com'],
    runBatch: async () => ({ manifest: await lamina.runBatch(), durationMs: 0 }),
  });
  base = `http://127.0.0.1:${await serving.start(0, '127.0.0.1')}`;
});
after(async () => {
  await serving.stop();
  await lamina.stop();
});

const event = { id: 'k1', type: 'purchase', ts: new Date(Date.now() - 60_000).toISOString(), data: { country: 'DE', userId: 'u', revenue: 3 } };
const ingest = (headers: Record<string, string>) => fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify([event]) });
const query = (body: string, headers: Record<string, string>) => fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: body }) });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

test('ingest needs a write (or admin) key: 401 without, 403 with another scope\'s key', async () => {
  const none = await ingest({});
  assert.equal(none.status, 401);
  assert.match(((await none.json()) as { error: string }).error, /needs a write key: send 'Authorization: Bearer <key>'/);
  assert.equal((await ingest(bearer(READ))).status, 403);
  assert.equal((await ingest(bearer('not-a-key-at-all-0000'))).status, 403);
  assert.equal((await ingest(bearer(WRITE))).status, 200);
  assert.equal((await ingest({ 'x-api-key': ADMIN })).status, 200, 'an admin key passes everywhere');
});

test('queries need a read key; runBatch needs an admin key', async () => {
  const none = await query('{ freshness { generation } }', {});
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, 'UNAUTHENTICATED');
  assert.equal((await query('{ freshness { generation } }', bearer(WRITE))).status, 403);
  const ok = await query('{ freshness { generation } }', bearer(READ));
  assert.equal(ok.status, 200);
  const denied = (await (await query('mutation { runBatch { generation } }', bearer(READ))).json()) as { errors: { extensions: { code: string } }[] };
  assert.equal(denied.errors[0]!.extensions.code, 'FORBIDDEN');
  const ran = (await (await query('mutation { runBatch { generation } }', bearer(ADMIN))).json()) as { data?: { runBatch: { generation: number } }; errors?: unknown };
  assert.equal(ran.errors, undefined, JSON.stringify(ran.errors));
  assert.ok(ran.data!.runBatch.generation >= 1);
  // A browser's EventSource cannot send headers: the read key in a GET stream's URL.
  const stream = await fetch(`${base}/graphql?query=${encodeURIComponent('subscription { revenue(granularity: ALL) { rows { orders } } }')}&key=${READ}`, { headers: { accept: 'text/event-stream' } });
  assert.equal(stream.status, 200);
  await stream.body?.cancel();
});

test('CORS for the configured origins only; no key in any log line', async () => {
  const preflight = (origin: string) => fetch(`${base}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
  assert.equal((await preflight('https://dash.example.com')).headers.get('access-control-allow-origin'), 'https://dash.example.com');
  // graphql-yoga names the one configured origin whoever asks: a browser on another origin is refused all the same.
  const evil = (await preflight('https://evil.example.com')).headers.get('access-control-allow-origin');
  assert.ok(evil !== 'https://evil.example.com' && evil !== '*', String(evil));
  const ingestPreflight = await fetch(`${base}/v1/events`, { method: 'OPTIONS', headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'POST' } });
  assert.equal(ingestPreflight.headers.get('access-control-allow-origin'), 'https://dash.example.com');
  const all = logged.join('');
  assert.ok(all.length > 0, 'the serving layer did log');
  for (const key of [READ, WRITE, ADMIN, 'not-a-key-at-all-0000']) assert.ok(!all.includes(key), 'a key was logged');
});

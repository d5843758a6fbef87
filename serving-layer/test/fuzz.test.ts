/**
 * Fuzzing HTTP ingest and GraphQL through a listening server: arbitrary JSON values among valid
 * events, malformed and non-UTF-8 bodies, arbitrary and mutated GraphQL documents and variables, a
 * slow client. Every request gets a clear 4xx (never a 5xx), the valid events of a request are
 * kept, the server stays up and answers others meanwhile, and its heap does not grow with the abuse.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';

let lamina: InProcessLamina;
let base: string;
let port: number;

before(async () => {
  lamina = await InProcessLamina.start(testConfig());
  port = await lamina.serving.start(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});
after(() => lamina.stop());

const runs = Number(process.env.LAMINA_FUZZ_RUNS ?? 150);
let valid = 0;
const validEvent = () => ({ id: `fuzz-${valid++}`, type: 'purchase', ts: new Date(Date.now() - 60_000).toISOString(), data: { country: 'DE', userId: 'u', revenue: 1 } });
const postRaw = (body: string | Uint8Array, type = 'application/json') => fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]) });

test('ingest: any JSON values among valid events — 2xx or 400 with reasons, the valid ones always kept', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.jsonValue({ maxDepth: 6 }), { maxLength: 8 }), fc.nat({ max: 3 }), async (junk, good) => {
      const events = [...junk, ...Array.from({ length: good }, validEvent)];
      const response = await postRaw(JSON.stringify(events));
      assert.ok([200, 207, 400].includes(response.status), `status ${response.status}`);
      const body = (await response.json()) as { accepted: number; rejected: { index: number; reason: string }[] };
      assert.ok(body.accepted >= good, `${body.accepted} accepted of ${good} valid`);
      assert.equal(body.accepted + body.rejected.length, events.length);
      for (const r of body.rejected) assert.ok(r.reason.length > 0 && r.reason.length < 2000);
    }),
    { numRuns: runs },
  );
});

test('ingest: malformed bodies — broken JSON, bytes that are not UTF-8, wrong content types — 4xx, never 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 200 }), fc.constantFrom('[', '{"id":', '[{"a":1},', '\u0000', '[1e999]', '{"__proto__":{"x":1}}')), fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1'), async (body, type) => {
      const response = await postRaw(body, type);
      assert.ok(response.status >= 400 && response.status < 500 || response.status === 200 || response.status === 207, `status ${response.status}`);
      await response.arrayBuffer();
    }),
    { numRuns: runs },
  );
});

test('GraphQL: arbitrary and mutated documents and variables get errors, not a failure', async () => {
  const documents = ['{ pageviews { views } }', 'query ($n: Int) { revenue(limit: $n) { revenue country } }', '{ freshness { generation } }', 'mutation { runBatch { generation } }'];
  const mutated = fc.tuple(fc.constantFrom(...documents), fc.nat(), fc.string({ maxLength: 5 })).map(([d, at, insert]) => d.slice(0, at % d.length) + insert + d.slice(at % d.length));
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), mutated), fc.option(fc.jsonValue({ maxDepth: 3 })), async (query, variables) => {
      const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      assert.ok(response.status < 500, `status ${response.status} for ${JSON.stringify(query)}`);
      const body = (await response.json()) as { errors?: { message: string }[] };
      for (const e of body.errors ?? []) assert.notEqual(e.message, 'Unexpected error.', `masked error for ${JSON.stringify(query)}`);
    }),
    { numRuns: runs },
  );
});

test('a slow client does not hold up others; the heap stays bounded through the abuse', async () => {
  // Headers sent, then the body a byte at a time, never finished.
  const slow = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
  slow.write('POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[');
  const drip = setInterval(() => slow.write(' '), 50);
  try {
    const started = performance.now();
    const response = await postRaw(JSON.stringify([validEvent()]));
    assert.equal(response.status, 200);
    assert.ok(performance.now() - started < 2000, 'another client was answered while the slow one dripped');
  } finally {
    clearInterval(drip);
    slow.destroy();
  }
  global.gc?.();
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  assert.ok(heapMB < 1024, `heap ${heapMB.toFixed(0)} MB after the fuzzing`);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});

/**
 * HttpRealtimeSource against a real HTTP server standing in for a speed instance: a slow answer is
 * logged with how long it took (an answer waits for every instance), and still used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { listen } from '@lamina/shared';
import { HttpRealtimeSource } from '../src/index.js';
import { testConfig } from '../../test/support/test-config.js';

test('a speed instance that takes over a second to answer a query is logged with its time, and its part is used', { timeout: 30_000 }, async () => {
  const coverage = [{ partition: 0, generation: 1, from: 0, to: 5, complete: true }];
  const server = createServer((req, res) => {
    const reply = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url?.startsWith('/v1/query')) setTimeout(() => reply({ instance: 'slow-1', rows: [], coverage }), 1_200);
    else reply({ instance: 'slow-1', generations: [], etag: 'e' });
  });
  const port = await listen(server, 0, '127.0.0.1');
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  const source = new HttpRealtimeSource('slow-1', `http://127.0.0.1:${port}`, testConfig(), logger);
  try {
    const part = await source.query({ generation: 1, view: 'pageviews', fingerprint: 'f', query: { granularity: 'all' } });
    assert.deepEqual(part.coverage, coverage);
    const slow = lines.find((l) => String(l.msg).includes('to answer a query'));
    assert.ok(slow, `a warning about the slow answer: ${JSON.stringify(lines)}`);
    assert.ok((slow.ms as number) >= 1_100, `its time: ${slow.ms} ms`);
    assert.equal(slow.generation, 1);
  } finally {
    source.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

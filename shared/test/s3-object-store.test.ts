/**
 * S3ObjectStore against the real MinIO of the local stack (`npm run stack:up`): the shared ObjectStore
 * conformance suite, then what only S3 has (store prefixes, credentials, failure mapping) and the Delta
 * commit protocol end to end on S3. Everything lives under one random prefix, deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../src/adapters/s3/s3-object-store.js';
import { ConfigError, ConflictError, LaminaError, NotFoundError, UnavailableError, ValidationError } from '../src/errors.js';
import { DeltaTable } from '../src/lake/index.js';
import type { ObjectStore } from '../src/ports/object-store.js';
import { objectStoreConformance } from './conformance/object-store-conformance.js';

interface S3Env {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const HOW_TO_GET_INFRA = 'start MinIO with `npm run stack:up` and export its env: set -a; eval "$(npm run -s stack:up)"; set +a (npm run test:unit does this itself)';

/** The MinIO env, or undefined (tests skip loudly); in CI a missing env is a failure, not a skip. */
function s3Env(): S3Env | undefined {
  const { LAMINA_S3_ENDPOINT, LAMINA_S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION } = process.env;
  if (LAMINA_S3_ENDPOINT && LAMINA_S3_BUCKET && AWS_ACCESS_KEY_ID && AWS_SECRET_ACCESS_KEY) {
    return { endpoint: LAMINA_S3_ENDPOINT, bucket: LAMINA_S3_BUCKET, region: AWS_REGION || 'us-east-1', accessKeyId: AWS_ACCESS_KEY_ID, secretAccessKey: AWS_SECRET_ACCESS_KEY };
  }
  return undefined;
}

const env = s3Env();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function keysOf(store: ObjectStore, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys;
}

async function deleteAll(store: ObjectStore): Promise<void> {
  const keys = await keysOf(store);
  for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((k) => store.delete(k)));
}

if (!env) {
  const message = `S3ObjectStore tests need MinIO: LAMINA_S3_ENDPOINT, LAMINA_S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY are not set. To run them, ${HOW_TO_GET_INFRA}.`;
  if (process.env.CI === 'true') {
    test('S3ObjectStore: MinIO infrastructure is available (required in CI)', () => assert.fail(message));
  } else {
    console.error(`\n${'#'.repeat(78)}\n# SKIPPING ${message}\n${'#'.repeat(78)}\n`);
    test('S3ObjectStore on MinIO', { skip: message }, () => {});
  }
} else {
  const s3 = env;
  const runPrefix = `lamina-test/s3-${randomUUID()}`;
  const stores: S3ObjectStore[] = [];
  const makeStore = (options: Partial<S3ObjectStoreOptions> = {}): S3ObjectStore => {
    const store = new S3ObjectStore({ ...s3, prefix: runPrefix, ...options });
    stores.push(store);
    return store;
  };
  const underRun = (sub: string) => makeStore({ prefix: `${runPrefix}/${sub}` });

  after(async () => {
    try {
      await deleteAll(makeStore());
      assert.deepEqual(await keysOf(makeStore()), [], 'test objects left behind in the bucket');
    } finally {
      for (const store of stores) store.destroy();
    }
  });

  objectStoreConformance('S3ObjectStore on MinIO', async () => {
    const store = underRun('conformance');
    return { store, cleanup: () => deleteAll(store) };
  });

  describe('S3ObjectStore specifics', () => {
    test('stores with different prefixes do not see each other; keys live under <prefix>/', async () => {
      // 'lake' and 'lake2': a prefix without its own '/' would let 'lake' list 'lake2/…'.
      const a = underRun('isolation/lake');
      const b = underRun('isolation/lake2/');
      await a.put('k', 'from a');
      await b.put('k', 'from b');
      await a.put('only-a', 'x');
      assert.equal(text(await a.get('k')), 'from a');
      assert.equal(text(await b.get('k')), 'from b');
      assert.equal(await b.head('only-a'), undefined);
      assert.equal(await b.tryGet('only-a'), undefined);
      assert.equal(await b.putIfAbsent('only-a', 'b may create its own'), true);
      assert.deepEqual(await keysOf(a), ['k', 'only-a']);
      assert.deepEqual(await keysOf(b), ['k', 'only-a']);
      await a.delete('k');
      assert.equal(text(await b.get('k')), 'from b');
      assert.deepEqual(await keysOf(underRun('isolation')), ['lake/only-a', 'lake2/k', 'lake2/only-a']);
      assert.equal(a.prefix, `${runPrefix}/isolation/lake/`);
    });

    test('a wrong secret fails every operation with an actionable, non-retriable error', async () => {
      const store = makeStore({ secretAccessKey: 'not-the-secret' });
      const isAccessDenied = (e: unknown) => {
        assert.ok(e instanceof LaminaError, `expected a LaminaError, got ${String(e)}`);
        assert.ok(!(e instanceof NotFoundError), 'a credentials problem must not read as a missing object');
        assert.equal(e.code, 'S3_ACCESS_DENIED');
        assert.equal(e.retriable, false);
        assert.match(e.message, /AWS_ACCESS_KEY_ID/);
        assert.match(e.message, /AWS_SECRET_ACCESS_KEY/);
        assert.ok(e.message.includes(s3.bucket) && e.message.includes(s3.endpoint), e.message);
        return true;
      };
      await assert.rejects(store.put('k', 'x'), isAccessDenied);
      await assert.rejects(store.putIfAbsent('k', 'x'), isAccessDenied);
      await assert.rejects(store.get('k'), isAccessDenied);
      await assert.rejects(store.tryGet('k'), isAccessDenied);
      await assert.rejects(store.head('k'), isAccessDenied); // HEAD answers 403 without a body
      await assert.rejects(keysOf(store), isAccessDenied);
    });

    test('a missing bucket is a ConfigError, never "object not found"', async () => {
      const store = makeStore({ bucket: `lamina-missing-${randomUUID().slice(0, 8)}` });
      for (const call of [() => store.get('k'), () => store.tryGet('k'), () => keysOf(store), () => store.put('k', 'x')]) {
        await assert.rejects(call(), (e: unknown) => e instanceof ConfigError && /does not exist/.test(e.message) && /LAMINA_S3_BUCKET/.test(e.message));
      }
    });

    test('an unreachable endpoint gives a retriable UnavailableError after the SDK retries', async () => {
      const proxy = await startProxy(new URL(s3.endpoint), () => 'forward');
      const url = proxy.url;
      await proxy.close(); // nothing listens on that port any more
      const store = makeStore({ endpoint: url });
      await assert.rejects(store.get('k'), (e: unknown) => e instanceof UnavailableError && e.retriable && e.message.includes(url) && /stack:up/.test(e.message));
    });

    test('5xx answers map to UnavailableError after the SDK retried them', async () => {
      const proxy = await startProxy(new URL(s3.endpoint), () => 'fail-503');
      try {
        const store = makeStore({ endpoint: proxy.url });
        await assert.rejects(store.put('k', 'x'), (e: unknown) => e instanceof UnavailableError && e.retriable && /HTTP 503/.test(e.message));
        assert.equal(proxy.requests(), 3, 'the SDK retries transient failures (3 attempts)');
      } finally {
        await proxy.close();
      }
    });

    test('putIfAbsent whose success answer was lost still reports true (the SDK retry sees its own object)', async () => {
      let dropped = false;
      const proxy = await startProxy(new URL(s3.endpoint), (req) => {
        if (req.method === 'PUT' && req.headers['if-none-match'] === '*' && !dropped) {
          dropped = true;
          return 'drop-response';
        }
        return 'forward';
      });
      try {
        const viaProxy = makeStore({ endpoint: proxy.url, prefix: `${runPrefix}/lost-answer` });
        const direct = underRun('lost-answer');
        assert.equal(await viaProxy.putIfAbsent('commit', 'mine'), true);
        assert.ok(dropped, 'the proxy never dropped an answer: the test did not exercise the retry');
        assert.equal(await direct.putIfAbsent('commit', 'theirs'), false);
        assert.equal(await viaProxy.putIfAbsent('commit', 'mine again'), false);
        assert.equal(text(await direct.get('commit')), 'mine');
      } finally {
        await proxy.close();
      }
    });

    test('putIfAbsent retries 409 ConditionalRequestConflict, then lets a read decide', async () => {
      let conflicts = 2;
      const proxy = await startProxy(new URL(s3.endpoint), (req) => (req.method === 'PUT' && conflicts-- > 0 ? 'conflict-409' : 'forward'));
      try {
        const store = makeStore({ endpoint: proxy.url, prefix: `${runPrefix}/conflict` });
        assert.equal(await store.putIfAbsent('a', 'after two conflicts'), true);
        assert.equal(proxy.requests(), 3, 'two 409s, then the PUT that went through');
        assert.equal(text(await store.get('a')), 'after two conflicts');
        conflicts = Infinity; // a writer that never gets through
        assert.equal(await store.putIfAbsent('a', 'never written'), false, 'the key exists: the read decides "not created by us"');
        await assert.rejects(store.putIfAbsent('b', 'never written'), (e: unknown) => e instanceof UnavailableError && /409/.test(e.message));
        assert.equal(await store.head('b'), undefined);
      } finally {
        await proxy.close();
      }
    });

    test('invalid keys and ranges are refused before any request', async () => {
      const store = underRun('validation');
      for (const bad of ['', '/abs', 'a/../b', 'a/./b', 'a//b', 'a/', 'a\0b', 'x'.repeat(1100)]) {
        await assert.rejects(store.put(bad, 'x'), ValidationError, `put ${JSON.stringify(bad)}`);
      }
      await assert.rejects(store.get('k', { start: 5, end: 2 }), ValidationError);
      await assert.rejects(keysOf(store, '/x'), ValidationError);
      assert.throws(() => new S3ObjectStore({ ...s3, prefix: 'a//b' }), ValidationError);
    });

    test('ranged reads at or past the end and empty ranges read as zero bytes; on a missing key they throw', async () => {
      const store = underRun('ranges');
      await store.put('r', 'abcde');
      await store.put('empty', '');
      assert.equal((await store.get('r', { start: 5 })).length, 0);
      assert.equal((await store.get('r', { start: 7, end: 9 })).length, 0);
      assert.equal((await store.get('r', { start: 2, end: 2 })).length, 0);
      assert.equal((await store.get('empty', { start: 0 })).length, 0);
      assert.equal(text(await store.get('r', { start: 4 })), 'e');
      await assert.rejects(store.get('missing', { start: 2, end: 2 }), NotFoundError);
      await assert.rejects(store.get('missing', { start: 7 }), (e: unknown) => e instanceof NotFoundError && e.message.includes(s3.bucket) && e.message.includes('missing'));
    });
  });

  describe('Delta table on S3 (the lake commit protocol on MinIO)', () => {
    const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int64(), false), new arrow.Field('name', new arrow.Utf8(), true)]);
    const batch = (ids: number[]) =>
      new arrow.Table({ id: arrow.vectorFromArray(ids.map(BigInt), new arrow.Int64()), name: arrow.vectorFromArray(ids.map((i) => `n${i}`), new arrow.Utf8()) });

    test('create, two concurrent commits (exactly one wins), retry the loser, read back through S3', async () => {
      const path = 'lake/events';
      const [writerA, writerB] = [DeltaTable.open(underRun('delta'), path), DeltaTable.open(underRun('delta'), path)];
      const created = await Promise.all([writerA.createIfMissing(schema), writerB.createIfMissing(schema)]);
      assert.equal(created[0].metadata.id, created[1].metadata.id, 'racing creators must end up with one table');

      const [addA, addB] = await Promise.all([writerA.writeDataFile(batch([1, 2, 3])), writerB.writeDataFile(batch([4, 5]))]);
      const results = await Promise.allSettled([writerA.commit(0, [{ add: addA }]), writerB.commit(0, [{ add: addB }])]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, `expected exactly one winner, got ${JSON.stringify(results.map((r) => r.status))}`);
      assert.equal((won[0] as PromiseFulfilledResult<number>).value, 1);
      assert.ok(lost[0]!.reason instanceof ConflictError && lost[0]!.reason.retriable, String(lost[0]!.reason));

      const loserIsA = results[0].status === 'rejected';
      const loser = loserIsA ? writerA : writerB;
      const fresh = await loser.snapshot();
      assert.equal(fresh.version, 1);
      assert.equal(await loser.commit(fresh.version, [{ add: loserIsA ? addA : addB }]), 2);

      const reader = DeltaTable.open(underRun('delta'), path);
      const snap = await reader.snapshot();
      assert.equal(snap.version, 2);
      const ids = (await reader.readAll(snap)).getChild('id')!.toArray() as BigInt64Array;
      assert.deepEqual([...ids].map(Number).sort((x, y) => x - y), [1, 2, 3, 4, 5]);
      assert.deepEqual(
        (await keysOf(underRun('delta'), `${path}/_delta_log/`)).map((k) => k.slice(k.lastIndexOf('/') + 1)),
        ['00000000000000000000.json', '00000000000000000001.json', '00000000000000000002.json'],
      );
    });
  });
}

type ProxyMode = 'forward' | 'drop-response' | 'fail-503' | 'conflict-409';

/** A tiny HTTP proxy in front of MinIO that can fail requests or swallow an answer, to test failure paths for real. */
async function startProxy(target: URL, decide: (req: IncomingMessage) => ProxyMode) {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    const mode = decide(req);
    if (mode === 'fail-503' || mode === 'conflict-409') {
      const [status, code] = mode === 'fail-503' ? [503, 'ServiceUnavailable'] : [409, 'ConditionalRequestConflict'];
      req.resume();
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test proxy</Message></Error>`);
      return;
    }
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (mode === 'drop-response') {
        // The object is written by now; the client just never hears about it.
        answer.resume();
        answer.on('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The ObjectStore contract as executable tests. Every adapter (local folder, S3/MinIO) runs this same
 * suite, so the lake can rely on these semantics wherever it runs. Each test works under its own random
 * prefix, so the suite also runs against a shared, non-empty bucket.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError } from '../../src/errors.js';
import type { ObjectInfo, ObjectStore } from '../../src/ports/object-store.js';

export interface ObjectStoreUnderTest {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of iterable) out.push(info);
  return out;
}

/** Byte-order comparison, the order S3 lists in (JS '<' compares UTF-16 units, which differs). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export function objectStoreConformance(name: string, makeStore: () => Promise<ObjectStoreUnderTest>): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let subject: ObjectStoreUnderTest;
    let store: ObjectStore;
    const fresh = () => `conformance-${randomUUID()}/`;

    before(async () => {
      subject = await makeStore();
      store = subject.store;
    });
    after(async () => {
      await subject?.cleanup();
    });

    test('put/get round-trips binary, string, empty and 5 MB bodies', async () => {
      const p = fresh();
      const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      await store.put(`${p}binary`, allBytes);
      assert.deepEqual(await store.get(`${p}binary`), allBytes);

      await store.put(`${p}text`, 'héllo ✓');
      assert.equal(text(await store.get(`${p}text`)), 'héllo ✓');

      await store.put(`${p}empty`, new Uint8Array(0));
      assert.equal((await store.get(`${p}empty`)).length, 0);
      assert.equal((await store.head(`${p}empty`))?.size, 0);

      const big = new Uint8Array(randomBytes(5 * 1024 * 1024));
      await store.put(`${p}big`, big);
      const back = await store.get(`${p}big`);
      assert.equal(back.length, big.length);
      assert.ok(Buffer.from(back).equals(Buffer.from(big)), '5 MB object came back different');
    });

    test('put overwrites an existing object', async () => {
      const p = fresh();
      await store.put(`${p}k`, 'first version, longer');
      await store.put(`${p}k`, 'second');
      assert.equal(text(await store.get(`${p}k`)), 'second');
      assert.equal((await store.head(`${p}k`))?.size, 6);
    });

    test('concurrent overwrites and reads never expose a mix of two bodies', async () => {
      const p = fresh();
      const a = new Uint8Array(256 * 1024).fill(0x61);
      const b = new Uint8Array(256 * 1024).fill(0x62);
      await store.put(`${p}k`, a);
      const reads: Promise<Uint8Array>[] = [];
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 8; i++) {
        writes.push(store.put(`${p}k`, i % 2 ? a : b));
        reads.push(store.get(`${p}k`));
      }
      await Promise.all(writes);
      for (const body of await Promise.all(reads)) {
        assert.equal(body.length, a.length);
        assert.ok(body.every((x) => x === body[0]), 'a reader saw a torn object');
      }
    });

    test('ranged get: start only, start+end, end past the size', async () => {
      const p = fresh();
      const body = Uint8Array.from({ length: 100 }, (_, i) => i);
      await store.put(`${p}r`, body);
      assert.deepEqual(await store.get(`${p}r`, { start: 90 }), body.subarray(90));
      assert.deepEqual(await store.get(`${p}r`, { start: 10, end: 20 }), body.subarray(10, 20));
      assert.deepEqual(await store.get(`${p}r`, { start: 0, end: 1 }), body.subarray(0, 1));
      assert.deepEqual(await store.get(`${p}r`, { start: 95, end: 1000 }), body.subarray(95));
    });

    test('missing keys: get rejects with NotFoundError, tryGet and head resolve undefined', async () => {
      const p = fresh();
      await assert.rejects(store.get(`${p}missing`), NotFoundError);
      await assert.rejects(store.get(`${p}missing`, { start: 0, end: 10 }), NotFoundError);
      assert.equal(await store.tryGet(`${p}missing`), undefined);
      assert.equal(await store.head(`${p}missing`), undefined);
      // A "folder" of other keys is not itself an object.
      await store.put(`${p}dir/child`, 'x');
      assert.equal(await store.tryGet(`${p}dir`), undefined);
      assert.equal(await store.head(`${p}dir`), undefined);
    });

    test('tryGet returns the bytes of an existing key', async () => {
      const p = fresh();
      await store.put(`${p}k`, 'value');
      const got = await store.tryGet(`${p}k`);
      assert.ok(got);
      assert.equal(text(got), 'value');
    });

    test('head reports key, size and a recent lastModified', async () => {
      const p = fresh();
      await store.put(`${p}h`, new Uint8Array(1234));
      const info = await store.head(`${p}h`);
      assert.ok(info);
      assert.equal(info.key, `${p}h`);
      assert.equal(info.size, 1234);
      assert.ok(info.lastModified instanceof Date);
      // Generous: the server clock (MinIO in a container) may drift from ours.
      assert.ok(Math.abs(info.lastModified.getTime() - Date.now()) < 10 * 60_000, `lastModified ${info.lastModified.toISOString()} is not recent`);
    });

    test('putIfAbsent creates once, then returns false and leaves the content unchanged', async () => {
      const p = fresh();
      assert.equal(await store.putIfAbsent(`${p}once`, 'first'), true);
      assert.equal(await store.putIfAbsent(`${p}once`, 'second'), false);
      assert.equal(text(await store.get(`${p}once`)), 'first');
      await store.put(`${p}existing`, 'by put');
      assert.equal(await store.putIfAbsent(`${p}existing`, 'by putIfAbsent'), false);
      assert.equal(text(await store.get(`${p}existing`)), 'by put');
    });

    test('20 concurrent putIfAbsent on one key: exactly one wins and its body is stored', async () => {
      const p = fresh();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putIfAbsent(`${p}race`, `writer-${i}`)));
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      assert.equal(winners.length, 1, `expected exactly one winner, got ${JSON.stringify(winners)}`);
      assert.equal(text(await store.get(`${p}race`)), `writer-${winners[0]}`);
    });

    test('list returns keys under the prefix in byte order, with startAfter', async () => {
      const p = fresh();
      // Chosen so that byte order differs from per-folder name order ('a-b' < 'a/…' < 'a0') and
      // from UTF-16 order ('\uff01' < '\u{1f600}' in bytes, reversed in UTF-16 units).
      const keys = ['a-b', 'a/c', 'a/d/e', 'a/d0', 'a0', 'b', 'z\uff01', 'z\u{1f600}', 'é'];
      await Promise.all(keys.map((k) => store.put(p + k, k)));
      await store.put(`${fresh()}a0`, 'other prefix');
      const expected = keys.map((k) => p + k).sort(byteOrder);

      const all = await collect(store.list(p));
      assert.deepEqual(all.map((i) => i.key), expected);
      assert.equal(all.find((i) => i.key === `${p}a/d/e`)?.size, 'a/d/e'.length);
      assert.ok(all.every((i) => i.lastModified instanceof Date));

      assert.deepEqual((await collect(store.list(`${p}a`))).map((i) => i.key), expected.filter((k) => k.startsWith(`${p}a`)));
      assert.deepEqual((await collect(store.list(`${p}a/`))).map((i) => i.key), [`${p}a/c`, `${p}a/d/e`, `${p}a/d0`]);
      assert.deepEqual((await collect(store.list(`${p}a/d`))).map((i) => i.key), [`${p}a/d/e`, `${p}a/d0`]);
      assert.deepEqual(await collect(store.list(`${p}nothing-here/`)), []);

      for (const startAfter of [`${p}a/c`, `${p}a/d`, `${p}a-b`, `${p}a`, `${p}`, `${p}zz`, `${p}a/d/e`]) {
        const got = (await collect(store.list(p, { startAfter }))).map((i) => i.key);
        assert.deepEqual(got, expected.filter((k) => byteOrder(k, startAfter) > 0), `startAfter ${startAfter}`);
      }
    });

    test('list pages through more than 1000 keys in order', async () => {
      const p = fresh();
      const keys = Array.from({ length: 1100 }, (_, i) => `${p}k/${String(i).padStart(5, '0')}`);
      await inBatches(keys, 50, (k) => store.put(k, ''));
      const listed = (await collect(store.list(p))).map((i) => i.key);
      assert.equal(listed.length, keys.length);
      assert.deepEqual(listed, keys);
      const tail = (await collect(store.list(p, { startAfter: keys[999] }))).map((i) => i.key);
      assert.deepEqual(tail, keys.slice(1000));
    });

    test('delete removes an object and is idempotent', async () => {
      const p = fresh();
      await store.put(`${p}a/x`, 'x');
      await store.put(`${p}b`, 'b');
      await store.delete(`${p}a/x`);
      await assert.rejects(store.get(`${p}a/x`), NotFoundError);
      await store.delete(`${p}a/x`);
      await store.delete(`${p}never-existed`);
      assert.deepEqual((await collect(store.list(p))).map((i) => i.key), [`${p}b`]);
      // The name is free again, also as a put target.
      assert.equal(await store.putIfAbsent(`${p}a/x`, 'again'), true);
      assert.equal(text(await store.get(`${p}a/x`)), 'again');
    });
  });
}

import { mkdtemp, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalObjectStore } from '../src/adapters/local-object-store/local-object-store.js';
import { ValidationError } from '../src/errors.js';
import { objectStoreConformance } from './conformance/object-store-conformance.js';

async function tempStore() {
  const root = await mkdtemp(join(tmpdir(), 'lamina-local-store-'));
  return { root, store: new LocalObjectStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
}

objectStoreConformance('LocalObjectStore', tempStore);

describe('LocalObjectStore specifics', () => {
  test('rejects keys that could escape the root or alias another key', async () => {
    const { store, cleanup } = await tempStore();
    try {
      for (const bad of ['', '/abs', 'a/../b', '..', 'a/./b', 'a//b', 'a/', 'a\0b', 'a\\b', '.lamina-tmp/x']) {
        await assert.rejects(store.put(bad, 'x'), ValidationError, `put ${JSON.stringify(bad)}`);
        await assert.rejects(store.get(bad), ValidationError, `get ${JSON.stringify(bad)}`);
        await assert.rejects(store.delete(bad), ValidationError, `delete ${JSON.stringify(bad)}`);
      }
      await assert.rejects(async () => {
        for await (const _ of store.list('a/../')) void _;
      }, ValidationError);
      // Dots inside names are ordinary characters.
      await store.put('.hidden/..x/a.b', 'ok');
      assert.equal(new TextDecoder().decode(await store.get('.hidden/..x/a.b')), 'ok');
    } finally {
      await cleanup();
    }
  });

  test('maps keys to nested files and leaves no temp files behind', async () => {
    const { root, store, cleanup } = await tempStore();
    try {
      await store.put('x/y/z.json', '{}');
      assert.equal(await store.putIfAbsent('x/y/z.json', 'no'), false);
      assert.equal(await store.putIfAbsent('x/w', 'yes'), true);
      assert.equal((await stat(join(root, 'x', 'y', 'z.json'))).size, 2);
      assert.deepEqual(await readdir(join(root, '.lamina-tmp')), []);
      const keys: string[] = [];
      for await (const info of store.list('')) keys.push(info.key);
      assert.deepEqual(keys, ['x/w', 'x/y/z.json']);
    } finally {
      await cleanup();
    }
  });

  test('a key cannot be both an object and a folder of keys; the error says so', async () => {
    const { store, cleanup } = await tempStore();
    try {
      await store.put('a/b', '1');
      await assert.rejects(store.put('a', '2'), (e: unknown) => e instanceof ValidationError && /folder/.test(e.message));
      await assert.rejects(store.putIfAbsent('a', '2'), ValidationError);
      await assert.rejects(store.put('a/b/c', '3'), (e: unknown) => e instanceof ValidationError && /parent segments/.test(e.message));
      // Once 'a/b' is deleted, its empty folder is pruned and 'a' is a valid object name again.
      await store.delete('a/b');
      await store.put('a', '2');
      assert.equal(new TextDecoder().decode(await store.get('a')), '2');
    } finally {
      await cleanup();
    }
  });

  test('ignores stray non-object entries and validates ranges', async () => {
    const { root, store, cleanup } = await tempStore();
    try {
      await store.put('k', 'abcdef');
      await mkdir(join(root, 'emptydir'));
      await writeFile(join(root, 'plain'), 'written outside the store');
      const keys: string[] = [];
      for await (const info of store.list('')) keys.push(info.key);
      assert.deepEqual(keys, ['k', 'plain']);
      await assert.rejects(store.get('k', { start: -1 }), ValidationError);
      await assert.rejects(store.get('k', { start: 4, end: 2 }), ValidationError);
      assert.equal((await store.get('k', { start: 10 })).length, 0);
    } finally {
      await cleanup();
    }
  });

  test('a relative root resolves against the working directory', async () => {
    const store = new LocalObjectStore({ root: 'some/relative' });
    assert.equal(store.root, join(process.cwd(), 'some', 'relative'));
    assert.throws(() => new LocalObjectStore({ root: '' }), ValidationError);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { LocalObjectStore } from '../src/adapters/local-object-store/local-object-store.js';
import { ConflictError, CorruptDataError, NotFoundError, ValidationError } from '../src/errors.js';
import { DeltaTable, removeAction, txnAction, type Action, type AddFile } from '../src/lake/index.js';

let root: string;
let store: LocalObjectStore;
let n = 0;
const freshPath = () => `tables/t${++n}`;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lamina-lake-log-'));
  store = new LocalObjectStore({ root });
});
after(() => rm(root, { recursive: true, force: true }));

const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('name', new arrow.Utf8(), true),
]);

/** A fake add action: the log does not care whether the file exists. */
const fakeAdd = (path: string): Action => ({ add: { path, partitionValues: {}, size: 10, modificationTime: 1, dataChange: true } });
const paths = (files: AddFile[]) => files.map((f) => f.path);

async function readLogLines(tablePath: string, version: number): Promise<Record<string, unknown>[]> {
  const text = new TextDecoder().decode(await store.get(`${tablePath}/_delta_log/${String(version).padStart(20, '0')}.json`));
  return text.trim().split('\n').map((l) => JSON.parse(l));
}

describe('Delta log: create', () => {
  test('version 0 holds commitInfo, protocol and metaData in Delta form', async () => {
    const path = freshPath();
    const snap = await DeltaTable.open(store, path).createIfMissing(schema, { configuration: { 'delta.appendOnly': 'false' } });
    assert.equal(snap.version, 0);
    assert.deepEqual(snap.files, []);
    const lines = await readLogLines(path, 0);
    assert.deepEqual(lines.map((l) => Object.keys(l)[0]), ['commitInfo', 'protocol', 'metaData']);
    assert.deepEqual(lines[1], { protocol: { minReaderVersion: 1, minWriterVersion: 2 } });
    const meta = (lines[2] as { metaData: Record<string, unknown> }).metaData;
    assert.match(meta.id as string, /^[0-9a-f-]{36}$/);
    assert.deepEqual(meta.format, { provider: 'parquet', options: {} });
    assert.deepEqual(JSON.parse(meta.schemaString as string), {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'name', type: 'string', nullable: true, metadata: {} },
      ],
    });
    assert.deepEqual(meta.partitionColumns, []);
    assert.deepEqual(meta.configuration, { 'delta.appendOnly': 'false' });
    assert.equal(typeof meta.createdTime, 'number');
    assert.equal((lines[0] as { commitInfo: { operation: string } }).commitInfo.operation, 'CREATE TABLE');
    assert.deepEqual(snap.schema.fields.map((f) => [f.name, String(f.type), f.nullable]), [['id', 'Int64', false], ['name', 'Utf8', true]]);
  });

  test('createIfMissing is idempotent, also for racing creators', async () => {
    const path = freshPath();
    const snaps = await Promise.all(Array.from({ length: 8 }, () => DeltaTable.open(store, path).createIfMissing(schema)));
    assert.equal(new Set(snaps.map((s) => s.metadata.id)).size, 1);
    assert.ok(snaps.every((s) => s.version === 0));
    const again = await DeltaTable.open(store, path).createIfMissing(schema);
    assert.equal(again.metadata.id, snaps[0]!.metadata.id);
    const logKeys: string[] = [];
    for await (const info of store.list(`${path}/_delta_log/`)) logKeys.push(info.key);
    assert.deepEqual(logKeys, [`${path}/_delta_log/00000000000000000000.json`]);
  });

  test('createIfMissing on an existing table with another layout fails clearly', async () => {
    const path = freshPath();
    await DeltaTable.open(store, path).createIfMissing(schema);
    const other = new arrow.Schema([new arrow.Field('id', new arrow.Int32(), false)]);
    await assert.rejects(DeltaTable.open(store, path).createIfMissing(other), (e: unknown) => e instanceof ValidationError && /different layout/.test(e.message));
    await assert.rejects(DeltaTable.open(store, path).createIfMissing(schema, { partitionColumns: ['name'] }), ValidationError);
  });

  test('rejects schemas Delta cannot represent', async () => {
    const table = DeltaTable.open(store, freshPath());
    await assert.rejects(table.createIfMissing(new arrow.Schema([new arrow.Field('u', new arrow.Uint32())])), /unsigned/);
    await assert.rejects(table.createIfMissing(new arrow.Schema([new arrow.Field('t', new arrow.TimestampMillisecond('UTC'))])), /microseconds/);
    await assert.rejects(table.createIfMissing(new arrow.Schema([new arrow.Field('a b', new arrow.Utf8())])), /not allowed/);
    await assert.rejects(table.createIfMissing(new arrow.Schema([new arrow.Field('A', new arrow.Utf8()), new arrow.Field('a', new arrow.Utf8())])), /case-insensitive/);
    await assert.rejects(table.createIfMissing(schema, { partitionColumns: ['nope'] }), /not in the schema/);
    assert.equal(await table.exists(), false);
  });

  test('a missing table or version is NotFoundError', async () => {
    const table = DeltaTable.open(store, freshPath());
    await assert.rejects(table.snapshot(), NotFoundError);
    await table.createIfMissing(schema);
    await assert.rejects(table.snapshot(5), NotFoundError);
    assert.throws(() => DeltaTable.open(store, '/abs'), ValidationError);
  });
});

describe('Delta log: commits and replay', () => {
  test('a commit sequence advances the version and the live files', async () => {
    const path = freshPath();
    const table = DeltaTable.open(store, path);
    await table.createIfMissing(schema);
    assert.equal(await table.commit(0, [fakeAdd('a.parquet')]), 1);
    assert.equal(await table.commit(1, [fakeAdd('b.parquet'), fakeAdd('c.parquet')]), 2);
    assert.equal(await table.commit(2, [removeAction((await table.snapshot()).files[0]!)]), 3);
    const snap = await table.snapshot();
    assert.equal(snap.version, 3);
    assert.deepEqual(paths(snap.files), ['b.parquet', 'c.parquet']);
    const v3 = await readLogLines(path, 3);
    assert.equal((v3[0] as { commitInfo: { readVersion: number } }).commitInfo.readVersion, 2);
    const remove = (v3[1] as { remove: Record<string, unknown> }).remove;
    assert.equal(remove.path, 'a.parquet');
    assert.equal(remove.dataChange, true);
    assert.equal(typeof remove.deletionTimestamp, 'number');
    // A fresh reader (no cache) replays the same state from the log.
    assert.deepEqual(paths((await DeltaTable.open(store, path).snapshot()).files), ['b.parquet', 'c.parquet']);
  });

  test('add/remove replay: re-adding a removed path makes it live again', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(schema);
    await table.commit(0, [fakeAdd('x'), fakeAdd('y')]);
    const s1 = await table.snapshot();
    await table.commit(1, [removeAction(s1.files[0]!), removeAction(s1.files[1]!), fakeAdd('z')]);
    await table.commit(2, [fakeAdd('x')]);
    assert.deepEqual(paths((await table.snapshot()).files), ['z', 'x']);
  });

  test('two commits from the same readVersion: exactly one wins, the other gets a retriable ConflictError', async () => {
    const path = freshPath();
    await DeltaTable.open(store, path).createIfMissing(schema);
    const writers = [DeltaTable.open(store, path), DeltaTable.open(store, path)];
    await Promise.all(writers.map((w) => w.snapshot()));
    const results = await Promise.allSettled(writers.map((w, i) => w.commit(0, [fakeAdd(`w${i}`)])));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0]!.reason instanceof ConflictError);
    assert.equal(lost[0]!.reason.retriable, true);
    const snap = await DeltaTable.open(store, path).snapshot();
    assert.equal(snap.version, 1);
    assert.equal(snap.files.length, 1);
    // The loser re-reads and retries on the new version.
    const loser = writers[results.indexOf(lost[0]!)]!;
    const fresh = await loser.snapshot();
    assert.equal(await loser.commit(fresh.version, [fakeAdd('retry')]), 2);
  });

  test('many racing commits from one readVersion on one handle: one winner', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(schema);
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => table.commit(0, [fakeAdd(`f${i}`)])));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof ConflictError));
    assert.equal((await table.snapshot()).files.length, 1);
  });

  test('a stale readVersion conflicts; a future one is rejected', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(schema);
    await table.commit(0, [fakeAdd('a')]);
    await table.commit(1, [fakeAdd('b')]);
    await assert.rejects(table.commit(0, [fakeAdd('c')]), ConflictError);
    await assert.rejects(table.commit(7, [fakeAdd('c')]), ValidationError);
    await assert.rejects(table.commit(2, [{ commitInfo: {} }]), ValidationError);
    assert.equal((await table.snapshot()).version, 2);
  });

  test('txn versions: the latest txn action per appId wins', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(schema);
    await table.commit(0, [fakeAdd('a'), txnAction('events/0', 5), txnAction('events/1', 1)]);
    await table.commit(1, [fakeAdd('b'), txnAction('events/0', 9)]);
    let snap = await table.snapshot();
    assert.deepEqual([...snap.txns].sort(), [['events/0', 9], ['events/1', 1]]);
    await table.commit(2, [txnAction('events/1', 0)]);
    snap = await table.snapshot();
    assert.equal(snap.txns.get('events/1'), 0);
    assert.equal((await table.snapshot(1)).txns.get('events/0'), 5);
  });

  test('time travel: old versions replay to their own state', async () => {
    const path = freshPath();
    const table = DeltaTable.open(store, path);
    await table.createIfMissing(schema);
    await table.commit(0, [fakeAdd('a')]);
    await table.commit(1, [fakeAdd('b')]);
    await table.commit(2, [removeAction((await table.snapshot()).files[0]!)]);
    for (const handle of [table, DeltaTable.open(store, path)]) {
      assert.deepEqual(paths((await handle.snapshot(0)).files), []);
      assert.deepEqual(paths((await handle.snapshot(1)).files), ['a']);
      assert.deepEqual(paths((await handle.snapshot(2)).files), ['a', 'b']);
      assert.deepEqual(paths((await handle.snapshot(3)).files), ['b']);
    }
    const early = DeltaTable.open(store, path);
    assert.equal((await early.snapshot(1)).version, 1);
    assert.equal((await early.snapshot()).version, 3);
  });

  test('a cached handle sees commits made by other handles', async () => {
    const path = freshPath();
    const a = DeltaTable.open(store, path);
    const b = DeltaTable.open(store, path);
    await a.createIfMissing(schema);
    assert.equal((await a.snapshot()).version, 0);
    await b.commit(0, [fakeAdd('from-b'), txnAction('app', 3)]);
    const snap = await a.snapshot();
    assert.equal(snap.version, 1);
    assert.deepEqual(paths(snap.files), ['from-b']);
    assert.equal(snap.txns.get('app'), 3);
  });
});

describe('Delta log: damaged and foreign tables', () => {
  test('invalid JSON or a gap in the log is CorruptDataError', async () => {
    const path = freshPath();
    const table = DeltaTable.open(store, path);
    await table.createIfMissing(schema);
    await store.put(`${path}/_delta_log/00000000000000000001.json`, '{"add": {"path": "a", "size": 1}\n{oops\n');
    await assert.rejects(DeltaTable.open(store, path).snapshot(), CorruptDataError);
    await store.put(`${path}/_delta_log/00000000000000000001.json`, JSON.stringify(fakeAdd('a')) + '\n');
    await store.put(`${path}/_delta_log/00000000000000000003.json`, JSON.stringify(fakeAdd('c')) + '\n');
    await assert.rejects(DeltaTable.open(store, path).snapshot(), (e: unknown) => e instanceof CorruptDataError && /gap/.test(e.message));
  });

  test('append-only tables refuse removes', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(schema, { configuration: { 'delta.appendOnly': 'true' } });
    await table.commit(0, [fakeAdd('a')]);
    const snap = await table.snapshot();
    await assert.rejects(table.commit(1, [removeAction(snap.files[0]!)]), /append-only/);
  });

  test('tables needing reader features Lamina lacks are refused with the reason', async () => {
    const path = freshPath();
    const table = DeltaTable.open(store, path);
    await table.createIfMissing(schema);
    await store.put(
      `${path}/_delta_log/00000000000000000001.json`,
      JSON.stringify({ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } }) + '\n',
    );
    await assert.rejects(DeltaTable.open(store, path).snapshot(), (e: unknown) => e instanceof ValidationError && /deletionVectors/.test(e.message));
  });

  test('a log whose early commits were cleaned up after a checkpoint is refused with advice', async () => {
    const path = freshPath();
    await store.put(`${path}/_delta_log/00000000000000000010.checkpoint.parquet`, 'not read');
    await store.put(`${path}/_delta_log/00000000000000000011.json`, JSON.stringify(fakeAdd('a')) + '\n');
    const table = DeltaTable.open(store, path);
    assert.equal(await table.exists(), true);
    await assert.rejects(table.snapshot(), (e: unknown) => e instanceof ValidationError && /enableExpiredLogCleanup/.test(e.message));
  });
});

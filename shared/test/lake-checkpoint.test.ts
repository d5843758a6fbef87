import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { LocalObjectStore } from '../src/adapters/local-object-store/local-object-store.js';
import { UnavailableError, ValidationError } from '../src/errors.js';
import type { ByteRange, ObjectInfo, ObjectStore } from '../src/ports/object-store.js';
import { DeltaTable, decodeParquet, removeAction, txnAction, type Action, type AddFile, type Snapshot } from '../src/lake/index.js';
import { lastCheckpointChecksum } from '../src/lake/last-checkpoint.js';

/**
 * A real ObjectStore over LocalObjectStore that counts reads, can hide checkpoint files (to get the
 * pure JSON-replay view of a table) and can fail writes of chosen keys.
 */
class InstrumentedStore implements ObjectStore {
  gets = 0;
  lists = 0;
  readonly gotKeys: string[] = [];
  constructor(private readonly inner: ObjectStore, private readonly opts: { hide?: RegExp; failWrites?: RegExp } = {}) {}

  reset(): void {
    this.gets = 0;
    this.lists = 0;
    this.gotKeys.length = 0;
  }
  private hidden(key: string) {
    return this.opts.hide?.test(key) ?? false;
  }
  private checkWrite(key: string) {
    if (this.opts.failWrites?.test(key)) throw new UnavailableError(`injected write failure for ${key}`);
  }
  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    this.gets++;
    this.gotKeys.push(key);
    if (this.hidden(key)) return this.inner.get(`${key}.hidden-by-test`);
    return this.inner.get(key, range);
  }
  async tryGet(key: string): Promise<Uint8Array | undefined> {
    this.gets++;
    this.gotKeys.push(key);
    return this.hidden(key) ? undefined : this.inner.tryGet(key);
  }
  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.hidden(key) ? undefined : this.inner.head(key);
  }
  async put(key: string, body: Uint8Array | string): Promise<void> {
    this.checkWrite(key);
    return this.inner.put(key, body);
  }
  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    this.checkWrite(key);
    return this.inner.putIfAbsent(key, body);
  }
  async *list(prefix: string, options?: { startAfter?: string }): AsyncIterable<ObjectInfo> {
    this.lists++;
    for await (const info of this.inner.list(prefix, options)) if (!this.hidden(info.key)) yield info;
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}

const CHECKPOINT_FILES = /\.checkpoint\.|_last_checkpoint$/;
let root: string;
let store: LocalObjectStore;
let n = 0;
const freshPath = () => `cp/t${++n}`;

const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int64(), false)]);
const fakeAdd = (path: string, partitionValues: Record<string, string | null> = {}): AddFile => ({
  path, partitionValues, size: 10, modificationTime: 1_700_000_000_000, dataChange: true, stats: '{"numRecords":1}',
});
const pad = (v: number) => String(v).padStart(20, '0');

/**
 * Commits 1..commits: one add each, every 7th also removes an earlier file, rotating txns over three
 * partitions, plus one appId written only in version 1 (it must survive every checkpoint).
 */
async function buildTable(path: string, commits: number, interval: number, s: ObjectStore = store): Promise<DeltaTable> {
  const table = DeltaTable.open(s, path, { checkpointInterval: interval });
  await table.createIfMissing(schema);
  const live: AddFile[] = [];
  for (let v = 1; v <= commits; v++) {
    const add = fakeAdd(`part-${v}.parquet`);
    const actions: Action[] = [{ add }, txnAction(`events/${v % 3}`, v * 10, 1_700_000_000_000 + v)];
    if (v === 1) actions.push(txnAction('early-app', 7, 1_700_000_000_000));
    if (v % 7 === 0) actions.push(removeAction(live.shift()!));
    live.push(add);
    assert.equal(await table.commit(v - 1, actions), v);
  }
  return table;
}

function assertSameState(actual: Snapshot, expected: Snapshot): void {
  assert.equal(actual.version, expected.version);
  assert.deepEqual(actual.protocol, expected.protocol);
  assert.deepEqual(actual.metadata, expected.metadata);
  assert.deepEqual(actual.files, expected.files);
  assert.deepEqual(actual.txns, expected.txns);
  assert.deepEqual(actual.partitionColumns, expected.partitionColumns);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lamina-lake-cp-'));
  store = new LocalObjectStore({ root });
});
after(() => rm(root, { recursive: true, force: true }));

describe('Delta checkpoints: a 253-commit table, interval 10', () => {
  const path = 'cp/big';
  let writer: DeltaTable;
  const jsonOnly = () => new InstrumentedStore(store, { hide: CHECKPOINT_FILES });

  before(async () => {
    writer = await buildTable(path, 253, 10);
  });

  test('writes a classic checkpoint every 10 versions and points _last_checkpoint at the newest', async () => {
    const keys: string[] = [];
    for await (const info of store.list(`${path}/_delta_log/`)) keys.push(info.key.slice(path.length + 12));
    const checkpoints = keys.filter((k) => k.includes('.checkpoint.'));
    assert.deepEqual(checkpoints, Array.from({ length: 25 }, (_, i) => `${pad((i + 1) * 10)}.checkpoint.parquet`));
    const last = JSON.parse(new TextDecoder().decode(await store.get(`${path}/_delta_log/_last_checkpoint`)));
    const snap250 = await writer.snapshot(250);
    assert.equal(last.version, 250);
    assert.equal(last.numOfAddFiles, snap250.files.length);
    // protocol + metaData + 4 txns + live adds + tombstones (35 removes, all recent)
    assert.equal(last.size, 2 + 4 + snap250.files.length + 35);
    assert.equal(last.sizeInBytes, (await store.head(`${path}/_delta_log/${pad(250)}.checkpoint.parquet`))!.size);
    assert.equal(last.checksum, lastCheckpointChecksum(last));
  });

  test('a fresh handle reads _last_checkpoint, one checkpoint and 3 commits, and sees the JSON-replay state', async () => {
    const counting = new InstrumentedStore(store);
    const fresh = await DeltaTable.open(counting, path).snapshot();
    const viaJson = jsonOnly();
    const replayed = await DeltaTable.open(viaJson, path).snapshot();
    assertSameState(fresh, replayed);
    assertSameState(fresh, await writer.snapshot());
    assert.equal(fresh.version, 253);
    assert.equal(fresh.txns.get('early-app'), 7);
    assert.equal(fresh.txns.get('events/1'), 2530);
    assert.deepEqual(counting.gotKeys.map((k) => k.slice(path.length + 12)), [
      '_last_checkpoint', `${pad(250)}.checkpoint.parquet`, `${pad(251)}.json`, `${pad(252)}.json`, `${pad(253)}.json`,
    ]);
    assert.equal(counting.lists, 1);
    assert.equal(viaJson.gets, 254 + 1);
  });

  test('time travel uses the newest checkpoint at or below the version, or replays from 0', async () => {
    for (const version of [0, 5, 10, 137, 249, 250, 252]) {
      const counting = new InstrumentedStore(store);
      const snap = await DeltaTable.open(counting, path, { checkpointInterval: 10 }).snapshot(version);
      assertSameState(snap, await DeltaTable.open(jsonOnly(), path).snapshot(version));
      const base = version - (version % 10);
      const expectedCommitReads = base === 0 ? version + 1 : version - base;
      const commitReads = counting.gotKeys.filter((k) => k.endsWith('.json')).length;
      assert.equal(commitReads, expectedCommitReads, `commits read for version ${version}`);
      assert.equal(counting.gotKeys.some((k) => k.endsWith(`${pad(base)}.checkpoint.parquet`)), base > 0, `checkpoint ${base} used for version ${version}`);
    }
    // A cached handle travelling back, and forth again.
    assertSameState(await writer.snapshot(137), await DeltaTable.open(jsonOnly(), path).snapshot(137));
    assert.equal((await writer.snapshot()).version, 253);
  });

  test('time travel whose checkpoint guess misses lists the whole log and still uses a checkpoint', async () => {
    const counting = new InstrumentedStore(store);
    // Interval 7 guesses a checkpoint at 133; the listing finds 130.
    const snap = await DeltaTable.open(counting, path, { checkpointInterval: 7 }).snapshot(137);
    assertSameState(snap, await DeltaTable.open(jsonOnly(), path).snapshot(137));
    assert.equal(counting.gotKeys.filter((k) => k.endsWith('.json')).length, 7);
  });

  test('a cached handle far behind catches up from a checkpoint; one just behind replays commits', async () => {
    const counting = new InstrumentedStore(store);
    const lagging = DeltaTable.open(counting, path);
    await lagging.snapshot(20);
    counting.reset();
    assertSameState(await lagging.snapshot(), await writer.snapshot());
    assert.equal(counting.gotKeys.filter((k) => k.endsWith('.json')).length, 3);
    assert.ok(counting.gotKeys.some((k) => k.endsWith(`${pad(250)}.checkpoint.parquet`)));

    const near = DeltaTable.open(counting, path);
    await near.snapshot(245);
    counting.reset();
    assertSameState(await near.snapshot(), await writer.snapshot());
    assert.deepEqual(counting.gotKeys.map((k) => k.slice(-25)), [246, 247, 248, 249, 250, 251, 252, 253].map((v) => `${pad(v)}.json`));
  });
});

describe('Delta checkpoints: damaged or missing hints and files', () => {
  test('missing, corrupt, stale or dangling _last_checkpoint: same state, at worst a longer listing', async () => {
    const path = freshPath();
    const writer = await buildTable(path, 45, 10);
    const expected = await writer.snapshot();
    const hint = `${path}/_delta_log/_last_checkpoint`;
    const variants: [string, string | undefined][] = [
      ['missing', undefined],
      ['not JSON', '{"version": 4'],
      ['no version', '{"size": 3}'],
      ['stale', JSON.stringify({ version: 10, size: 1 })],
      ['dangling', JSON.stringify({ version: 9000, size: 1 })],
      ['multi-part', JSON.stringify({ version: 40, size: 1, parts: 3 })],
    ];
    for (const [label, body] of variants) {
      if (body === undefined) await store.delete(hint);
      else await store.put(hint, body);
      const errors: Error[] = [];
      const counting = new InstrumentedStore(store);
      const snap = await DeltaTable.open(counting, path, { onCheckpointError: (e) => errors.push(e) }).snapshot();
      assertSameState(snap, expected);
      assert.ok(counting.gotKeys.some((k) => k.endsWith(`${pad(40)}.checkpoint.parquet`)), `${label}: newest checkpoint used`);
      assert.equal(counting.gotKeys.filter((k) => k.endsWith('.json')).length, 5, `${label}: only commits 41..45 read`);
      assert.equal(errors.length, label === 'not JSON' || label === 'no version' ? 1 : 0, `${label}: reported ${errors.map((e) => e.message)}`);
    }
  });

  test('an unreadable checkpoint is reported and skipped for an older one', async () => {
    const path = freshPath();
    const writer = await buildTable(path, 33, 10);
    await store.put(`${path}/_delta_log/${pad(30)}.checkpoint.parquet`, 'PAR1 truncated');
    const errors: Error[] = [];
    const counting = new InstrumentedStore(store);
    const snap = await DeltaTable.open(counting, path, { onCheckpointError: (e) => errors.push(e) }).snapshot();
    assertSameState(snap, await writer.snapshot());
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /checkpoint\.parquet is not a readable Parquet file/);
    assert.equal(counting.gotKeys.filter((k) => k.endsWith('.json')).length, 13);
  });

  test('a failing checkpoint write does not fail the commit, and is reported', async () => {
    const path = freshPath();
    const failing = new InstrumentedStore(store, { failWrites: /\.checkpoint\.parquet$/ });
    const errors: Error[] = [];
    const table = DeltaTable.open(failing, path, { checkpointInterval: 5, onCheckpointError: (e) => errors.push(e) });
    await table.createIfMissing(schema);
    for (let v = 1; v <= 12; v++) assert.equal(await table.commit(v - 1, [{ add: fakeAdd(`f${v}`) }, txnAction('app', v)]), v);
    assert.equal(errors.length, 2);
    assert.deepEqual(errors.map((e) => e instanceof UnavailableError), [true, true]);
    assert.equal(await store.head(`${path}/_delta_log/_last_checkpoint`), undefined);
    const snap = await DeltaTable.open(store, path).snapshot();
    assert.equal(snap.version, 12);
    assert.equal(snap.txns.get('app'), 12);
    assert.equal(snap.files.length, 12);

    // _last_checkpoint failing alone leaves a usable checkpoint that listing finds.
    const hintFails = new InstrumentedStore(store, { failWrites: /_last_checkpoint$/ });
    const t2 = DeltaTable.open(hintFails, path, { checkpointInterval: 5, onCheckpointError: (e) => errors.push(e) });
    await t2.snapshot();
    for (let v = 13; v <= 15; v++) await t2.commit(v - 1, [{ add: fakeAdd(`f${v}`) }]);
    assert.equal(errors.length, 3);
    assert.ok(await store.head(`${path}/_delta_log/${pad(15)}.checkpoint.parquet`));
    const counting = new InstrumentedStore(store);
    assertSameState(await DeltaTable.open(counting, path).snapshot(), await t2.snapshot());
    assert.deepEqual(counting.gotKeys.filter((k) => k.endsWith('.json')), []);
  });

  test('racing checkpoint writers of one version: one creates it, both succeed, the file serves', async () => {
    const path = freshPath();
    await buildTable(path, 9, 0);
    const handles = Array.from({ length: 4 }, () => DeltaTable.open(store, path));
    const results = await Promise.all(handles.map((h) => h.checkpoint()));
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.ok(results.every((r) => r.version === 9 && r.numOfAddFiles === 8));
    const counting = new InstrumentedStore(store);
    assertSameState(await DeltaTable.open(counting, path).snapshot(), await handles[0]!.snapshot());
    assert.equal(counting.gotKeys.length, 2);
    assert.equal((await handles[0]!.checkpoint(9)).created, false);
  });

  test('a table whose early commits are gone reads from its checkpoint; without one it is refused', async () => {
    const path = freshPath();
    const writer = await buildTable(path, 25, 10);
    for (let v = 0; v < 20; v++) await store.delete(`${path}/_delta_log/${pad(v)}.json`);
    assertSameState(await DeltaTable.open(store, path).snapshot(), await writer.snapshot());
    await assert.rejects(DeltaTable.open(store, path).snapshot(15), (e: unknown) => e instanceof ValidationError && /cleaned up/.test(e.message));
    await assert.rejects(DeltaTable.open(store, path).snapshot(5), (e: unknown) => e instanceof ValidationError && /cleaned up/.test(e.message));
    // Only multi-part / V2 checkpoints left: Lamina says what it found and what it reads.
    await store.delete(`${path}/_delta_log/${pad(20)}.checkpoint.parquet`);
    await store.delete(`${path}/_delta_log/${pad(10)}.checkpoint.parquet`);
    await store.put(`${path}/_delta_log/${pad(20)}.checkpoint.0000000001.0000000002.parquet`, 'x');
    await store.put(`${path}/_delta_log/${pad(20)}.checkpoint.0000000002.0000000002.parquet`, 'x');
    await store.put(`${path}/_delta_log/${pad(20)}.checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json`, 'x');
    await assert.rejects(DeltaTable.open(store, path).snapshot(), (e: unknown) =>
      e instanceof ValidationError && /multipart-checkpoint at version 20/.test(e.message) && /uuid-checkpoint at version 20/.test(e.message) && /classic/.test(e.message));
  });

  test('multi-part and V2 checkpoints are ignored while the JSON commits exist', async () => {
    const path = freshPath();
    const writer = await buildTable(path, 12, 0);
    await store.put(`${path}/_delta_log/${pad(10)}.checkpoint.0000000001.0000000002.parquet`, 'x');
    await store.put(`${path}/_delta_log/${pad(10)}.checkpoint.0000000002.0000000002.parquet`, 'x');
    await store.put(`${path}/_delta_log/${pad(11)}.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json`, 'x');
    await store.put(`${path}/_delta_log/_last_checkpoint`, JSON.stringify({ version: 10, size: 5, parts: 2 }));
    assertSameState(await DeltaTable.open(store, path).snapshot(), await writer.snapshot());
  });
});

describe('Delta checkpoints: content', () => {
  test('one row per action in struct columns; tombstones younger than the retention, without stats', async () => {
    const path = freshPath();
    const table = DeltaTable.open(store, path, { checkpointInterval: 0 });
    await table.createIfMissing(
      new arrow.Schema([new arrow.Field('kind', new arrow.Utf8(), true), new arrow.Field('n', new arrow.Int64(), false)]),
      { partitionColumns: ['kind'], configuration: { 'delta.deletedFileRetentionDuration': 'interval 2 days' } },
    );
    const kept = fakeAdd('kind=a%2Fb/f1', { kind: 'a/b' });
    const nulled = fakeAdd('kind=__HIVE_DEFAULT_PARTITION__/f2', { kind: null });
    const old = fakeAdd('kind=x/old', { kind: 'x' });
    const recent = fakeAdd('kind=x/recent', { kind: 'x' });
    await table.commit(0, [{ add: kept }, { add: nulled }, { add: old }, { add: recent }, txnAction('app', 3, 42)]);
    const day = 86_400_000;
    await table.commit(1, [removeAction(old, Date.now() - 3 * day), removeAction(recent, Date.now() - day)]);
    const info = await table.checkpoint();
    assert.deepEqual({ ...info, sizeInBytes: 0 }, { version: 2, size: 6, sizeInBytes: 0, numOfAddFiles: 2, created: true });

    const file = await decodeParquet(await store.get(`${path}/_delta_log/${pad(2)}.checkpoint.parquet`), 'cp');
    assert.deepEqual(file.schema.fields.map((f) => f.name), ['txn', 'add', 'remove', 'metaData', 'protocol']);
    const rows = file.toArray().map((r) => r.toJSON());
    const kinds = rows.map((r) => Object.keys(r).filter((k) => r[k] != null));
    assert.deepEqual(kinds, [['protocol'], ['metaData'], ['txn'], ['add'], ['add'], ['remove']]);
    assert.equal(String(file.getChild('add')!.type.children.find((f: arrow.Field) => f.name === 'partitionValues')!.type), 'Map<{key:Utf8, value:Utf8}>');
    assert.deepEqual(rows[0]!.protocol.toJSON(), { minReaderVersion: 1, minWriterVersion: 2, readerFeatures: null, writerFeatures: null });
    assert.deepEqual([...rows[3]!.add.partitionValues], [['kind', 'a/b']]);
    assert.deepEqual([...rows[4]!.add.partitionValues], [['kind', null]]);
    assert.equal(rows[4]!.add.stats, '{"numRecords":1}');
    const remove = rows[5]!.remove.toJSON();
    assert.equal(remove.path, 'kind=x/recent');
    assert.equal(Object.hasOwn(remove, 'stats'), false);
    assert.deepEqual(rows[2]!.txn.toJSON(), { appId: 'app', version: 3n, lastUpdated: 42n });
    assert.deepEqual([...rows[1]!.metaData.partitionColumns], ['kind']);

    const fresh = await DeltaTable.open(store, path).snapshot();
    assertSameState(fresh, await table.snapshot());
    assert.deepEqual(fresh.files.map((f) => f.partitionValues), [{ kind: 'a/b' }, { kind: null }]);
  });

  test('the interval comes from the handle option, else delta.checkpointInterval, else 100; 0 turns it off', async () => {
    const count = async (path: string) => {
      let k = 0;
      for await (const info of store.list(`${path}/_delta_log/`)) if (info.key.endsWith('.checkpoint.parquet')) k++;
      return k;
    };
    const byProperty = freshPath();
    const t1 = DeltaTable.open(store, byProperty);
    await t1.createIfMissing(schema, { configuration: { 'delta.checkpointInterval': '4' } });
    for (let v = 1; v <= 9; v++) await t1.commit(v - 1, [{ add: fakeAdd(`f${v}`) }]);
    assert.equal(await count(byProperty), 2);
    const off = freshPath();
    await buildTable(off, 12, 0);
    assert.equal(await count(off), 0);
    assert.throws(() => DeltaTable.open(store, off, { checkpointInterval: -1 }), ValidationError);
    assert.throws(() => DeltaTable.open(store, off, { checkpointInterval: 1.5 }), ValidationError);
  });

  test('_last_checkpoint checksum follows the protocol canonicalization', () => {
    const sample = { k0: "'v 0'", checksum: 'adsaskfljadfkjadfkj', k1: { k2: 2, k3: ['v3', [1, 2], { k4: 'v4', k5: ['v5', 'v6', 'v7'] }] } };
    assert.equal(lastCheckpointChecksum(sample), '6a92d155a59bf2eecbd4b4ec7fd1f875');
  });

  test('real data files: a fresh handle reads the same rows through a checkpoint', async () => {
    const path = freshPath();
    const table = DeltaTable.open(store, path, { checkpointInterval: 3 });
    await table.createIfMissing(schema);
    for (let v = 1; v <= 4; v++) {
      const add = await table.writeDataFile(new arrow.Table({ id: arrow.vectorFromArray([BigInt(v), BigInt(v * 100)], new arrow.Int64()) }));
      await table.commit(v - 1, [{ add }]);
    }
    const counting = new InstrumentedStore(store);
    const rows = (await DeltaTable.open(counting, path).readAll()).getChild('id')!.toArray();
    assert.deepEqual([...rows].sort((a, b) => Number(a - b)), [1n, 2n, 3n, 4n, 100n, 200n, 300n, 400n]);
    assert.equal(counting.gotKeys.filter((k) => k.endsWith('.json')).length, 1);
  });
});

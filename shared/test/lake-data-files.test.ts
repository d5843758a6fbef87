import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { LocalObjectStore } from '../src/adapters/local-object-store/local-object-store.js';
import { ConflictError, ValidationError } from '../src/errors.js';
import { DeltaTable, readDataFile, txnAction } from '../src/lake/index.js';
import { computeStats } from '../src/lake/stats.js';
import type { DeltaField } from '../src/lake/delta-schema.js';

let root: string;
let store: LocalObjectStore;
let n = 0;
const freshPath = () => `data/t${++n}`;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lamina-lake-data-'));
  store = new LocalObjectStore({ root });
});
after(() => rm(root, { recursive: true, force: true }));

const v = arrow.vectorFromArray;
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

/** One column of every supported type, with nulls and edge values. */
function allTypesTable(): arrow.Table {
  return new arrow.Table({
    s: v(['héllo', null, '', 'zebra \u{1f600}'], new arrow.Utf8()),
    l: v([9007199254740993n, -5n, null, 0n], new arrow.Int64()),
    i: v([2147483647, -2147483648, null, 7], new arrow.Int32()),
    sh: v([-32768, 32767, 1, null], new arrow.Int16()),
    b: v([-128, 127, null, 0], new arrow.Int8()),
    f: v([1.5, null, -2.25, 0], new arrow.Float32()),
    d: v([0.1, -1e300, null, 3.5], new arrow.Float64()),
    ok: v([true, false, null, true], new arrow.Bool()),
    bin: v([new Uint8Array([0, 255, 7]), new Uint8Array(0), null, new Uint8Array([1])], new arrow.Binary()),
    dt: v([day('2024-02-29'), null, day('1969-12-31'), day('2000-01-01')], new arrow.DateDay()),
    // apache-arrow takes epoch milliseconds here; the microsecond fraction survives.
    ts: v([1_700_000_000_123.456, null, -1.5, 0.001], new arrow.TimestampMicrosecond('UTC')),
  });
}

const rows = (t: arrow.Table) => t.toArray().map((r) => r.toJSON());
const rawMicros = (t: arrow.Table) => [...(t.getChild('ts')!.data.flatMap((d) => [...(d.values as BigInt64Array)].slice(0, d.length)))];

describe('Delta data files', () => {
  test('round-trips every supported type, nulls included, at full precision', async () => {
    const input = allTypesTable();
    const table = DeltaTable.open(store, freshPath());
    const snap = await table.createIfMissing(input.schema);
    assert.deepEqual(snap.fields.map((f) => f.type), ['string', 'long', 'integer', 'short', 'byte', 'float', 'double', 'boolean', 'binary', 'date', 'timestamp']);
    const add = await table.writeDataFile(input);
    assert.match(add.path, /^part-[0-9a-f-]{36}\.zstd\.parquet$/);
    assert.equal(add.size, (await store.head(`${table.tablePath}/${add.path}`))!.size);
    assert.equal(add.dataChange, true);
    const back = await table.readDataFile(add);
    assert.deepEqual(back.schema.fields.map((f) => String(f.type)), input.schema.fields.map((f) => String(f.type)));
    assert.deepEqual(rows(back), rows(input));
    const micros = rawMicros(back);
    assert.deepEqual([micros[0], micros[2], micros[3]], [1_700_000_000_123_456n, -1500n, 1n]);
    assert.equal(back.getChild('ts')!.nullCount, 1);
    assert.equal(back.getChild('l')!.get(0), 9007199254740993n);
  });

  test('stats hold numRecords, nullCount and safe min/max bounds in Delta formats', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(allTypesTable().schema);
    const add = await table.writeDataFile(allTypesTable());
    const stats = JSON.parse(add.stats!);
    assert.equal(stats.numRecords, 4);
    assert.deepEqual(stats.nullCount, { s: 1, l: 1, i: 1, sh: 1, b: 1, f: 1, d: 1, ok: 1, bin: 1, dt: 1, ts: 1 });
    assert.deepEqual(stats.minValues, {
      s: '', i: -2147483648, sh: -32768, b: -128, f: -2.25, d: -1e300, dt: '1969-12-31', ts: '1969-12-31T23:59:59.998Z',
      // l's max (2^53 + 1) is not exact in JSON, so only its min is kept.
      l: -5,
    });
    assert.deepEqual(stats.maxValues, { s: 'zebra \u{1f600}', i: 2147483647, sh: 32767, b: 127, f: 1.5, d: 3.5, dt: '2024-02-29', ts: '2023-11-14T22:13:20.123Z' });
  });

  test('stats of a sliced table read only its rows (offsets, validity and 64-bit words in place)', () => {
    const ts = (ms: number) => new Date(ms).toISOString();
    const full = new arrow.Table({
      s: v(['zz', 'b', null, 'c', 'a'], new arrow.Utf8()),
      n: v([100n, 7n, null, 9n, -1n], new arrow.Int64()),
      t: v([Date.UTC(2030, 0, 1), Date.UTC(2026, 0, 2), null, Date.UTC(2026, 0, 3), Date.UTC(2020, 0, 1)], new arrow.TimestampMicrosecond('UTC')),
    });
    const fields = [{ name: 's', type: 'string', nullable: true }, { name: 'n', type: 'long', nullable: true }, { name: 't', type: 'timestamp', nullable: true }] as DeltaField[];
    const stats = computeStats(full.slice(1, 4), fields);
    assert.deepEqual(stats.minValues, { s: 'b', n: 7, t: ts(Date.UTC(2026, 0, 2)) });
    assert.deepEqual(stats.maxValues, { s: 'c', n: 9, t: ts(Date.UTC(2026, 0, 3)) });
    assert.deepEqual(stats.nullCount, { s: 1, n: 1, t: 1 });
    const huge = computeStats(new arrow.Table({ n: v([2n ** 60n, 1n], new arrow.Int64()) }), [{ name: 'n', type: 'long', nullable: false } as DeltaField]);
    assert.deepEqual([huge.minValues, huge.maxValues], [{ n: 1 }, {}], 'a long beyond 2^53 has no exact JSON bound');
  });

  test('stats leave out bounds that would be unsafe', async () => {
    const long = 'x'.repeat(40);
    const t = new arrow.Table({
      s: v(['\uffff', '\u{1f600}', long], new arrow.Utf8()),
      withNull: v(['ab', null, 'a'], new arrow.Utf8()),
      d: v([1, Number.NaN, 2], new arrow.Float64()),
      inf: v([1, Number.POSITIVE_INFINITY, null], new arrow.Float64()),
      allNull: v([null, null, null], new arrow.Int32()),
    });
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(t.schema);
    const stats = JSON.parse((await table.writeDataFile(t)).stats!);
    // Code-point (UTF-8) order: U+FFFF < U+1F600, unlike JS '<' on UTF-16 units.
    assert.deepEqual(stats.minValues, { s: long.slice(0, 32), withNull: 'a', inf: 1 });
    assert.deepEqual(stats.maxValues, { s: '\u{1f600}', withNull: 'ab' });
    assert.deepEqual(stats.nullCount, { s: 0, withNull: 1, d: 0, inf: 1, allNull: 3 });
  });

  test('rows that do not match the table schema are rejected with every problem named', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(new arrow.Schema([new arrow.Field('id', new arrow.Int64(), false), new arrow.Field('name', new arrow.Utf8(), true)]));
    const wrong = new arrow.Table({ id: v([1, 2], new arrow.Int32()), extra: v(['x', 'y'], new arrow.Utf8()) });
    await assert.rejects(table.writeDataFile(wrong), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.match(e.message, /"id" is integer/);
      assert.match(e.message, /missing column "name"/);
      assert.match(e.message, /"extra" is not in the table schema/);
      return true;
    });
    const nullIds = new arrow.Table({ id: v([1n, null], new arrow.Int64()), name: v(['a', 'b'], new arrow.Utf8()) });
    await assert.rejects(table.writeDataFile(nullIds), /NOT NULL but holds nulls/);
  });

  test('columns are stored in table order whatever the input order', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(new arrow.Schema([new arrow.Field('a', new arrow.Int32()), new arrow.Field('b', new arrow.Utf8())]));
    const add = await table.writeDataFile(new arrow.Table({ b: v(['x'], new arrow.Utf8()), a: v([1], new arrow.Int32()) }));
    const back = await table.readDataFile(add);
    assert.deepEqual(back.schema.fields.map((f) => f.name), ['a', 'b']);
    assert.deepEqual(rows(back), [{ a: 1, b: 'x' }]);
  });

  test('partitioned tables: one partition per file, Hive folders, partition columns restored on read', async () => {
    const schema = new arrow.Schema([
      new arrow.Field('kind', new arrow.Utf8(), true),
      new arrow.Field('day', new arrow.DateDay(), true),
      new arrow.Field('n', new arrow.Int64(), true),
    ]);
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(schema, { partitionColumns: ['kind', 'day'] });
    const part = (kind: string | null, d: string, ns: bigint[]) =>
      new arrow.Table({ kind: v(ns.map(() => kind), new arrow.Utf8()), day: v(ns.map(() => day(d)), new arrow.DateDay()), n: v(ns, new arrow.Int64()) });

    const a = await table.writeDataFile(part('click', '2024-01-02', [1n, 2n]));
    assert.deepEqual(a.partitionValues, { kind: 'click', day: '2024-01-02' });
    assert.match(a.path, /^kind=click\/day=2024-01-02\/part-.*\.zstd\.parquet$/);
    assert.deepEqual(Object.keys(JSON.parse(a.stats!).nullCount), ['n']);

    const odd = await table.writeDataFile(part('a/b=c%d é', '2024-01-03', [3n]));
    assert.deepEqual(odd.partitionValues, { kind: 'a/b=c%d é', day: '2024-01-03' });
    assert.match(odd.path, /^kind=a%252Fb%253Dc%2525d%20%C3%A9\/day=2024-01-03\//);
    assert.ok(await store.head(`${table.tablePath}/${decodeURIComponent(odd.path)}`));

    const nul = await table.writeDataFile(part(null, '2024-01-04', [4n]));
    assert.equal(nul.partitionValues.kind, null);
    assert.match(nul.path, /^kind=__HIVE_DEFAULT_PARTITION__\//);

    const snap0 = await table.snapshot();
    await table.commit(snap0.version, [{ add: a }, { add: odd }, { add: nul }]);
    const all = await table.readAll();
    assert.deepEqual(all.schema.fields.map((f) => f.name), ['kind', 'day', 'n']);
    assert.deepEqual(rows(all), [
      { kind: 'click', day: day('2024-01-02').getTime(), n: 1n },
      { kind: 'click', day: day('2024-01-02').getTime(), n: 2n },
      { kind: 'a/b=c%d é', day: day('2024-01-03').getTime(), n: 3n },
      { kind: null, day: day('2024-01-04').getTime(), n: 4n },
    ]);

    const mixed = new arrow.Table({ kind: v(['x', 'y'], new arrow.Utf8()), day: v([day('2024-01-02'), day('2024-01-02')], new arrow.DateDay()), n: v([1n, 2n], new arrow.Int64()) });
    await assert.rejects(table.writeDataFile(mixed), /split the rows by kind, day/);
    await assert.rejects(table.writeDataFile(part('', '2024-01-02', [1n])), /empty string/);
  });

  test('a file of several row groups reads as its own batches: partition values, later columns and a projection', async () => {
    const schema = new arrow.Schema([new arrow.Field('day', new arrow.DateDay(), true), new arrow.Field('n', new arrow.Int32(), true), new arrow.Field('s', new arrow.Utf8(), true)]);
    const table = DeltaTable.open(store, freshPath());
    const snap = await table.createIfMissing(schema, { partitionColumns: ['day'] });
    const count = 300_000; // past two row groups (131,072 rows each)
    const ns = Int32Array.from({ length: count }, (_, i) => i);
    const input = new arrow.Table({ day: v(Array.from({ length: count }, () => day('2024-05-06')), new arrow.DateDay()), n: arrow.makeVector(ns), s: v(Array.from({ length: count }, (_, i) => `s${i % 7}`), new arrow.Utf8()) });
    const add = await table.writeDataFile(input);
    // The table gained a column after the file was written (Delta schema evolution): it reads as nulls.
    const layout = { tablePath: snap.tablePath, partitionColumns: ['day'], fields: [...snap.fields, { name: 'later', type: 'long', nullable: true, metadata: {} } as DeltaField] };
    const back = await readDataFile(store, layout, add);
    assert.equal(back.numRows, count);
    assert.ok(back.batches.length > 2, `${back.batches.length} batches`);
    assert.deepEqual(back.schema.fields.map((f) => `${f.name}:${f.type}`), ['day:Date32<DAY>', 'n:Int32', 's:Utf8', 'later:Int64']);
    for (const batch of back.batches) assert.equal(batch.getChild('day')!.length, batch.numRows);
    assert.deepEqual([back.get(0)!.toJSON(), back.get(count - 1)!.toJSON()], [
      { day: day('2024-05-06').getTime(), n: 0, s: 's0', later: null },
      { day: day('2024-05-06').getTime(), n: count - 1, s: `s${(count - 1) % 7}`, later: null },
    ]);
    assert.deepEqual(Int32Array.from(back.getChild('n')!.toArray() as Int32Array), ns);
    assert.equal(back.getChild('later')!.nullCount, count);

    const some = await readDataFile(store, layout, add, { columns: ['later', 's', 'day'] });
    assert.deepEqual(some.schema.fields.map((f) => f.name), ['day', 's', 'later'], 'in table order');
    assert.equal(some.numRows, count);
    assert.equal(some.get(count - 1)!.toJSON().s, `s${(count - 1) % 7}`);
    const partitionOnly = await readDataFile(store, layout, add, { columns: ['day'] });
    assert.equal(partitionOnly.numRows, count);
    await assert.rejects(readDataFile(store, layout, add, { columns: ['n', 'nope'] }), (e: unknown) => e instanceof ValidationError && /has no column nope/.test(e.message));
  });

  test('an empty table reads as zero rows with the table schema', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(allTypesTable().schema);
    const all = await table.readAll();
    assert.equal(all.numRows, 0);
    assert.deepEqual(all.schema.fields.map((f) => f.name), allTypesTable().schema.fields.map((f) => f.name));
  });
});

describe('Delta overwrite', () => {
  const schema = new arrow.Schema([new arrow.Field('k', new arrow.Utf8(), true), new arrow.Field('c', new arrow.Int64(), true)]);
  const batch = (pairs: [string, bigint][]) => new arrow.Table({ k: v(pairs.map((p) => p[0]), new arrow.Utf8()), c: v(pairs.map((p) => p[1]), new arrow.Int64()) });

  test('replaces all files in one commit; older versions still read the old rows', async () => {
    const table = DeltaTable.open(store, freshPath());
    await table.createIfMissing(schema);
    const a1 = await table.writeDataFile(batch([['a', 1n]]));
    const a2 = await table.writeDataFile(batch([['b', 2n]]));
    const v1 = await table.commit(0, [{ add: a1 }, { add: a2 }, txnAction('events/0', 41)]);
    const v2 = await table.overwrite(v1, [batch([['a', 10n], ['c', 3n]]), batch([])], { extraActions: [txnAction('events/0', 99)] });
    assert.equal(v2, 2);
    const snap = await table.snapshot();
    assert.equal(snap.files.length, 1, 'empty input tables write no file');
    assert.equal(snap.txns.get('events/0'), 99);
    assert.deepEqual(rows(await table.readAll()), [{ k: 'a', c: 10n }, { k: 'c', c: 3n }]);
    assert.deepEqual(rows(await table.readAll(await table.snapshot(v1))), [{ k: 'a', c: 1n }, { k: 'b', c: 2n }]);
    // Removed files stay on disk for time travel.
    assert.ok(await store.head(`${table.tablePath}/${a1.path}`));
    const commitInfo = JSON.parse(new TextDecoder().decode(await store.get(`${table.tablePath}/_delta_log/00000000000000000002.json`)).split('\n')[0]!).commitInfo;
    assert.deepEqual(commitInfo.operationParameters, { mode: 'Overwrite' });
  });

  test('a conflicting overwrite fails retriably and deletes the files it wrote', async () => {
    const path = freshPath();
    const table = DeltaTable.open(store, path);
    await table.createIfMissing(schema);
    await DeltaTable.open(store, path).commit(0, [{ add: await table.writeDataFile(batch([['x', 1n]])) }]);
    const before = await listDataFiles(path);
    await assert.rejects(table.overwrite(0, [batch([['y', 2n]])]), ConflictError);
    assert.deepEqual(await listDataFiles(path), before);
    const latest = await table.snapshot();
    assert.equal(await table.overwrite(latest.version, [batch([['y', 2n]])]), 2);
    assert.deepEqual(rows(await table.readAll()), [{ k: 'y', c: 2n }]);
  });
});

async function listDataFiles(tablePath: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(`${tablePath}/`)) if (info.key.endsWith('.parquet')) keys.push(info.key);
  return keys;
}

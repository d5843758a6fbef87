/**
 * Writes sample Delta tables with Lamina's lake module, for read_with_deltalake.py to check with an
 * independent reader (delta-rs). Usage: npx tsx shared/test/interop/write-sample-table.ts <folder>
 * Prints the expected contents as JSON on stdout.
 */
import * as arrow from 'apache-arrow';
import { LocalObjectStore } from '../../src/adapters/local-object-store/local-object-store.js';
import { DeltaTable, txnAction } from '../../src/lake/index.js';

const folder = process.argv[2];
if (!folder) throw new Error('usage: write-sample-table.ts <folder>');
const store = new LocalObjectStore({ root: folder });
const v = arrow.vectorFromArray;
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

function allTypes(offset: number): arrow.Table {
  return new arrow.Table({
    s: v([`row-${offset}`, null, 'é \u{1f600}'], new arrow.Utf8()),
    l: v([BigInt(offset), 9007199254740993n, null], new arrow.Int64()),
    i: v([offset, -2147483648, null], new arrow.Int32()),
    sh: v([1, null, -32768], new arrow.Int16()),
    b: v([1, 127, null], new arrow.Int8()),
    f: v([1.5, null, -2.25], new arrow.Float32()),
    d: v([0.1 + offset, null, -1e300], new arrow.Float64()),
    ok: v([true, false, null], new arrow.Bool()),
    bin: v([new Uint8Array([0, 255]), null, new Uint8Array(0)], new arrow.Binary()),
    dt: v([day('2024-02-29'), null, day('1969-12-31')], new arrow.DateDay()),
    ts: v([1_700_000_000_123.456 + offset, null, -1.5], new arrow.TimestampMicrosecond('UTC')),
  });
}

const plain = DeltaTable.open(store, 'plain');
await plain.createIfMissing(allTypes(0).schema, { name: 'plain' });
const v1 = await plain.commit(0, [{ add: await plain.writeDataFile(allTypes(0)) }, txnAction('events/0', 10)]);
const v2 = await plain.commit(v1, [{ add: await plain.writeDataFile(allTypes(100)) }, txnAction('events/0', 20)]);
const v3 = await plain.overwrite(v2, [allTypes(1000)]);

const partSchema = new arrow.Schema([
  new arrow.Field('kind', new arrow.Utf8(), true),
  new arrow.Field('day', new arrow.DateDay(), true),
  new arrow.Field('n', new arrow.Int64(), false),
]);
const parted = DeltaTable.open(store, 'parted');
await parted.createIfMissing(partSchema, { partitionColumns: ['kind', 'day'] });
const part = (kind: string | null, d: string, ns: bigint[]) =>
  new arrow.Table({ kind: v(ns.map(() => kind), new arrow.Utf8()), day: v(ns.map(() => day(d)), new arrow.DateDay()), n: v(ns, new arrow.Int64()) });
const adds = [
  await parted.writeDataFile(part('click', '2024-01-02', [1n, 2n])),
  await parted.writeDataFile(part('a/b=c%d é', '2024-01-03', [3n])),
  await parted.writeDataFile(part(null, '2024-01-04', [4n])),
];
await parted.commit(0, adds.map((add) => ({ add })));

console.log(JSON.stringify({ plain: { versions: [v1, v2, v3], rowsPerVersion: { 1: 3, 2: 6, 3: 3 } }, parted: { version: 1, rows: 4 } }));

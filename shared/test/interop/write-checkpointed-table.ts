/**
 * Writes a Delta table with Lamina whose log has checkpoints (interval 10, 25 commits: checkpoints at
 * 10 and 20, JSON commits 21..25 after the newest), for checkpoint_interop.py to read with delta-rs.
 * Usage: npx tsx shared/test/interop/write-checkpointed-table.ts <folder>
 * Prints the expected contents as JSON on stdout.
 */
import * as arrow from 'apache-arrow';
import { LocalObjectStore } from '../../src/adapters/local-object-store/local-object-store.js';
import { DeltaTable, removeAction, txnAction, type Action, type AddFile } from '../../src/lake/index.js';

const folder = process.argv[2];
if (!folder) throw new Error('usage: write-checkpointed-table.ts <folder>');
const store = new LocalObjectStore({ root: folder });
const schema = new arrow.Schema([new arrow.Field('kind', new arrow.Utf8(), true), new arrow.Field('n', new arrow.Int64(), false)]);
const KINDS = ['click', 'view', 'a b/c=d', null];

const errors: Error[] = [];
const table = DeltaTable.open(store, 'events', { checkpointInterval: 10, onCheckpointError: (e) => errors.push(e) });
await table.createIfMissing(schema, { partitionColumns: ['kind'] });
const live: { add: AddFile; rows: number }[] = [];
const rowsAt: Record<number, number> = { 0: 0 };
const removed: string[] = [];
for (let v = 1; v <= 25; v++) {
  const kind = KINDS[v % KINDS.length]!;
  const ns = [BigInt(v * 10), BigInt(v * 10 + 1)];
  const add = await table.writeDataFile(new arrow.Table({ kind: arrow.vectorFromArray(ns.map(() => kind), new arrow.Utf8()), n: arrow.vectorFromArray(ns, new arrow.Int64()) }));
  const actions: Action[] = [{ add }, txnAction(`events/${v % 2}`, v * 100)];
  if (v % 8 === 0) {
    const gone = live.shift()!;
    actions.push(removeAction(gone.add));
    removed.push(gone.add.path);
  }
  live.push({ add, rows: ns.length });
  await table.commit(v - 1, actions);
  rowsAt[v] = live.reduce((sum, f) => sum + f.rows, 0);
}
if (errors.length > 0) throw errors[0];
const snap = await table.snapshot();
console.log(JSON.stringify({
  version: snap.version,
  rowsAt,
  liveFiles: snap.files.length,
  removed,
  txns: Object.fromEntries(snap.txns),
  n: snap.files.length ? [...(await table.readAll()).getChild('n')!.toArray()].map(Number).sort((a: number, b: number) => a - b) : [],
}));
